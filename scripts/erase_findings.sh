#!/usr/bin/env bash
# Voice erasure on Kokoro-82M (int8 build), offline on CPU: the figures of issue 14's findings.
#   1. erasers for speaker identity (LEACE, mean-difference, random subspace of equal rank) at three stages, fitted
#      on 8 voices x 3 texts, with the held-out-text probe (probe.csv);
#   2. every eraser at full strength at each stage, on 2 other texts (one enrols, one is tried): ignorant /
#      lazy-informed attacker EER, identification, WER (speaker-sweep/privacy/);
#   3. the privacy-utility frontier over alpha at the stage that erases (speaker-frontier/privacy/).
# The gender findings are tests/kokoro_real/test_erase_kokoro.py. About 60 min on 2 busy cores.
# Usage: scripts/erase_findings.sh OUT_DIR
set -euo pipefail
OUT=${1:-runs/erase-findings}
TTS=${TTS:-.venv/bin/tts-interp}
SPEAKERS=af_heart,af_bella,af_nicole,af_sarah,am_michael,am_adam,am_eric,am_liam
EVAL_TEXTS=(-t "We also need a small plastic snake." -t "She can scoop these things into bags.")
$TTS erase fit -m kokoro-82m --device cpu --label speaker --site style.timbre,decoder.encode,decoder.decode.3 \
  --voices "$SPEAKERS" -t "Please call Stella." -t "Ask her to bring these things with her." \
  -t "Six spoons of fresh snow peas." --out "$OUT/speaker-fit"
$TTS erase apply -m kokoro-82m --device cpu --eraser "$OUT/speaker-fit" --methods leace,random --alphas 1 \
  --voices "$SPEAKERS" "${EVAL_TEXTS[@]}" --out "$OUT/speaker-sweep"
$TTS erase apply -m kokoro-82m --device cpu --eraser "$OUT/speaker-fit" --methods leace --sites style.timbre \
  --alphas 0.25,0.5,0.75,1 --voices "$SPEAKERS" "${EVAL_TEXTS[@]}" --out "$OUT/speaker-frontier"
