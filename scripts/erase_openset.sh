#!/usr/bin/env bash
# Open-set voice erasure on Kokoro-82M (int8 build), offline on CPU: the figures of issue 20's open-set table.
# Voices (the 28 English Kokoro voices in three disjoint sets):
#   evaluated (8, as in the issue):  af_heart af_bella af_nicole af_sarah am_michael am_adam am_eric am_liam
#   the attacker's own (6):          af_river af_sky bf_lily am_puck am_santa bm_lewis
#   fit (14):                        the other 14, alone (fit14) or with their 91 two-voice mixes (fit14-mixes)
# Texts: erasers are fitted on 3 sentences, evaluated on 4 others (texts disjoint too).
# Sweeps (alpha 1; both style halves erased together unless said):
#   fit14:        LEACE (rank 13), PCA-8, random-8, the mean voice;        fit14 at decoder.decode.3: LEACE
#   fit14-mixes:  LEACE (rank 104), PCA-16, PCA-64, random-64
#   closed8:      LEACE, random (fitted on the 8 evaluated voices: the closed-set reference the last release published)
#   gender:       a gender eraser fitted on fit14, applied to the evaluated voices; a gender classifier trained on
#                 the other voices' original speech attacks it (scripts/gender_openset.py)
# Every sweep is scored by the three attackers under resemblyzer and dvector, with WER, F0-contour correlation
# and speaking-rate change. The plain runs are generated once and copied into each sweep (a copy is reused only
# if it was made under the exact configuration: core/fingerprint.py). About 90 min on 2 cores.
# Usage: scripts/erase_openset.sh OUT_DIR [fit|generate|score|all]
set -euo pipefail
OUT=${1:-runs/erase-openset}
STAGE=${2:-all}
PY=${PY:-.venv/bin/python}
TTS=${TTS:-.venv/bin/tts-interp}
EVAL=af_heart,af_bella,af_nicole,af_sarah,am_michael,am_adam,am_eric,am_liam
ATTACKER=af_river,af_sky,bf_lily,am_puck,am_santa,bm_lewis
FIT=af_alloy,af_aoede,af_jessica,af_kore,af_nova,am_echo,am_fenrir,am_onyx,bf_alice,bf_emma,bf_isabella,bm_daniel,bm_fable,bm_george
STYLE=style.timbre+style.prosody
FIT_TEXTS=(-t "Please call Stella." -t "Ask her to bring these things with her." -t "Six spoons of fresh snow peas.")
EVAL_TEXTS=(-t "We also need a small plastic snake." -t "She can scoop these things into bags."
            -t "The big toy frog sat on the kitchen table." -t "A large size in stockings is hard to sell.")
COMMON=(-m kokoro-82m --device cpu)
APPLY=("${COMMON[@]}" --alphas 1 --voices "$EVAL" --attacker-voices "$ATTACKER" "${EVAL_TEXTS[@]}" --no-score)
mkdir -p "$OUT"
fit() {  # NAME ARGS...: erase fit into OUT/NAME unless it is there
  local name=$1; shift
  [ -f "$OUT/$name/result.json" ] || $TTS erase fit "${COMMON[@]}" "$@" --out "$OUT/$name"
}
apply() {  # NAME ARGS...: erase apply into OUT/NAME, reusing the plain runs of OUT/sweep-fit14
  local name=$1; shift
  if [ "$name" != sweep-fit14 ] && [ -d "$OUT/sweep-fit14/plain" ] && [ ! -d "$OUT/$name/plain" ]; then
    mkdir -p "$OUT/$name" && cp -r "$OUT/sweep-fit14/plain" "$OUT/$name/plain"
  fi
  $TTS erase apply "$@" --out "$OUT/$name"
}
if [ "$STAGE" = all ] || [ "$STAGE" = fit ]; then
  "$PY" scripts/voice_mixes.py --voices "$FIT" --mixes 100 --seed 0 --out "$OUT/fit14-mixes.jsonl" "${FIT_TEXTS[@]}"
  fit fit14 --label speaker --site style.timbre,style.prosody,decoder.decode.3 --voices "$FIT" "${FIT_TEXTS[@]}" \
    --pca-ranks 8
  fit fit14-mixes --label speaker --site style.timbre,style.prosody --manifest "$OUT/fit14-mixes.jsonl" \
    --pca-ranks 16,32,64
  fit closed8 --label speaker --site style.timbre,style.prosody --voices "$EVAL" "${FIT_TEXTS[@]}"
  fit gender-fit14 --label gender --site style.timbre,style.prosody --voices "$FIT" "${FIT_TEXTS[@]}"
fi
if [ "$STAGE" = all ] || [ "$STAGE" = generate ]; then
  apply sweep-fit14 "${APPLY[@]}" --eraser "$OUT/fit14" --methods leace,pca8,random8,mean --sites "$STYLE"
  apply sweep-fit14-mixes "${APPLY[@]}" --eraser "$OUT/fit14-mixes" --methods leace,pca16,pca64,random64 \
    --sites "$STYLE"
  apply sweep-closed8 "${APPLY[@]}" --eraser "$OUT/closed8" --methods leace,random --sites "$STYLE"
  apply sweep-fit14-decoder "${COMMON[@]}" --alphas 1 --voices "$EVAL" "${EVAL_TEXTS[@]}" --no-score \
    --eraser "$OUT/fit14" --methods leace --sites decoder.decode.3
  apply sweep-gender "${COMMON[@]}" --alphas 1 --voices "$EVAL" "${EVAL_TEXTS[@]}" --no-score \
    --eraser "$OUT/gender-fit14" --methods leace,random --sites "$STYLE"
fi
if [ "$STAGE" = all ] || [ "$STAGE" = score ]; then
  for sweep in sweep-fit14 sweep-fit14-mixes sweep-closed8 sweep-fit14-decoder sweep-gender; do
    $TTS erase score "$OUT/$sweep" --verifiers resemblyzer,dvector
  done
  "$PY" scripts/gender_openset.py --sweep "$OUT/sweep-gender" --train "$OUT/sweep-fit14" --out "$OUT/gender"
fi
