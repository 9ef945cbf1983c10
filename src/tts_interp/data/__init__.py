"""Speech datasets: folders with manifests, the LibriSpeech layout, and phone alignments (TextGrid, HTS .lab).

This package sits just below `core/` (it imports only `core`), so codecs, interventions and evals can all
read the same datasets.
"""
