"""Benchmark: LEACE fitting time as rows grow (scaling exponent), and generation with an eraser against plain.

1. Fit LEACE, mean-difference and random-subspace erasers (`fit_erasers`) on n synthetic labelled rows of
   width H (8 classes) for n doubling; the slope of log time against log n is the scaling exponent (the
   covariance costs O(n H^2), the eigendecomposition O(H^3) once).
2. Generation of one prompt plain (untraced) and with a full LEACE eraser at one site (the affine write through
   the nnsight engine), interleaved so machine load hits both alike: median and minimum wall-time ratio
   (target <= 1.05x).

Default model: `kokoro-82m` (the trained Kokoro-82M, int8 build; built into the cache on first use), site
`decoder.encode`. `--model tiny-qwen3-tts-voicedesign-bench --site talker.layer.4.resid_out` times Qwen3-TTS.

Usage: python benchmarks/erase.py [--model kokoro-82m] [--site decoder.encode] [--repeats 5] [--threads 1]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from side_by_side import interleaved, print_ratios, ratio_line, ratio_report

from tts_interp.interventions.erasure.eraser import fit_erasers, fit_leace
from tts_interp.interventions.erasure.runs import open_session, render, request_of
from tts_interp.interventions.generation import RunConfig
from tts_interp.tracing.selection import Selection

# benchmarks/ is first on sys.path when this runs as a script, and benchmarks/kokoro.py would then shadow the
# upstream kokoro package: drop the folder now that side_by_side is imported
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

TEXT = "She can scoop these things into three red bags."
CLASSES = 8


def _timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def labelled_rows(n: int, dim: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, CLASSES, (n,), generator=generator)
    return torch.randn(n, dim, generator=generator) + torch.randn(CLASSES, dim, generator=generator)[labels], labels


def fit_scaling(dim: int, sizes: list[int], repeats: int) -> dict[str, object]:
    """Median fit time of all three erasers per row count, and the log-log slope."""
    seconds = []
    for n in sizes:
        x, y = labelled_rows(n, dim)
        classes = [str(c) for c in range(CLASSES)]
        seconds.append(statistics.median(_timed(lambda: fit_erasers({"s": (x, y)}, classes, "m", "label"))  # noqa: B023
                                         for _ in range(repeats)))
    slope = float(np.polyfit(np.log(sizes), np.log(seconds), 1)[0])
    tail = float(np.polyfit(np.log(sizes[-3:]), np.log(seconds[-3:]), 1)[0])
    return {"dim": dim, "rows": sizes, "median_seconds": [round(s, 4) for s in seconds], "scaling_exponent": round(slope, 3),
            "scaling_exponent_largest_3": round(tail, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="kokoro-82m")
    parser.add_argument("--site", default="decoder.encode")
    parser.add_argument("--voice", default="af_heart", help="speaker/voice of the prompt (Kokoro, CustomVoice)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    parser.add_argument("--sizes", default="1000,2000,4000,8000,16000,32000,64000", help="row counts for the fitting curve")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    session = open_session(args.model, "cpu")
    dim = int(session.adapter.sites()[args.site].dim)
    scaling = fit_scaling(dim, [int(s) for s in args.sizes.split(",")], 3)
    x, y = labelled_rows(4000, dim)
    eraser = fit_leace(x, y, CLASSES)
    writes = [eraser.write(args.site, 1.0, Selection())]
    voice = {"speaker": args.voice if "qwen" not in args.model or "customvoice" in args.model else None,
             "instruct": "a calm voice" if "voicedesign" in args.model else None}
    config = RunConfig(args.model, request_of(session, TEXT, voice), session.adapter.settings_of(0, False, 40), "cpu")
    workdir = tempfile.mkdtemp(prefix="erase-bench-")
    variants: dict[str, Callable[[], object]] = {
        "plain": lambda: render(session, config, f"{workdir}/plain"),
        "erased": lambda: render(session, config, f"{workdir}/erased", writes),
    }
    times = interleaved(variants, args.repeats)
    report = {"model": args.model, "site": args.site, "site_dim": dim, "eraser_rank": eraser.rank,
              "threads": torch.get_num_threads(), "fit_scaling": scaling,
              **ratio_report(times, {"erased": 1.05})}
    print(json.dumps(report, indent=2))
    print_ratios(report)
    print(f"fitting 3 erasers at width {dim}: time ~ rows^{scaling['scaling_exponent']} over {scaling['rows'][0]}-"
          f"{scaling['rows'][-1]} rows (^{scaling['scaling_exponent_largest_3']} over the largest 3: the O(n H^2) "
          "covariance takes over from the O(H^3) eigendecomposition); " + ratio_line(report, {"erased": f"generation with a rank-{eraser.rank} "
                                                                          f"LEACE eraser at {args.site}"}))


if __name__ == "__main__":
    main()
