#!/usr/bin/env bash
# Voice erasure on Kokoro-82M (int8 build), offline on CPU: the figures of issue 14's findings.
#   1. speaker identity: LEACE / mean-difference / random-subspace erasers at three stages, fitted on 8 voices x 3
#      texts; held-out-text probe; then the privacy-utility frontier (ignorant / lazy-informed attacker EER,
#      identification, WER) over alpha on 2 other texts (one enrols, one is tried);
#   2. gender: LEACE at a decoder site fitted on 8 voices x 2 texts, probed on 8 held-out voices.
# Usage: scripts/erase_findings.sh OUT_DIR   (about 45 min on 2 busy cores; a rerun into the same OUT reuses finished runs)
set -euo pipefail
OUT=${1:-runs/erase-findings}
TTS=${TTS:-.venv/bin/tts-interp}
SPEAKERS=af_heart,af_bella,af_nicole,af_sarah,am_michael,am_adam,am_eric,am_liam
SITES=style.timbre,decoder.encode,decoder.decode.3
$TTS erase fit -m kokoro-82m --device cpu --label speaker --site "$SITES" --voices "$SPEAKERS" \
  -t "Please call Stella." -t "Ask her to bring these things with her." -t "Six spoons of fresh snow peas." \
  --out "$OUT/speaker-fit"
$TTS erase apply -m kokoro-82m --device cpu --eraser "$OUT/speaker-fit" --methods leace,random --alphas 0.5,1 \
  --voices "$SPEAKERS" -t "We also need a small plastic snake." -t "She can scoop these things into bags." \
  --out "$OUT/speaker-sweep"
$TTS erase fit -m kokoro-82m --device cpu --label gender --site decoder.encode,style.timbre \
  --voices af_heart,af_bella,af_nicole,af_sarah,af_sky,af_river,bf_emma,bf_alice,am_michael,am_adam,am_eric,am_liam,am_onyx,am_puck,bm_george,bm_lewis \
  -t "Please call Stella." -t "Six spoons of fresh snow peas." --test-fraction 0.5 --out "$OUT/gender-fit"
