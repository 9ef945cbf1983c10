"""Grad-TTS (Popov et al. 2021): text encoder, duration predictor, U-Net score estimator, HiFi-GAN vocoder."""
