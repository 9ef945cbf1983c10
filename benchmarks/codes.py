"""Benchmark the codebook lab: encode throughput of the tiny codecs batched vs one file at a time, and probe
fitting time vs number of frames. Everything is measured side by side in one run; ratios are printed.

Run: python benchmarks/codes.py [--files 16] [--seconds 2.0]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import numpy as np
from side_by_side import print_ratio


def encode_throughput(codec_id: str, clips: list[np.ndarray], batch_size: int) -> tuple[float, float]:
    """Seconds of audio encoded per second: one clip at a time, then in batches of `batch_size`."""
    from tts_interp.codecs import load_codec

    codec = load_codec(codec_id)
    codec.encode(clips[:2])  # warm-up
    audio_seconds = sum(len(c) for c in clips) / codec.sample_rate
    start = time.perf_counter()
    for clip in clips:
        codec.encode([clip])
    single = audio_seconds / (time.perf_counter() - start)
    start = time.perf_counter()
    for i in range(0, len(clips), batch_size):
        codec.encode(clips[i : i + batch_size])
    batched = audio_seconds / (time.perf_counter() - start)
    return single, batched


def probe_time(n_frames: int, dim: int = 256, n_classes: int = 10, seed: int = 0) -> float:
    """Seconds for one full probe evaluation (fit, 100 permutations, 100 bootstraps, control) on n_frames."""
    from tts_interp.interventions.codebooks.probing import ProbeTask, evaluate

    rng = np.random.default_rng(seed)
    n_utts = max(20, n_frames // 100)
    groups = np.sort(rng.integers(0, n_utts, n_frames))
    labels = rng.integers(0, n_classes, n_utts)[groups]
    features = rng.standard_normal((n_frames, dim)).astype(np.float32) + labels[:, None] * 0.05
    task = ProbeTask("speaker", "classification", "utterance", labels, groups, groups % 3 != 0)
    start = time.perf_counter()
    evaluate(task, features, seed, n_permutations=100, n_bootstrap=100, max_train_frames=10**9)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--batch-size", type=int, default=8)
    args = parser.parse_args()
    os.environ.setdefault("TTS_INTERP_CACHE", tempfile.mkdtemp(prefix="tts-interp-bench-"))

    rng = np.random.default_rng(0)
    n = int(args.seconds * 24000)
    lengths = rng.integers(int(0.7 * n), n + 1, args.files)
    t = np.arange(n) / 24000
    clips = [
        (0.3 * np.sin(2 * np.pi * rng.uniform(90, 250) * t[:m]) + 0.01 * rng.standard_normal(m)).astype(
            np.float32
        )
        for m in lengths
    ]
    print(
        f"encode throughput: {args.files} clips of {args.seconds * 0.7:.1f}-{args.seconds:.1f} s, "
        f"batch size {args.batch_size} (audio seconds per wall second)"
    )
    for codec_id in ("tiny-qwen12hz", "tiny-mimi", "tiny-encodec"):
        single, batched = encode_throughput(codec_id, clips, args.batch_size)
        print(
            f"  {codec_id:14s} one at a time {single:7.1f}   batched {batched:7.1f}   "
            f"batched/one-at-a-time {batched / single:5.2f}x"
        )
        print_ratio(f"codes_batched_vs_single_{codec_id}", batched / single, lower_is_better=False)

    print(
        "probe evaluation time vs frames (dim 256, 10 classes, 100 permutations + 100 bootstraps + control)"
    )
    sizes = (2000, 8000, 32000)
    times = [probe_time(size) for size in sizes]
    for size, seconds in zip(sizes, times, strict=True):
        print(f"  {size:6d} frames  {seconds:6.2f} s  ({1e6 * seconds / size:6.1f} us/frame)")
    for (a, ta), (b, tb) in zip(
        zip(sizes, times, strict=True), zip(sizes[1:], times[1:], strict=True), strict=False
    ):
        print(
            f"  {b}/{a} frames = {b / a:.0f}x -> time {tb / ta:.2f}x (scaling exponent "
            f"{np.log(tb / ta) / np.log(b / a):.2f})"
        )


if __name__ == "__main__":
    main()
