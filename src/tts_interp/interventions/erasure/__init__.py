"""Concept erasure: LEACE and controls (eraser.py), fitting with held-out probes (fit.py), erased runs (runs.py), the method x site x alpha sweep (sweep.py)."""
