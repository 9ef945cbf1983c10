"""Kokoro-82M (StyleTTS2 / ISTFTNet, 54 voices): the one trained multi-speaker TTS whose weights reach us offline."""
