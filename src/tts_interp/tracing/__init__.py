"""The engine: nnsight wrapping, named sites, the frame clock, activation stores, reads and writes."""
