"""Talker-only experiments (autoregressive models with a vocabulary head): logit lens, prompt effect, prompt pairs."""
