"""Benchmark: the logit lens against one plain teacher-forced pass, and a patching sweep against the naive loop.

1. Lens over every talker layer (and the code predictor) for N frames, in one teacher-forced pass, vs one
   plain teacher-forced forward over the same codes (target: at most 1.3x).
2. A patching sweep of L layers x S segments (one cached source pass, one clean target pass, one patched
   pass per cell) vs L*S independent naive cells (source pass, target pass, patched pass each).

Both sides of each ratio run in this process, interleaved, on the `-bench` size of the tiny VoiceDesign model
(hidden 512, 8 layers; random weights). Usage: python benchmarks/lens_patch.py [--frames 100] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable

import torch
from side_by_side import print_ratio

from tts_interp.interventions.patching.patch import patch_write
from tts_interp.interventions.patching.sweep import plan_patch_sweep, run_patch_sweep
from tts_interp.interventions.session import Session
from tts_interp.interventions.talker.lens import compute_lens, residual_pass
from tts_interp.interventions.talker.prompts import prepare_checked
from tts_interp.models.qwen3_tts.prompt import PromptRequest
from tts_interp.models.qwen3_tts.runs import teacher_force
from tts_interp.tracing.engine import Read

MODEL = "tiny-qwen3-tts-voicedesign-bench"
SOURCE = PromptRequest("the quick brown fox jumps over the lazy dog", instruct="a deep slow male voice")
TARGET = PromptRequest("the quick brown fox jumps over the lazy dog", instruct="a bright fast female voice")


def timed(variants: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """Median wall time per variant over `repeats` rounds, the variants interleaved within each round (so a
    burst of load from elsewhere hits all of them), after one warm-up call each."""
    times: dict[str, list[float]] = {name: [] for name in variants}
    for fn in variants.values():
        fn()
    for _ in range(repeats):
        for name, fn in variants.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--layers", type=int, default=4, help="layers in the patching sweep")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1: steadier timings on a "
                                                                 "shared CPU; 0 keeps torch's default)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    session = Session(MODEL, "cpu")
    adapter, engine = session.adapter, session.engine
    codes = torch.randint(0, 2048, (args.frames, 16), generator=torch.Generator().manual_seed(0))
    prompt = prepare_checked(adapter, SOURCE)
    print(f"{MODEL}: {adapter.n_layers} talker layers, hidden {adapter.describe()['talker_hidden']}, "
          f"{args.frames} frames, prompt {prompt.length} positions, {torch.get_num_threads()} threads")

    lens_times = timed({
        "plain": lambda: teacher_force(engine, adapter, prompt, codes),
        "talker": lambda: compute_lens(adapter, residual_pass(session, prompt, codes, False), codes),
        "full": lambda: compute_lens(adapter, residual_pass(session, prompt, codes), codes),
    }, args.repeats)
    plain, talker_lens, full_lens = lens_times["plain"], lens_times["talker"], lens_times["full"]
    print(f"plain teacher-forced pass      {plain:8.3f} s")
    print(f"lens, every talker layer       {talker_lens:8.3f} s   ratio {talker_lens / plain:5.2f}x   (target <= 1.3x)")
    print(f"lens, talker + code predictor  {full_lens:8.3f} s   ratio {full_lens / plain:5.2f}x   (target <= 1.3x)")
    print_ratio("lens_talker", talker_lens / plain, 1.3)
    print_ratio("lens_full", full_lens / plain, 1.3)

    layers = list(range(args.layers))
    plan = plan_patch_sweep(session, SOURCE, TARGET, layers=layers, segments=["role", "text", "codec_bos", "frames"])
    cells = plan.cells
    pair = plan.pair

    def sweep() -> None:
        with tempfile.TemporaryDirectory() as out:
            run_patch_sweep(session, plan, out, codes=codes)

    def naive() -> None:
        for cell in cells:
            source = teacher_force(engine, adapter, pair.a, codes, reads=[Read(cell.site)])
            teacher_force(engine, adapter, pair.b, codes)
            write = patch_write(source.store, cell, pair.a.segments, pair.b.segments, args.frames)
            teacher_force(engine, adapter, pair.b, codes, writes=[write])

    patch_times = timed({"sweep": sweep, "naive": naive}, 1)
    shared, loop = patch_times["sweep"], patch_times["naive"]
    print(f"patching {len(layers)} layers x {len(plan.segments)} segments = {len(cells)} cells")
    print(f"  sweep (shared source run)    {shared:8.3f} s   ({plan.passes} passes)")
    print(f"  naive loop                   {loop:8.3f} s   ({3 * len(cells)} passes)   speed-up {loop / shared:5.2f}x")
    print_ratio("patch_sweep_vs_naive", shared / loop)


if __name__ == "__main__":
    main()
