"""Eval throughput: clips/s of each offline backend batched vs one at a time (ratio printed), and peak RSS
growth over a 1,000-item suite (embeddings streamed through the on-disk cache, not held).

Run: python benchmarks/eval_throughput.py [--clips 16] [--suite-items 1000]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf
import torch
from side_by_side import print_ratio

from tts_interp.evals.asr import load_asr_backend
from tts_interp.evals.speaker import load_speaker_backend
from tts_interp.suites.runner import run_suite, suite_report

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "speech"


def clips(n: int) -> list[np.ndarray]:
    files = sorted(FIXTURES.glob("kokoro_*_s?.flac"))
    return [sf.read(str(files[i % len(files)]), dtype="float32")[0] for i in range(n)]


def rate(fn, items: list, batched: bool) -> float:
    """Clips per second of fn over items, as one batch or one call per clip (after one warm-up call)."""
    fn(items[:1])
    start = time.perf_counter()
    if batched:
        fn(items)
    else:
        for item in items:
            fn([item])
    return len(items) / (time.perf_counter() - start)


def rss_mb() -> float:
    """Current resident set size (Linux /proc), else the peak so far."""
    status = Path("/proc/self/status")
    if status.is_file():
        for line in status.read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def suite_memory(n_items: int) -> None:
    """Run a 1,000-item speaker-only suite; RSS must stay flat once the first items are through."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        files = sorted(FIXTURES.glob("kokoro_*_s?.flac"))
        audio_dir = root / "clips"
        audio_dir.mkdir()
        items = []
        for i in range(n_items):  # distinct files (distinct bytes) so every item is embedded, none cached
            samples, sr = sf.read(str(files[i % len(files)]), dtype="float32")
            path = audio_dir / f"item{i:04d}.flac"
            sf.write(str(path), samples * (0.5 + 0.4 * (i / n_items)), sr)
            voice = files[i % len(files)].name.split("_s")[0]
            items.append({"id": f"item{i:04d}", "audio": str(path),
                          "reference": {"speaker": voice, "clips": [str(f) for f in files if f.name.startswith(voice)]}})
        manifest = root / "items.jsonl"
        manifest.write_text("\n".join(json.dumps(r) for r in items) + "\n")
        suite = root / "suite.yaml"
        suite.write_text(json.dumps({"name": "memory", "scoring": {"scorers": ["speaker"], "batch_size": 32,
                                                                  "device": "auto"},
                                     "items": [{"kind": "manifest", "path": "items.jsonl"}]}))
        samples: list[float] = []
        start = time.perf_counter()
        run_suite(suite, root / "out", (0, 1), advance=lambda n: samples.append(rss_mb()))
        report = suite_report(root / "out")
        seconds = time.perf_counter() - start
        after_100, peak = samples[min(99, len(samples) - 1)], max(samples)
        print(f"suite of {n_items} items (speaker, resemblyzer): {seconds:.1f} s, "
              f"{n_items / seconds:.1f} items/s, {report['aggregates']['n_failed']} failed; RSS after 100 items "
              f"{after_100:.0f} MB, peak over all {n_items} {peak:.0f} MB: growth over the last "
              f"{n_items - 100} items {peak - after_100:.1f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=16)
    parser.add_argument("--suite-items", type=int, default=1000)
    args = parser.parse_args()
    cache = tempfile.TemporaryDirectory()  # a private embedding cache: every suite item is really embedded
    os.environ["TTS_INTERP_CACHE"] = cache.name
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    suite_memory(args.suite_items)  # first, before the ASR model is loaded, so RSS reflects the suite alone
    print(f"device {device}, torch threads {torch.get_num_threads()}, {args.clips} clips of 2-3 s", file=sys.stderr)
    data = clips(args.clips)
    speaker = load_speaker_backend("resemblyzer", device)
    prepared = [speaker.prepare(c) for c in data]
    asr = load_asr_backend("faster-whisper", device)
    for name, fn, items in (("resemblyzer (embed)", speaker.embed, prepared),
                            ("faster-whisper tiny.en", asr.transcribe, data)):
        single, batched = rate(fn, items, False), rate(fn, items, True)
        print(f"{name}: one at a time {single:.1f} clips/s, batched {batched:.1f} clips/s, "
              f"ratio batched/single {batched / single:.2f}x")
        print_ratio(f"batched_vs_single_{name.split()[0]}", batched / single, lower_is_better=False)


if __name__ == "__main__":
    main()
