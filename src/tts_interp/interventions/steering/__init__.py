"""Steering: a direction's writes at sites (writes.py) and the alpha x site grid (sweep.py)."""
