"""Benchmark feature discovery: activation collection (traced encoder with reads vs the plain encoder, side by
side; target <= 1.2x), SAE training throughput (L1 and TopK rows/s), and peak RSS while streaming frames
through the per-unit top-k tracker and the shard writer (bounded: the peak must not grow with frames).

Run: python benchmarks/features.py [--clips 8] [--stream-frames 1000000] [--model whisper-tiny.en | --random small]
     [--device cpu|cuda]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time

import numpy as np
import torch
from side_by_side import print_ratio


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def collection(adapter, clips: list[np.ndarray], sites: list[str], repeats: int = 3) -> dict:  # noqa: ANN001
    """Frames/s of the plain encoder and of the traced encoder reading `sites`, measured interleaved."""
    features, valid = adapter.features(clips)
    adapter.run_encoder(features, reads=sites)  # warm-up (nnsight wrapper, allocations)
    plain, traced = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        adapter.run_encoder(features)
        plain.append(time.perf_counter() - start)
        start = time.perf_counter()
        adapter.run_encoder(features, reads=sites)
        traced.append(time.perf_counter() - start)
    frames = sum(valid)
    return {"real_frames": frames, "plain_frames_per_s": frames / min(plain), "traced_frames_per_s": frames / min(traced),
            "traced_over_plain": min(traced) / min(plain), "target": "<= 1.2"}


def sae_throughput(dim: int, steps: int = 60, batch: int = 512) -> dict:
    """Training rows/s of the L1 and TopK trainers on random rows of width `dim`."""
    from dictionary_learning.trainers.standard import StandardTrainer
    from dictionary_learning.trainers.top_k import TopKTrainer

    rows = torch.randn(batch, dim)
    result = {}
    for name, trainer in (("l1", StandardTrainer(steps, dim, 4 * dim, 0, "bench", warmup_steps=5,
                                                 sparsity_warmup_steps=5, device="cpu", seed=0)),
                          ("topk", TopKTrainer(steps, dim, 4 * dim, 32, 0, "bench", warmup_steps=5,
                                               threshold_start_step=5, device="cpu", seed=0))):
        trainer.update(0, rows)
        start = time.perf_counter()
        for step in range(1, steps):
            trainer.update(step, rows)
        result[f"{name}_rows_per_s"] = (steps - 1) * batch / (time.perf_counter() - start)
    return result


def streaming_rss(total_frames: int, units: int, chunk: int = 5000) -> dict:
    """Peak RSS after 10% and after 100% of `total_frames` streamed through UnitStats and the shard writer."""
    from safetensors.torch import save_file

    from tts_interp.interventions.features.purity import LabelledFrames
    from tts_interp.interventions.features.topk import UnitStats

    stats, labelled = UnitStats(units, 20), LabelledFrames(50_000)
    generator = torch.Generator().manual_seed(0)
    marks = {}
    with tempfile.TemporaryDirectory() as shard_dir:
        for index, start in enumerate(range(0, total_frames, chunk)):
            acts = torch.randn(min(chunk, total_frames - start), units, generator=generator)
            stats.update(acts, index)
            labelled.add(acts, ["x"] * len(acts))
            save_file({"acts": acts.half()}, f"{shard_dir}/shard_{index % 4}.safetensors")  # rotating files
            done = start + len(acts)
            if done >= total_frames // 10 and "tenth" not in marks:
                marks["tenth"] = peak_rss_mb()
    marks["all"] = peak_rss_mb()
    return {"frames": total_frames, "units": units, "peak_rss_mb_at_10pct": marks["tenth"],
            "peak_rss_mb_at_100pct": marks["all"], "growth_ratio": marks["all"] / marks["tenth"], "target": "~1.0"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clips", type=int, default=8)
    parser.add_argument("--stream-frames", type=int, default=1_000_000)
    parser.add_argument("--model", default="whisper-tiny.en")
    parser.add_argument("--random", default=None, help="tiny|base|small|medium|large: random weights, speed only")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    from tts_interp.interventions.features.corpus import iter_corpus
    from tts_interp.models.whisper.adapter import WhisperAdapter

    device = torch.device(args.device)
    adapter = WhisperAdapter.random(args.random, device) if args.random else WhisperAdapter.load(args.model, device)
    clips = [c.audio for c in iter_corpus(f"espeak:{args.clips}")]
    layer = adapter.model.config.encoder_layers // 2
    sites = [f"encoder.layer.{layer}.mlp.act", f"encoder.layer.{layer}.resid_out"]
    print(f"model {adapter.model_id} ({adapter.provenance['weights']} weights) on {device}, {args.clips} clips")
    for key, value in collection(adapter, clips, sites).items():
        print(f"  collection {key}: {value}")
    for key, value in sae_throughput(adapter.model.config.d_model).items():
        print(f"  sae {key}: {value:.0f}")
    streaming = streaming_rss(args.stream_frames, adapter.model.config.encoder_ffn_dim)
    for key, value in streaming.items():
        print(f"  streaming {key}: {value}")
    print_ratio("features_streaming_rss_growth", streaming["growth_ratio"])


if __name__ == "__main__":
    main()
