"""RVQ codebook experiments on codecs: ablate, swap, probe, statistics."""
