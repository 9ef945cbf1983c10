"""What the diffusion and flow-matching families (Grad-TTS, F5-TTS) share: requests, settings, clocks, runs."""
