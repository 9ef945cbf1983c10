"""Scoring audio: speaker verification and identity shift, ASR + normalisation + WER/CER, pitch and rate.

Backends sit behind one interface each and are chosen by name (`speaker.SPEAKER_BACKENDS`,
`asr.ASR_BACKENDS`); `scoring.Evaluator` turns items into rows and `aggregate.summarise` rows into numbers
with n and a 95% CI.
"""
