"""Directions: fitted from two sets of runs (direction.py), the one file format (file.py), and the `direction` experiment (experiment.py)."""
