"""Activations of one site on disk: safetensors shards of rows, each row marked with its clip, frame and
whether it is padding, so that training and evaluation stream from disk in bounded memory.

Padding frames (the 30 s window past a clip's end) are stored only when asked (`keep_padding`), always
marked, and dropped by every reader. Clips whose index is a multiple of `HELDOUT_EVERY` are held out.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from tts_interp.core.errors import BadInputError
from tts_interp.core.results import write_json
from tts_interp.interventions.features.activations import clip_batches
from tts_interp.interventions.features.corpus import Clip

HELDOUT_EVERY = 5
INDEX = "index.json"


def write_shards(adapter, clips: Iterable[Clip], site: str, out_dir: Path, rows_per_shard: int = 16_384,  # noqa: ANN001
                 batch_size: int = 8, keep_padding: bool = False, meta: dict | None = None,
                 on_batch: Callable[[int], None] | None = None) -> dict:
    """Run the encoder over `clips` and write `site`'s rows as float16 shards plus `index.json`."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    pending: dict[str, list[torch.Tensor]] = {"acts": [], "clip": [], "frame": [], "padding": []}
    shards, clip_ids, rows = [], [], 0

    def flush() -> None:
        nonlocal pending
        if pending["acts"]:
            name = f"shard_{len(shards):05d}.safetensors"
            save_file({k: torch.cat(v) for k, v in pending.items()}, str(out_dir / name))
            shards.append(name)
            pending = {k: [] for k in pending}

    for batch in clip_batches(clips, batch_size):
        features, valid = adapter.features([c.audio for _, c in batch])
        _, saved = adapter.run_encoder(features, reads=[site])
        for row, ((index, clip), n) in enumerate(zip(batch, valid, strict=True)):
            total = saved[site].shape[1] if keep_padding else n
            pending["acts"].append(saved[site][row, :total].half())
            pending["clip"].append(torch.full((total,), index, dtype=torch.int32))
            pending["frame"].append(torch.arange(total, dtype=torch.int32))
            pending["padding"].append(torch.arange(total) >= n)
            clip_ids.append(clip.clip_id)
            rows += total
        if sum(len(x) for x in pending["clip"]) >= rows_per_shard:
            flush()
        if on_batch:
            on_batch(len(batch))
    flush()
    index = {"site": site, "dim": int(saved[site].shape[-1]) if shards else 0, "rows": rows, "shards": shards,
             "clip_ids": clip_ids, "heldout_every": HELDOUT_EVERY, "keep_padding": keep_padding, **(meta or {})}
    write_json(out_dir / INDEX, index)
    return index


def read_index(shard_dir: Path) -> dict:
    path = Path(shard_dir) / INDEX
    if not path.is_file():
        raise BadInputError(f"{shard_dir} holds no activation shards ({INDEX} missing); write them first")
    return json.loads(path.read_text())


def iter_rows(shard_dir: Path, split: str, batch_size: int, shuffle_seed: int | None = None,
              ) -> Iterator[torch.Tensor]:
    """Batches (float32) of real-frame rows of split `train` or `heldout`, shard by shard (one in memory)."""
    index = read_index(shard_dir)
    generator = torch.Generator().manual_seed(shuffle_seed) if shuffle_seed is not None else None
    for name in index["shards"]:
        shard = load_file(str(Path(shard_dir) / name))
        held = (shard["clip"] % index["heldout_every"]) == 0
        keep = ~shard["padding"] & (held if split == "heldout" else ~held)
        acts = shard["acts"][keep].float()
        order = torch.randperm(len(acts), generator=generator) if generator is not None else torch.arange(len(acts))
        for start in range(0, len(acts), batch_size):
            yield acts[order[start:start + batch_size]]


def endless_rows(shard_dir: Path, batch_size: int, seed: int) -> Iterator[torch.Tensor]:
    """Training batches of exactly `batch_size` rows, cycling over the shards (reshuffled each epoch)."""
    epoch, carry = 0, torch.zeros(0)
    while True:
        got = False
        for batch in iter_rows(shard_dir, "train", batch_size, shuffle_seed=seed + epoch):
            got = True
            carry = torch.cat([carry.reshape(-1, batch.shape[1]), batch]) if carry.numel() else batch
            while len(carry) >= batch_size:
                yield carry[:batch_size]
                carry = carry[batch_size:]
        if not got:
            raise BadInputError(f"{shard_dir} has no training rows (all clips held out or padding)")
        epoch += 1
