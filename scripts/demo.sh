#!/usr/bin/env bash
# The demo: a short generate and a trace on the built-in tiny VoiceDesign model (random weights: the audio
# is noise; the point is the machinery), then where everything was written.
set -euo pipefail
cli="$1"
out="$2"
model=tiny-qwen3-tts-voicedesign

echo "== sites of $model"
"$cli" sites --model "$model"

echo "== generate"
"$cli" generate --model "$model" --text "Hello world, this is a tiny speech model." \
    --instruct "a deep, slow male voice" --language english --seed 0 --max-new-tokens 40 --out "$out/generate"

echo "== trace: every talker layer at frames 5-15, plus the instruct positions"
"$cli" trace --model "$model" --text "Hello world, this is a tiny speech model." \
    --instruct "a deep, slow male voice" --language english --seed 0 --max-new-tokens 40 \
    --sites "talker.layer.*.resid_out,code_predictor.layer.0.resid_out" --frames 5:15 --segments instruct \
    --out "$out/trace"

echo "== report: one static HTML page of both runs"
page=$("$cli" report "$out")

echo
echo "demo outputs:"
echo "  $out/generate/audio.wav, codes.npy, result.json"
echo "  $out/trace/activations/ (safetensors shards + index.json), result.json"
echo "  report (open in a browser): $page"
