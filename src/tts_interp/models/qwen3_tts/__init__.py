"""Qwen3-TTS (qwen-tts 0.1.1, 12 Hz): talker + code predictor + 12Hz tokenizer, over the upstream classes."""
