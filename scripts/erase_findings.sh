#!/usr/bin/env bash
# Voice erasure on Kokoro-82M (int8 build), offline on CPU: the figures of issue 14's findings.
#   1. erasers for speaker identity (LEACE, mean-difference, random subspace of equal rank) at four stages (the
#      style vector's two halves, the decoder's input block and its last block), fitted on 8 voices x 3 texts,
#      with the held-out-text probe (speaker-fit/probe.csv);
#   2. the privacy-utility frontier: LEACE and the random control, alpha 0.25..1, at each stage alone and at two
#      groups erased together (both style halves; every decoder block), on 3 other texts per voice (one enrols,
#      two are tried): ignorant / lazy-informed attacker EER, identification, WER per cell
#      (speaker-frontier/privacy/privacy.csv, frontier.png; the frontier per site in privacy/result.json);
#   3. the mean-difference projection (today's `--op project_out` generalised to 8 classes) at full strength at
#      the same sites (speaker-meandiff/privacy/).
# Generation first (`--no-score`), then `erase score` on each sweep. The gender findings are
# tests/kokoro_real/test_erase_kokoro.py. About 60 min on 2 cores.
# Usage: scripts/erase_findings.sh OUT_DIR [generate|score|all]
set -euo pipefail
OUT=${1:-runs/erase-findings}
STAGE=${2:-all}
TTS=${TTS:-.venv/bin/tts-interp}
SPEAKERS=af_heart,af_bella,af_nicole,af_sarah,am_michael,am_adam,am_eric,am_liam
FIT_SITES=style.timbre,style.prosody,decoder.encode,decoder.decode.3
DECODER=decoder.encode+decoder.decode.0+decoder.decode.1+decoder.decode.2+decoder.decode.3
SITES=style.timbre,style.prosody,style.timbre+style.prosody,decoder.encode,decoder.decode.3,$DECODER
EVAL_TEXTS=(-t "We also need a small plastic snake." -t "She can scoop these things into bags."
            -t "The big toy frog sat on the kitchen table.")
if [ "$STAGE" != score ]; then
  $TTS erase fit -m kokoro-82m --device cpu --label speaker --site "$FIT_SITES,decoder.decode.0,decoder.decode.1,decoder.decode.2" \
    --voices "$SPEAKERS" -t "Please call Stella." -t "Ask her to bring these things with her." \
    -t "Six spoons of fresh snow peas." --out "$OUT/speaker-fit"
  $TTS erase apply -m kokoro-82m --device cpu --eraser "$OUT/speaker-fit" --methods leace,random --sites "$SITES" \
    --alphas 0.25,0.5,0.75,1 --voices "$SPEAKERS" "${EVAL_TEXTS[@]}" --no-score --out "$OUT/speaker-frontier"
  $TTS erase apply -m kokoro-82m --device cpu --eraser "$OUT/speaker-fit" --methods mean_diff --sites "$SITES" \
    --alphas 1 --voices "$SPEAKERS" "${EVAL_TEXTS[@]}" --no-score --out "$OUT/speaker-meandiff"
fi
if [ "$STAGE" != generate ]; then
  $TTS erase score "$OUT/speaker-frontier"
  $TTS erase score "$OUT/speaker-meandiff"
fi
