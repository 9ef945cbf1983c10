"""F5-TTS (Chen et al. 2024): a conditional flow-matching DiT over mel frames, voice cloning, the Vocos vocoder."""
