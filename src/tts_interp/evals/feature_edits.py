"""Transcribing a corpus with feature edits, and scoring each edited transcript against the clean one.

Per item: the clean transcript, one transcript per condition, and word/character edit counts of each
condition against clean (and against the reference text when the corpus has one). Aggregates are corpus
rates (sum of errors over sum of words) with item-bootstrap 95% CIs; the clean run's own rate against the
reference is the baseline. Items are appended to `items.jsonl` as they finish.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from tts_interp.core.results import write_result
from tts_interp.core.stats import control_rank
from tts_interp.evals.metrics import edit_counts, summary
from tts_interp.evals.normalize import get_normalizer
from tts_interp.interventions.features.activations import clip_batches
from tts_interp.interventions.features.corpus import Clip
from tts_interp.interventions.features.edits import Condition, make_edit
from tts_interp.interventions.features.sae import load_sae


def _counts(reference: str, hypothesis: str, normalize: Callable[[str], str]) -> dict | None:
    ref = normalize(reference)
    if not ref.strip():
        return None
    c = edit_counts(ref, normalize(hypothesis))
    return {"word_errors": c.word_errors, "words": c.words, "char_errors": c.char_errors, "chars": c.chars}


def _rate(rows: list[dict], key: str, errors: str, total: str) -> dict:
    pairs = [(r[key][errors], r[key][total]) for r in rows if r.get(key)]
    return summary([p[0] for p in pairs], [p[1] for p in pairs]) if pairs else {"n": 0, "value": None, "ci95": None}


def transcribe_with_edits(adapter, clips: Iterable[Clip], conditions: Sequence[Condition], out_dir: Path,  # noqa: ANN001
                          batch_size: int = 8, normalizer: str = "whisper", meta: dict | None = None,
                          on_batch: Callable[[int], None] | None = None,
                          modules: dict[str, Any] | None = None) -> dict:
    """Clean and edited greedy transcripts of every clip; per-item counts and aggregate WER/CER with CIs. An
    edit's `sae` names an SAE folder, or a key of `modules` (a reconstruction made in memory, e.g. a PCA)."""
    normalize = get_normalizer(normalizer)
    modules = modules or {}
    saes = {e.sae: modules[e.sae] if e.sae in modules else load_sae(Path(e.sae))
            for c in conditions for e in c.edits if e.sae}
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    items_path = out_dir / "items.jsonl"
    items_path.write_text("")
    rows: list[dict] = []
    for batch in clip_batches(clips, batch_size):
        audio = [c.audio for _, c in batch]
        features, valid = adapter.features(audio)
        clean_hidden, _ = adapter.run_encoder(features)
        texts = {"clean": adapter.processor.tokenizer.batch_decode(adapter.greedy(clean_hidden), skip_special_tokens=True)}
        for condition in conditions:
            edits = {e.site: make_edit(e, valid, saes.get(e.sae)) for e in condition.edits}
            hidden, _ = adapter.run_encoder(features, edits=edits)
            texts[condition.name] = adapter.processor.tokenizer.batch_decode(adapter.greedy(hidden), skip_special_tokens=True)
        for row, (_, clip) in enumerate(batch):
            item = {"id": clip.clip_id, "kind": clip.kind, "reference": clip.text,
                    "clean": texts["clean"][row].strip(),
                    "clean_vs_reference": _counts(clip.text, texts["clean"][row], normalize) if clip.text else None}
            for condition in conditions:
                hyp = texts[condition.name][row].strip()
                item[condition.name] = {"text": hyp, "vs_clean": _counts(texts["clean"][row], hyp, normalize),
                                        "vs_reference": _counts(clip.text, hyp, normalize) if clip.text else None}
            rows.append(item)
            with items_path.open("a") as handle:
                handle.write(json.dumps(item) + "\n")
        if on_batch:
            on_batch(len(batch))
    aggregates = {"clean_vs_reference": {"wer": _rate(rows, "clean_vs_reference", "word_errors", "words"),
                                         "cer": _rate(rows, "clean_vs_reference", "char_errors", "chars")}}
    for condition in conditions:
        flat = [{"vs_clean": r[condition.name]["vs_clean"], "vs_reference": r[condition.name]["vs_reference"]}
                for r in rows]
        aggregates[condition.name] = {
            "edits": [e.to_json() for e in condition.edits],
            "wer_vs_clean": _rate(flat, "vs_clean", "word_errors", "words"),
            "cer_vs_clean": _rate(flat, "vs_clean", "char_errors", "chars"),
            "wer_vs_reference": _rate(flat, "vs_reference", "word_errors", "words"),
            "cer_vs_reference": _rate(flat, "vs_reference", "char_errors", "chars"),
            "changed_items": sum(r[condition.name]["text"] != r["clean"] for r in rows)}
    controls = [c.name for c in conditions if c.control]
    tested = [c.name for c in conditions if not c.control]
    against = {"against_controls": {
        "condition": tested[0], "statistic": "wer_vs_clean",
        **control_rank(aggregates[tested[0]]["wer_vs_clean"]["value"],
                       [aggregates[c]["wer_vs_clean"]["value"] for c in controls])}} if controls and tested else {}
    payload = {"n_items": len(rows), "normalizer": normalizer, "aggregates": aggregates, **against,
               "baseline": "wer_vs_clean of an unedited run is 0 by construction; clean_vs_reference is the "
                           "model's own error on the corpus", **(meta or {})}
    write_result(out_dir, payload)
    return payload
