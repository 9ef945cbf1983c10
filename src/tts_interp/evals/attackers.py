"""The `attackers` set scorer: VoicePrivacy-style attackers over a set of clips grouped by condition.

The per-item scorers (speaker, asr, prosody) score one clip at a time; an attacker scores a *set*: it enrols
voices on some clips and verifies or identifies others. Each clip says which voice speaks which text under
which condition (a mapping of fields such as `{method: leace, site: style.timbre, alpha: 1}`; empty = original
speech), and which clip is its original (the same voice and text, unedited). The originals are the attackers'
knowledge of the voices; the attackers themselves are evals/privacy.py. The same function serves
`erase score` (an erasure sweep's clips), `eval --scorers ...,attackers` (a manifest with `voice` and
`condition` fields and the original as `reference`) and suites (cells grouped by their grid fields).

Per condition: ignorant and lazy-informed verification EER, closed-set identification and, from the per-item
ASR rows, corpus WER/CER; the original speech is the first row (condition `original`). Conditions with an
`alpha` field give the privacy-utility frontier: ignorant EER against WER over alpha.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tts_interp.core.errors import BadInputError
from tts_interp.evals import privacy
from tts_interp.evals.metrics import summary

ORIGINAL = "original"
PROTOCOL = ("per voice, the lower half of its texts (sorted) enrol and the rest are trials; ignorant: enrols on "
            "the original clips, tries the condition's clips; lazy-informed: enrols and tries on clips of the same "
            "condition; identification: nearest original enrolment centroid (chance 1/voices); EER CI: bootstrap "
            "over trial clips (a clip's trials together); WER/CER: corpus rates with a bootstrap CI over clips")


@dataclass(frozen=True)
class AttackClip:
    """One clip for the attackers: voice, text, condition fields, its audio and its original's audio."""

    id: str
    voice: str
    text: str
    audio: Path
    condition: Mapping[str, Any] = field(default_factory=dict)
    original: Path | None = None  # None: the clip is itself original speech (empty condition)


def attack_clip(clip_id: str, audio: Path, text: str | None, voice: Any, condition: Any,
                original: Path | None) -> AttackClip | str:
    """An AttackClip from a row's parts, or why the row cannot take part (no voice or text, a bad condition).

    `condition`: None (original speech), a name, or a mapping of fields (e.g. method, site, alpha)."""
    if not isinstance(voice, str) or not voice.strip():
        return "no `voice` field: the attackers need to know which voice speaks"
    if not text or not text.strip():
        return "no text: the attackers split each voice's texts into enrolment and trials"
    if condition is None:
        fields: dict[str, Any] = {}
    elif isinstance(condition, str) and condition.strip():
        fields = {"condition": condition}
    elif isinstance(condition, Mapping) and condition:
        fields = dict(condition)
    else:
        return f"field `condition` must be a name or a mapping of fields, got {condition!r}"
    if fields and original is None:
        return "an edited clip needs its original (the same voice and text, unedited) as its one `reference` clip"
    return AttackClip(clip_id, voice, text, Path(audio), fields, original if fields else None)


def item_clip(item: Any) -> AttackClip | str:
    """A manifest item for the attackers: its `voice` and `condition` fields and, for an edited clip, its one
    `reference` clip as the original."""
    clips = item.reference.clips if item.reference is not None else ()
    original = clips[0] if len(clips) == 1 else None
    return attack_clip(item.id, item.audio, item.text, item.fields.get("voice"), item.fields.get("condition"),
                       original)


def score_rows(clips: Sequence[AttackClip | str], ids: Sequence[str], embed: Callable[[list[Path]], dict],
               asr: Mapping[Path, Mapping[str, Any]], seed: int = 0) -> dict[str, Any]:
    """`score_attackers` over the usable clips; the rows that could not take part are listed with why (and
    when none can, the result says so instead of raising, so the item scores already made are kept)."""
    usable = [c for c in clips if isinstance(c, AttackClip)]
    left_out = [{"id": i, "reason": c} for i, c in zip(ids, clips, strict=True) if isinstance(c, str)]
    try:
        scored = score_attackers(usable, embed, asr, seed)
    except BadInputError as exc:
        return {"conditions": [], "frontier": {}, "unusable": left_out, "reason": str(exc), "protocol": PROTOCOL}
    return {**scored, "unusable": left_out + scored["unusable"]}


def condition_label(fields: Mapping[str, Any]) -> str:
    """`method=leace site=style.timbre alpha=1`, a named condition's name, or `original` for no fields."""
    if not fields:
        return ORIGINAL
    if list(fields) == ["condition"]:  # a condition given by name
        return str(fields["condition"])
    return " ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in fields.items())


def _key(fields: Mapping[str, Any]) -> tuple[tuple[str, tuple[int, float, str]], ...]:
    """A sortable identity of a condition: numbers order by value, anything else by its text."""
    def part(v: Any) -> tuple[int, float, str]:
        number = isinstance(v, (int, float)) and not isinstance(v, bool)
        return (0, float(v), "") if number else (1, 0.0, repr(v))
    return tuple((k, part(v)) for k, v in fields.items())


def _originals(clips: Sequence[AttackClip]) -> dict[tuple[str, str], set[Path]]:
    out: dict[tuple[str, str], set[Path]] = defaultdict(set)
    for clip in clips:
        if not clip.condition:
            out[(clip.voice, clip.text)].add(clip.audio)
        elif clip.original is not None:
            out[(clip.voice, clip.text)].add(clip.original)
    return out


def _utility(paths: Sequence[Path], asr: Mapping[Path, Mapping[str, Any]], seed: int) -> dict[str, Any]:
    rows = [asr[p] for p in paths if p in asr and asr[p].get("word_errors") is not None]
    if not rows:
        empty = {"n": 0, "value": None, "ci95": None, "no_ci_reason": "no transcribed clips (scorer 'asr')"}
        return {"wer": empty, "cer": empty}
    return {"wer": summary([r["word_errors"] for r in rows], [r["ref_words"] for r in rows], seed),
            "cer": summary([r["char_errors"] for r in rows], [r["ref_chars"] for r in rows], seed)}


def _row(label: str, fields: Mapping[str, Any], n: int, scores: dict[str, Any] | None,
         utility: dict[str, Any], reason: str | None = None) -> dict[str, Any]:
    row: dict[str, Any] = {"condition": label, **{k: v for k, v in fields.items() if k != "condition"}, "n_clips": n}
    for key in ("ignorant_eer", "lazy_informed_eer"):
        s = (scores or {}).get(key) or {}
        row |= {key: s.get("value"), f"{key}_ci95": s.get("ci95"), f"{key}_n_target": s.get("n_target"),
                f"{key}_n_nontarget": s.get("n_nontarget")}
    ident = (scores or {}).get("identification") or {}
    row |= {"identification": ident.get("value"), "identification_ci95": ident.get("ci95"),
            "identification_n": ident.get("n"), "identification_chance": ident.get("chance"), "eer_chance": 0.5}
    for key in ("wer", "cer"):
        row |= {key: utility[key]["value"], f"{key}_ci95": utility[key]["ci95"], f"{key}_n": utility[key]["n"]}
    row["reason"] = reason
    return row


def score_attackers(clips: Sequence[AttackClip], embed: Callable[[list[Path]], dict[Path, np.ndarray | str]],
                    asr: Mapping[Path, Mapping[str, Any]] | None = None, seed: int = 0) -> dict[str, Any]:
    """The attackers and utility of every condition of `clips`, the original speech first; `embed(paths)` gives
    each path's speaker embedding (or why there is none), `asr` the per-item ASR row of each scored audio."""
    asr = asr or {}
    originals = _originals(clips)
    texts: dict[str, set[str]] = defaultdict(set)
    for voice, text in originals:
        texts[voice].add(text)
    index = {(voice, text): k for voice, ts in texts.items() for k, text in enumerate(sorted(ts))}
    paths = list(dict.fromkeys([p for ps in originals.values() for p in sorted(ps)] + [c.audio for c in clips]))
    embeddings = embed(paths)
    unusable = [{"id": str(p), "reason": e} for p, e in embeddings.items() if isinstance(e, str)]
    plain = [privacy.Clip(voice, index[(voice, text)], embeddings[p]) for (voice, text), ps in originals.items()
             for p in sorted(ps) if not isinstance(embeddings[p], str)]
    if not plain:
        raise BadInputError("the attackers need original speech to enrol on: no clip has an empty condition or an "
                            "original, or none of those could be embedded")
    groups: dict[tuple, list[AttackClip]] = defaultdict(list)
    for clip in clips:
        if not clip.condition:
            continue
        if (clip.voice, clip.text) not in index:
            unusable.append({"id": clip.id, "reason": f"no original clip of voice {clip.voice!r} saying this text"})
        elif not isinstance(embeddings[clip.audio], str):
            groups[_key(clip.condition)].append(clip)
    names = list(dict.fromkeys(k for members in groups.values() for k in members[0].condition))
    original_paths = [p for ps in originals.values() for p in sorted(ps)]
    baseline = _attempt(lambda: privacy.baseline(plain, seed))
    table = [_row(ORIGINAL, dict.fromkeys(names), len(plain), baseline, _utility(original_paths, asr, seed),
                  baseline.get("reason"))]
    for key in sorted(groups):
        members = groups[key]
        fields = dict(members[0].condition)
        erased = [privacy.Clip(c.voice, index[(c.voice, c.text)], embeddings[c.audio]) for c in members]
        scores = _attempt(lambda: privacy.attackers(plain, erased, seed))  # noqa: B023
        table.append(_row(condition_label(fields), {n: fields.get(n) for n in names}, len(members), scores,
                          _utility([c.audio for c in members], asr, seed), scores.get("reason")))
    return {"conditions": table, "frontier": frontier(table, names), "unusable": unusable, "n_voices": len(texts),
            "protocol": PROTOCOL}


def _attempt(make: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """The attackers' result, or {"reason": why they could not run} (too few texts, an unenrolled voice)."""
    try:
        return make()
    except BadInputError as exc:
        return {"reason": str(exc)}


def frontier(table: Sequence[Mapping[str, Any]], fields: Sequence[str]) -> dict[str, dict[str, list[dict]]]:
    """Per panel (the `site` field, else `all`) and line (the other fields but alpha): (alpha, ignorant EER,
    WER) points by alpha, starting at the original speech (alpha 0) unless the sweep has its own alpha 0."""
    if "alpha" not in fields:
        return {}
    base = table[0]
    out: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for row in table[1:]:
        if row.get("alpha") is None or row.get("ignorant_eer") is None:
            continue
        rest = {f: row[f] for f in fields if f not in ("alpha", "site") and row.get(f) is not None}
        line = " ".join(str(v) for v in rest.values()) or "all"
        out[str(row.get("site") or "all")][line].append(
            {"alpha": float(row["alpha"]), "ignorant_eer": row["ignorant_eer"],
             "ignorant_eer_ci95": row["ignorant_eer_ci95"], "wer": row["wer"], "wer_ci95": row["wer_ci95"]})
    for lines in out.values():
        for points in lines.values():
            points.sort(key=lambda p: p["alpha"])
            if points[0]["alpha"] != 0.0:
                points.insert(0, {"alpha": 0.0, "ignorant_eer": base["ignorant_eer"],
                                  "ignorant_eer_ci95": base["ignorant_eer_ci95"], "wer": base["wer"],
                                  "wer_ci95": base["wer_ci95"], "unerased": True})
    return {site: dict(lines) for site, lines in out.items()}
