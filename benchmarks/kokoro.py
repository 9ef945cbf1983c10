"""Benchmark: Kokoro-82M (real weights, int8 build) plain vs reading every decoder site to disk vs steering one
site, measured side by side in one run.

Variants, interleaved (plain, read_all_disk, steer, plain, ...) so machine load hits each alike:
- plain: one forward, no reads or writes (untraced);
- read_all_disk: every `decoder.*` site (encode, decode blocks, generator ups / resblocks / conv_post) read on
  every row and streamed to a DiskStore (safetensors shards);
- steer: alpha x a vector added at `decoder.decode.1` on every frame.
Targets: read_all_disk <= 1.2x and steer <= 1.05x of plain (ratio of median wall times; of minima and the paired
median with its CI are printed too, side_by_side.py). Also: real-time factor (wall seconds per second of audio) of each, and the peak RSS of the process.

Usage: python benchmarks/kokoro.py [--repeats 5] [--threads 1] [--device cpu]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import torch
from side_by_side import interleaved, print_ratios, ratio_line, ratio_report

# This file is named kokoro.py: with its folder first on sys.path, `import kokoro` (the upstream package, imported
# when the model loads) would find this script instead. Take the folder off once side_by_side is imported.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from tts_interp.interventions.session import Session  # noqa: E402
from tts_interp.models.kokoro.runs import synthesize  # noqa: E402
from tts_interp.tracing.engine import Read  # noqa: E402
from tts_interp.tracing.ops import Write  # noqa: E402
from tts_interp.tracing.store import DiskStore  # noqa: E402

TEXT = "The quick brown fox jumps over the lazy dog, and then it runs far away into the quiet woods."


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    session = Session("kokoro-82m", args.device, needs=("synthesize",))
    prompts = session.adapter.prepare_chunks(TEXT, "af_heart")
    decoder_sites = [name for name in session.adapter.sites() if name.startswith("decoder.")]
    reads = [Read(name) for name in decoder_sites]
    vector = torch.randn(1024, generator=torch.Generator().manual_seed(0))
    writes = [Write("decoder.decode.1", "add", vector / vector.norm(), alpha=1.0)]
    workdir = Path(tempfile.mkdtemp(prefix="kokoro-bench-"))

    variants: dict[str, Callable[[], object]] = {
        "plain": lambda: synthesize(session.engine, session.adapter, prompts, 0),
        "read_all_disk": lambda: synthesize(session.engine, session.adapter, prompts, 0, reads, store=DiskStore(Path(tempfile.mkdtemp(dir=workdir)))),
        "steer": lambda: synthesize(session.engine, session.adapter, prompts, 0, writes=writes),
    }
    times = interleaved(variants, args.repeats)
    audio_seconds = len(synthesize(session.engine, session.adapter, prompts, 0).audio) / session.adapter.sample_rate
    stored = sum(f.stat().st_size for f in workdir.rglob("*.safetensors")) / (args.repeats + 1) / 2**20
    report = {"model": "kokoro-82m", "provenance": session.adapter.provenance["weights"], "device": args.device,
              "threads": torch.get_num_threads(), "audio_seconds": round(audio_seconds, 3),
              "decoder_sites_read": len(decoder_sites), "mb_written_per_run": round(stored, 1),
              **ratio_report(times, {"read_all_disk": 1.2, "steer": 1.05}),
              "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}
    report["real_time_factor"] = {k: round(v / audio_seconds, 3) for k, v in report["median_seconds"].items()}
    print(json.dumps(report, indent=2))
    print_ratios(report)
    print(ratio_line(report, {"read_all_disk": "read every decoder site to disk", "steer": "steer one site"})
          + f"; RTF plain {report['real_time_factor']['plain']}; peak RSS {report['peak_rss_mb']} MB")


if __name__ == "__main__":
    main()
