"""Timescales and usage of each RVQ codebook: how long codes persist, how much of the codebook is used,
and how much the codebooks tell about each other.

- persistence: mean run length of identical consecutive codes, in frames and milliseconds;
- usage: fraction of entries used, entropy (bits), perplexity (2^entropy);
- mutual information between every pair of codebooks (plug-in estimate, bits), next to the same estimate
  with one column shuffled across frames: the plug-in estimator is biased upward when entries are many and
  frames few, and the shuffled value shows by how much.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def run_lengths(column: np.ndarray) -> np.ndarray:
    """Lengths of the runs of identical consecutive values in a 1-D array."""
    if len(column) == 0:
        return np.zeros(0, dtype=int)
    change = np.flatnonzero(np.diff(column) != 0)
    edges = np.concatenate([[0], change + 1, [len(column)]])
    return np.diff(edges)


def entropy_bits(values: np.ndarray) -> float:
    """Plug-in entropy of discrete values, in bits."""
    _, counts = np.unique(values, return_counts=True)
    p = counts / counts.sum()
    return float(-(p * np.log2(p)).sum())


def mutual_information_bits(a: np.ndarray, b: np.ndarray) -> float:
    """Plug-in mutual information I(a; b) of two discrete sequences, in bits."""
    joint = a.astype(np.int64) * (int(b.max()) + 1) + b.astype(np.int64)
    return entropy_bits(a) + entropy_bits(b) - entropy_bits(joint)


def codebook_stats(
    utterance_codes: Sequence[np.ndarray], frame_rate: float, codebook_size: int, seed: int = 0
) -> dict[str, object]:
    """Per-codebook persistence and usage, and pairwise mutual information, over (frames, K) codes."""
    codes = np.concatenate(utterance_codes)
    n_codebooks = codes.shape[1]
    per_codebook = []
    for k in range(n_codebooks):
        runs = np.concatenate([run_lengths(c[:, k]) for c in utterance_codes])
        entropy = entropy_bits(codes[:, k])
        per_codebook.append(
            {
                "codebook": k,
                "mean_run_frames": float(runs.mean()),
                "mean_run_ms": float(runs.mean() * 1000 / frame_rate),
                "fraction_used": len(np.unique(codes[:, k])) / codebook_size,
                "entries_used": int(len(np.unique(codes[:, k]))),
                "entropy_bits": entropy,
                "perplexity": float(2**entropy),
                "max_entropy_bits": float(np.log2(codebook_size)),
            }
        )
    rng = np.random.default_rng(seed)
    mi = np.zeros((n_codebooks, n_codebooks))
    mi_shuffled = np.zeros((n_codebooks, n_codebooks))
    for i in range(n_codebooks):
        for j in range(i, n_codebooks):
            mi[i, j] = mi[j, i] = mutual_information_bits(codes[:, i], codes[:, j])
            mi_shuffled[i, j] = mi_shuffled[j, i] = mutual_information_bits(
                codes[:, i], rng.permutation(codes[:, j])
            )
    return {
        "n_frames": int(len(codes)),
        "n_utterances": len(utterance_codes),
        "frame_rate": frame_rate,
        "per_codebook": per_codebook,
        "mutual_information_bits": mi,
        "mutual_information_shuffled_bits": mi_shuffled,
    }
