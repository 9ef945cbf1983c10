"""tts-interp: a mechanistic intervention engine for text-to-speech models."""

__version__ = "0.1.0"
