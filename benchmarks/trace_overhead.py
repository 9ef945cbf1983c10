"""Tracing overhead: plain generation vs reading every talker layer to disk vs steering one layer every frame.

Runs on the `bench` config (random weights, real classes, hidden 512, 8 talker layers), same prompt and seed
for every variant, interleaved repeats, and prints each variant's median time per generated frame as a ratio
to plain. Targets: steering <= 1.10x plain, reading all layers <= 1.30x plain.

    python benchmarks/trace_overhead.py [--model tiny-qwen3-tts-voicedesign-bench] [--frames 40] [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import torch
from side_by_side import print_ratio
from transformers.utils import logging as transformers_logging

from tts_interp.interventions.session import Session
from tts_interp.models.qwen3_tts.prompt import PromptRequest
from tts_interp.models.qwen3_tts.runs import generate
from tts_interp.models.qwen3_tts.settings import GenerationSettings
from tts_interp.tracing.engine import Read
from tts_interp.tracing.ops import Write
from tts_interp.tracing.selection import Selection
from tts_interp.tracing.store import DiskStore


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="tiny-qwen3-tts-voicedesign-bench")
    parser.add_argument("--frames", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--dtype", default="float32")
    args = parser.parse_args()
    transformers_logging.set_verbosity_error()

    # `plain` runs on a second copy of the model that nnsight never wraps, so its time carries no tracing cost.
    untraced = Session(args.model, args.device, args.dtype)
    session = Session(args.model, args.device, args.dtype)
    adapter, engine = session.adapter, session.engine
    prompt = adapter.prepare(PromptRequest(text="Hello world, this is a speech model benchmark.",
                                           instruct="a deep, slow male voice", language="english"))
    settings = GenerationSettings(max_new_tokens=args.frames, seed=0)
    hidden = int(adapter.talker_config.hidden_size)
    steer = Write(f"talker.layer.{adapter.n_layers // 2}.resid_out", "add", torch.randn(hidden) * 0.01,
                  Selection(segments=("frames",)))
    scratch = Path(tempfile.mkdtemp(prefix="tts-interp-bench-"))

    def plain() -> torch.Tensor:
        return generate(untraced.engine, untraced.adapter, prompt, settings).codes

    def read_all_to_disk() -> torch.Tensor:
        store = DiskStore(scratch / f"acts-{time.monotonic_ns()}")
        return generate(engine, adapter, prompt, settings, reads=[Read("talker.layer.*.resid_out")], store=store).codes

    def steer_one_layer() -> torch.Tensor:
        return generate(engine, adapter, prompt, settings, writes=[steer]).codes

    variants = {"plain": plain, "read all talker layers to disk": read_all_to_disk,
                "steer one layer every frame": steer_one_layer}
    per_frame: dict[str, list[float]] = {name: [] for name in variants}
    reference = plain()  # warm-up; reading must not change the codes
    if not torch.equal(reference, read_all_to_disk()):
        raise SystemExit("reading activations changed the generated codes")
    steer_one_layer()
    for _ in range(args.repeats):
        for name, fn in variants.items():
            started = time.perf_counter()
            codes = fn()
            per_frame[name].append((time.perf_counter() - started) / max(1, codes.shape[0]))
    base = statistics.median(per_frame["plain"])
    print(f"model {args.model} on {args.device}/{args.dtype}, {args.frames} frames, {args.repeats} interleaved "
          "repeats (ratios of median time per generated frame)")
    for name, times in per_frame.items():
        median = statistics.median(times)
        print(f"  {name:32s} {1000 * median:8.2f} ms/frame   ratio to plain {median / base:5.3f}x")
        if name != "plain":
            print_ratio(f"trace_{name.replace(' ', '_')}", median / base)


if __name__ == "__main__":
    main()
