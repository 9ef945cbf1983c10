#!/usr/bin/env bash
# Create (or update) the project's virtual environment with everything the tests and the demo need.
# Order matters: torch first (CPU 2.13.0 unless one is already installed), then the pinned stack under a
# constraint that keeps that torch, then the packages whose own pins would drag in gradio/CUDA (--no-deps).
set -euo pipefail

venv="${1:-.venv}"
python="${PYTHON:-python3}"

if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv ${VENV_ARGS:-} "$venv"
fi
py="$venv/bin/python"
pip=("$py" -m pip install --disable-pip-version-check -q)

if torch_version=$("$py" -c 'import torch; print(torch.__version__.split("+")[0])' 2>/dev/null); then
    echo "setup: keeping the installed torch $torch_version"
else
    echo "setup: installing CPU torch 2.13.0"
    "${pip[@]}" torch==2.13.0
    torch_version=2.13.0
fi

constraints="$(mktemp)"
trap 'rm -f "$constraints"' EXIT
echo "torch==$torch_version" >"$constraints"

echo "setup: installing tts-interp and its pinned stack"
"${pip[@]}" -c "$constraints" -e ".[test]"

echo "setup: installing packages whose own pins must be bypassed (--no-deps)"
"${pip[@]}" -c "$constraints" --no-deps -r requirements-nodeps.txt

# The report's browser test drives Debian's Chromium + chromium-driver (selenium, from the [test] extra).
if command -v chromedriver >/dev/null && { command -v chromium || command -v chromium-browser; } >/dev/null; then
    echo "setup: headless Chromium found"
elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing Chromium + chromium-driver with apt (for the report's browser test)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
else
    echo "setup: Chromium + chromium-driver are missing and this is not root: run" \
         "'sudo apt-get install -y chromium chromium-driver', or the report's browser test fails saying so"
fi

"$py" -c "from tts_interp.models.qwen3_tts.upstream import import_qwen_tts; import_qwen_tts()"

# Kokoro-82M's 54 voices ship only in the kokoro 0.9.4 sdist (kokoro.js/voices); keep it beside the venv, then
# build the offline weights once (int8 ONNX dequantized to safetensors, plus the voices) into the cache.
share="$venv/share/tts-interp"
if [ ! -f "$share/kokoro-0.9.4.tar.gz" ]; then
    echo "setup: fetching the kokoro 0.9.4 sdist (Kokoro's voices)"
    "$py" -m pip download --disable-pip-version-check -q --no-deps --no-binary kokoro kokoro==0.9.4 -d "$share"
fi
echo "setup: building Kokoro-82M's offline weights (once)"
"$py" -c "from tts_interp.models.kokoro.weights import int8_directory; print(int8_directory())"
echo "setup: done ($venv)"
