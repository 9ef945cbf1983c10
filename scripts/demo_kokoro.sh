#!/usr/bin/env bash
# The demo on real weights (Kokoro-82M, int8 build, offline): a female->male direction from American voices at
# one decoder site, af_heart steered along it at four alphas beside the style-vector baseline, every cell scored
# by the eval harness (similarity to the source voice and to the male centroid, identity shift, WER by
# faster-whisper tiny.en), printed as a table; the audio and result files stay on disk.
set -euo pipefail
cli="$1"
out="$2"
device="${DEVICE:-cpu}"

echo "== Kokoro-82M: generate one utterance (real speech)"
"$cli" generate --model kokoro-82m --voice af_heart --text "Hello! This is Kokoro, speaking through tts-interp." \
    --seed 0 --device "$device" --out "$out/generate"

echo "== the mission: female->male at decoder.decode.3 (where the voice moves and the words survive) vs the style vector"
"$cli" mission --model kokoro-82m --site decoder.decode.3 --alphas 0.5,1,2,4 --voices-per-set 4 --seed 0 \
    --device "$device" --out "$out/mission"

echo "== report: one static HTML page of both runs"
page=$("$cli" report "$out")

echo
echo "demo outputs:"
echo "  $out/generate/audio.wav, alignment.lab, result.json"
echo "  $out/mission/cells/*/audio.wav, cells.csv, eval/items.csv, direction.safetensors, result.json"
echo "  report (open in a browser): $page"
