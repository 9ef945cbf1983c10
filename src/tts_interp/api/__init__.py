"""The public API: the same calls for every model family (see tts_interp/__init__.py for the names)."""
