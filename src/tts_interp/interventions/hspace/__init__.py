"""h-space of diffusion / flow-matching denoisers: collect, directions, t-range editing, sweeps."""
