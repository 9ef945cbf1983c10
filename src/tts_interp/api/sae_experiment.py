"""`tts-interp features sae`: activations to shards, an SAE trained from them, its held-out quality, its
faithfulness in transcription beside baselines (features/baselines.py: a PCA with the SAE's k components, mean
ablation, the SAE with its error added back), and its features' top snippets and phoneme purity.

Outputs in `out_dir`: `shards/` (reused when their index matches this run's model, site and corpus, rebuilt
otherwise), `sae/` (sae.safetensors + sae.json), `faithfulness/` (clean vs spliced transcripts of the held-out
clips, WER/CER with CIs), `features/` (as `features neurons`), and `result.json`.
"""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Callable, Iterable
from dataclasses import asdict, replace
from pathlib import Path

from tts_interp.core.results import write_result
from tts_interp.evals.feature_edits import transcribe_with_edits
from tts_interp.interventions.features.baselines import (
    MeanReconstruction,
    WithError,
    pca_baselines,
    seed_stability,
)
from tts_interp.interventions.features.corpus import Clip
from tts_interp.interventions.features.edits import Condition, FeatureEdit
from tts_interp.interventions.features.sae import SAEConfig, evaluate_sae, save_sae, train_sae
from tts_interp.interventions.features.shards import HELDOUT_EVERY, read_index, write_shards
from tts_interp.interventions.features.unit_scan import Draw, run_unit_scan


def _shards(adapter, corpus: Callable[[], Iterable[Clip]], site: str, shard_dir: Path, identity: dict,  # noqa: ANN001
            on_batch: Callable[[int], None] | None) -> dict:
    if (shard_dir / "index.json").is_file():
        index = read_index(shard_dir)
        if all(index.get(k) == v for k, v in identity.items()):
            return index
        shutil.rmtree(shard_dir)  # made under another model, site or corpus: never mixed in
    return write_shards(adapter, corpus(), site, shard_dir, meta=identity, on_batch=on_batch)


def run_sae(adapter, corpus: Callable[[], Iterable[Clip]], corpus_name: str, config: SAEConfig, out_dir: Path,  # noqa: ANN001
            faithfulness_clips: int = 8, meta: dict | None = None,
            on_batch: Callable[[int], None] | None = None, on_step: Callable[[int, dict], None] | None = None,
            draw: Draw | None = None, stability: bool = True) -> dict:
    """Train and evaluate one SAE on `config.site`; return result.json's payload. With `stability`, a second SAE
    (seed + 1) gives the share of features found again (features/baselines.seed_stability)."""
    out_dir = Path(out_dir)
    identity = {"model_id": adapter.model_id, "site": config.site, "corpus": corpus_name}
    index = _shards(adapter, corpus, config.site, out_dir / "shards", identity, on_batch)
    config = replace(config, model_id=adapter.model_id)
    sae = train_sae(out_dir / "shards", config, on_step)
    heldout = evaluate_sae(sae, out_dir / "shards")
    baselines, pca = pca_baselines(out_dir / "shards", config.k, heldout["fve"])
    heldout["baselines"] = baselines
    if stability:
        other = train_sae(out_dir / "shards", replace(config, seed=config.seed + 1))
        heldout["seed_stability"] = seed_stability(sae, other)
    save_sae(sae, out_dir / "sae", {"heldout": heldout, "model": adapter.describe(), "corpus": corpus_name})
    held_clips = (c for i, c in enumerate(corpus()) if i % HELDOUT_EVERY == 0 and c.text)
    modules = {"sae+error": WithError(sae), f"pca-{config.k}": pca, "mean": MeanReconstruction(pca.mean)}
    conditions = [Condition("splice", (FeatureEdit(config.site, "splice", sae=str(out_dir / "sae")),))] + \
        [Condition(name, (FeatureEdit(config.site, "splice", sae=name),)) for name in modules]
    faithful = transcribe_with_edits(adapter, itertools.islice(held_clips, faithfulness_clips), conditions,
                                     out_dir / "faithfulness", meta={"model": adapter.describe()}, modules=modules)
    features = run_unit_scan(adapter, corpus, config.site, out_dir / "features", unit_fn=sae.encode,
                             meta={"model": adapter.describe(), "units": "sae features", "sae": str(out_dir / "sae")},
                             draw=draw)
    payload = {"config": asdict(config), "corpus": corpus_name, "shard_rows": index["rows"], "heldout": heldout,
               "faithfulness": {"n_items": faithful["n_items"], **faithful["aggregates"]},
               "purest_features": features["purest"], "noise_features": features["noise_units"],
               **(meta or {})}
    write_result(out_dir, payload)
    return payload
