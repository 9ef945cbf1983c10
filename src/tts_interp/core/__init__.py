"""Foundations every layer may use: user-facing errors, paths, devices, audio I/O, result files."""
