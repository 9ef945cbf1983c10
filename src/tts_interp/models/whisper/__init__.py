"""Whisper (transformers): real tiny.en built offline, hub ids; encoder-frame sites for feature discovery."""
