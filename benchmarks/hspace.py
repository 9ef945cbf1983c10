"""Benchmark: h-space editing and collection overhead on a diffusion TTS denoiser, measured side by side.

1. Edited sampling (alpha * direction added at `denoiser.hspace` on every step, through the nnsight engine) vs
   plain sampling (untraced), same prompt, seed and steps: median wall-time ratio (target <= 1.05x).
2. Collecting `denoiser.hspace` over all N steps into a DiskStore vs a MemoryStore vs plain sampling.

Runs are interleaved (plain, edited, memory, disk, plain, ...) so machine load hits every variant alike; each
ratio comes as the ratio of medians, of minima, and the paired per-repeat median with its CI (side_by_side.py).
Default model: `tiny-grad-tts-bench` (random weights at the official Grad-TTS size, 14.8M parameters).

Usage: python benchmarks/hspace.py [--model tiny-grad-tts-bench] [--steps 10] [--repeats 7] [--threads N]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections.abc import Callable
from pathlib import Path

import torch
from side_by_side import interleaved, print_ratios, ratio_line, ratio_report

from tts_interp.interventions.hspace.directions import Direction
from tts_interp.interventions.session import Session
from tts_interp.models.denoising.runs import sample
from tts_interp.models.denoising.settings import DenoiseRequest, SamplerSettings
from tts_interp.tracing.engine import Read
from tts_interp.tracing.store import DiskStore, MemoryStore

TEXT = "The quick brown fox jumps over the lazy dog, and then it runs far away into the quiet woods."


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="tiny-grad-tts-bench")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    parser.add_argument("--speaker", type=int, default=None)
    parser.add_argument("--ref-audio", default=None, help="reference clip (F5-TTS models)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    session = Session(args.model)
    adapter = session.adapter
    request = DenoiseRequest(TEXT, speaker=args.speaker, ref_audio=args.ref_audio,
                             ref_text="A short reference clip." if args.ref_audio else None)
    prompt = adapter.prepare(request)
    settings = SamplerSettings(steps=args.steps, seed=0)
    dim = session.site_dim("denoiser.hspace")
    unit = torch.nn.functional.normalize(torch.randn(1, dim, generator=torch.Generator().manual_seed(0)), dim=1)
    direction = Direction(args.model, "denoiser.hspace", "mean_difference", unit, (float("nan"),), False, 1.0)
    from tts_interp.interventions.hspace.editing import edit_writes

    writes = edit_writes(session, direction, settings, 0.5, (0.0, 1.0))
    reads = [Read("denoiser.hspace")]
    workdir = Path(tempfile.mkdtemp(prefix="hspace-bench-"))

    variants: dict[str, Callable[[], object]] = {
        "plain": lambda: sample(session.engine, adapter, prompt, settings),
        "edited": lambda: sample(session.engine, adapter, prompt, settings, writes=writes),
        "collect_memory": lambda: sample(session.engine, adapter, prompt, settings, reads=reads, store=MemoryStore()),
        "collect_disk": lambda: sample(session.engine, adapter, prompt, settings, reads=reads,
                                       store=DiskStore(Path(tempfile.mkdtemp(dir=workdir)))),
    }
    times = interleaved(variants, args.repeats)
    frames = int(sample(session.engine, adapter, prompt, settings).sampled.mel.shape[1])
    rows = sum(r.values.shape[0] for r in [sample(session.engine, adapter, prompt, settings, reads=reads).store
                                           .get("denoiser.hspace")])
    report = {"model": args.model, "steps": args.steps, "threads": torch.get_num_threads(), "mel_frames": frames,
              "hspace_rows_per_run": rows, "hspace_dim": dim,
              **ratio_report(times, {"edited": 1.05, "collect_memory": None, "collect_disk": None})}
    print(json.dumps(report, indent=2))
    print_ratios(report)
    print(ratio_line(report, {"edited": "edited sampling", "collect_memory": f"collecting h-space over {args.steps} "
                                                                             "steps (memory)",
                              "collect_disk": "(disk)"}))


if __name__ == "__main__":
    main()
