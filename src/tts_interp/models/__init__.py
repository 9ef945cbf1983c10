"""Model adapters: one package per model family, each behind the `ModelAdapter` protocol (models/base.py)."""
