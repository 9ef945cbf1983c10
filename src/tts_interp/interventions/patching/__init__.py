"""Activation patching: one patch write (patch.py), patched runs between two prompts (runs.py), the site x position sweep (sweep.py)."""
