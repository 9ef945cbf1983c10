"""Feature discovery on any encoder site (Whisper first): streamed activations, neurons and SAE features,
phoneme purity, edits during transcription."""
