"""The `attackers` set scorer: VoicePrivacy-style attackers over a set of clips grouped by condition.

The per-item scorers (speaker, asr, prosody) score one clip at a time; an attacker scores a *set*: it enrols
voices on some clips and verifies or identifies others. Each clip says which voice speaks which text under
which condition (a mapping of fields such as `{method: leace, site: style.timbre, alpha: 1}`; empty = original
speech), and which clip is its original (the same voice and text, unedited). The originals are the attackers'
knowledge of the voices; the attackers themselves are evals/privacy.py. The same function serves
`erase score` (an erasure sweep's clips), `eval --scorers ...,attackers` (a manifest with `voice` and
`condition` fields and the original as `reference`) and suites (cells grouped by their grid fields).

Per condition and per verifier (speaker encoder): ignorant, lazy-informed and, where the set holds clips of
the attacker's own voices (`role: attacker`, the same conditions), semi-informed verification EER; closed-set
identification and, from the per-item ASR rows, corpus WER/CER; the original speech is the first row (condition
`original`). A clip may carry the fit set of the thing that edited it (an eraser's voices and texts): each row
then says whether it is scored `open-set`, `closed-set` or with a `partial-overlap` (core/protocol.py).
Conditions with an `alpha` field give the privacy-utility frontier: ignorant EER against WER over alpha.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tts_interp.core.errors import BadInputError
from tts_interp.core.protocol import FitSet, protocol_of, warning_of
from tts_interp.evals import privacy
from tts_interp.evals.metrics import summary
from tts_interp.evals.prosody import KeptProsody

ORIGINAL = "original"
EVALUATED, ATTACKER = "evaluated", "attacker"  # a clip's role: a voice under attack, or the attacker's own voice
ATTACKS = ("ignorant_eer", "lazy_informed_eer", "semi_informed_eer")
Embed = Callable[[list[Path]], dict[Path, np.ndarray | str]]
DESIGN = ("per voice, the lower half of its texts (sorted) enrol and the rest are trials; ignorant: enrols on "
            "the original clips, tries the condition's clips; lazy-informed: enrols and tries on clips of the same "
            "condition; semi-informed: an LDA back-end trained on the attacker's own voices under the same condition, "
            "enrolling and trying the condition's clips in its space; identification: nearest original enrolment "
            "centroid (chance 1/voices); EER and identification CI: bootstrap over voices, then trial clips within "
            "each (a clip's trials together); WER/CER: corpus rates with a bootstrap CI over clips")


@dataclass(frozen=True)
class AttackClip:
    """One clip for the attackers: voice, text, condition fields, its audio and its original's audio."""

    id: str
    voice: str
    text: str
    audio: Path
    condition: Mapping[str, Any] = field(default_factory=dict)
    original: Path | None = None  # None: the clip is itself original speech (empty condition)
    role: str = EVALUATED
    fit: FitSet | None = None  # what the edit was fitted on (None: not an edit of a fitted thing, or unrecorded)


def attack_clip(clip_id: str, audio: Path, text: str | None, voice: Any, condition: Any,
                original: Path | None, role: Any = None, fit: Any = None) -> AttackClip | str:
    """An AttackClip from a row's parts, or why the row cannot take part (no voice or text, a bad condition).

    `condition`: None (original speech), a name, or a mapping of fields (e.g. method, site, alpha); `role`:
    `evaluated` (default) or `attacker`; `fit`: {voices, texts} the edit was fitted on."""
    role = role or EVALUATED
    if role not in (EVALUATED, ATTACKER):
        return f"field `role` must be {EVALUATED!r} or {ATTACKER!r}, got {role!r}"
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
    return AttackClip(clip_id, voice, text, Path(audio), fields, original if fields else None, role,
                      FitSet.from_json(fit) if isinstance(fit, Mapping) else None)


def item_clip(item: Any) -> AttackClip | str:
    """A manifest item for the attackers: its `voice` and `condition` fields and, for an edited clip, its one
    `reference` clip as the original."""
    clips = item.reference.clips if item.reference is not None else ()
    original = clips[0] if len(clips) == 1 else None
    return attack_clip(item.id, item.audio, item.text, item.fields.get("voice"), item.fields.get("condition"),
                       original, item.fields.get("role"), item.fields.get("fit"))


def score_rows(clips: Sequence[AttackClip | str], ids: Sequence[str], embed: Embed | Mapping[str, Embed],
               asr: Mapping[Path, Mapping[str, Any]], seed: int = 0, prosody: bool = False) -> dict[str, Any]:
    """`score_attackers` over the usable clips; the rows that could not take part are listed with why (and
    when none can, the result says so instead of raising, so the item scores already made are kept)."""
    usable = [c for c in clips if isinstance(c, AttackClip)]
    left_out = [{"id": i, "reason": c} for i, c in zip(ids, clips, strict=True) if isinstance(c, str)]
    try:
        scored = score_attackers(usable, embed, asr, seed, prosody)
    except BadInputError as exc:
        return {"conditions": [], "frontier": {}, "unusable": left_out, "reason": str(exc), "design": DESIGN}
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
    for key in ATTACKS:
        s = (scores or {}).get(key) or {}
        row |= {key: s.get("value"), f"{key}_ci95": s.get("ci95"), f"{key}_n_target": s.get("n_target"),
                f"{key}_n_nontarget": s.get("n_nontarget")}
    ident = (scores or {}).get("identification") or {}
    row |= {"identification": ident.get("value"), "identification_ci95": ident.get("ci95"),
            "identification_n": ident.get("n"), "identification_chance": ident.get("chance"), "eer_chance": 0.5}
    for key in ("wer", "cer"):
        row |= {key: utility[key]["value"], f"{key}_ci95": utility[key]["ci95"], f"{key}_n": utility[key]["n"]}
    row["reason"] = reason
    row["semi_informed_reason"] = ((scores or {}).get("semi_informed_eer") or {}).get("reason")
    return row


def _protocol(members: Sequence[AttackClip]) -> dict[str, Any]:
    """The held-out protocol of a condition's clips against the fit set of the edit that made them."""
    fits = {c.fit for c in members}
    if fits == {None}:
        return {"protocol": "not fitted", "overlapping_voices": [], "text_protocol": None}
    fit = next(iter(fits)) if len(fits) == 1 else None
    found = protocol_of(fit, [c.voice for c in members], [c.text for c in members])
    return {k: found.get(k) for k in ("protocol", "overlapping_voices", "text_protocol")}


@dataclass
class _Set:
    """The clips of one role: originals by (voice, text), each text's index within its voice, conditions."""

    clips: list[AttackClip]
    originals: dict[tuple[str, str], set[Path]] = field(init=False)
    index: dict[tuple[str, str], int] = field(init=False)
    groups: dict[tuple, list[AttackClip]] = field(init=False)

    def __post_init__(self) -> None:
        self.originals = _originals(self.clips)
        texts: dict[str, set[str]] = defaultdict(set)
        for voice, text in self.originals:
            texts[voice].add(text)
        self.index = {(v, t): k for v, ts in texts.items() for k, t in enumerate(sorted(ts))}
        self.groups = defaultdict(list)
        for clip in self.clips:
            if clip.condition:
                self.groups[_key(clip.condition)].append(clip)

    @property
    def original_paths(self) -> list[Path]:
        return [p for ps in self.originals.values() for p in sorted(ps)]

    def plain(self, embeddings: Mapping[Path, Any]) -> list[privacy.Clip]:
        return [privacy.Clip(v, self.index[(v, t)], embeddings[p]) for (v, t), ps in self.originals.items()
                for p in sorted(ps) if not isinstance(embeddings[p], str)]

    def edited(self, key: tuple, embeddings: Mapping[Path, Any]) -> list[privacy.Clip]:
        return [privacy.Clip(c.voice, self.index[(c.voice, c.text)], embeddings[c.audio])
                for c in self.groups.get(key, ()) if (c.voice, c.text) in self.index
                and not isinstance(embeddings[c.audio], str)]


def _with_verifier(verifier: str, row: dict[str, Any], protocol: dict[str, Any]) -> dict[str, Any]:
    """The row with its verifier after the condition's name and its held-out protocol at the end."""
    return {"condition": row["condition"], "verifier": verifier, **row, **protocol}


def _verifiers(embed: Embed | Mapping[str, Embed]) -> dict[str, Embed]:
    return dict(embed) if isinstance(embed, Mapping) else {"verifier": embed}


def score_attackers(clips: Sequence[AttackClip], embed: Embed | Mapping[str, Embed],
                    asr: Mapping[Path, Mapping[str, Any]] | None = None, seed: int = 0,
                    prosody: bool = False) -> dict[str, Any]:
    """The attackers and utility of every condition of `clips` under every verifier, the original speech first.

    `embed`: one embedding function (paths -> embedding or why there is none) or a mapping verifier name -> such
    a function; `asr`: the per-item ASR row of each scored audio. Clips with role `attacker` train the
    semi-informed attacker and are not attacked themselves. With `prosody`, every condition also reports how much
    of the original's prosody its clips keep (F0-contour correlation, speaking-rate change; evals/prosody.py)."""
    asr = asr or {}
    kept = KeptProsody(prosody)
    target = _Set([c for c in clips if c.role == EVALUATED])
    own = _Set([c for c in clips if c.role == ATTACKER])
    unusable = [{"id": c.id, "reason": f"no original clip of voice {c.voice!r} saying this text"}
                for c in target.clips if c.condition and (c.voice, c.text) not in target.index]
    names = list(dict.fromkeys(k for members in target.groups.values() for k in members[0].condition))
    keys = sorted(target.groups)
    paths = list(dict.fromkeys(target.original_paths + own.original_paths + [c.audio for c in clips]))
    table = []
    for verifier, embed_one in _verifiers(embed).items():
        embeddings = embed_one(paths)
        unusable += [{"id": str(p), "reason": f"{verifier}: {e}"} for p, e in embeddings.items() if isinstance(e, str)]
        plain = target.plain(embeddings)
        if not plain:
            raise BadInputError("the attackers need original speech to enrol on: no clip has an empty condition or "
                                "an original, or none of those could be embedded")
        mine = own.plain(embeddings)
        baseline = _attempt(lambda: privacy.baseline(plain, seed, mine))  # noqa: B023
        table.append(_with_verifier(verifier, _row(ORIGINAL, dict.fromkeys(names), len(plain), baseline,
                                                   _utility(target.original_paths, asr, seed), baseline.get("reason")),
                                    {"protocol": "original speech", "overlapping_voices": [], "text_protocol": None}))
        for key in keys:
            members, fields = target.groups[key], dict(target.groups[key][0].condition)
            erased, attacker = target.edited(key, embeddings), own.edited(key, embeddings)
            scores = _attempt(lambda: privacy.attackers(plain, erased, seed, attacker))  # noqa: B023
            row = _row(condition_label(fields), {n: fields.get(n) for n in names}, len(erased), scores,
                       _utility([c.audio for c in members], asr, seed), scores.get("reason"))
            table.append(_with_verifier(verifier, row | kept(members, seed), _protocol(members)))
    return {"conditions": table, "frontier": frontier(table, names), "unusable": unusable,
            "n_voices": len({v for v, _ in target.index}), "attacker_voices": sorted({v for v, _ in own.index}),
            "verifiers": list(_verifiers(embed)), "protocol": overall_protocol(table), "design": DESIGN}


def overall_protocol(table: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The protocols of a table's edited conditions, and one warning line per condition that is not open-set."""
    kinds = sorted({str(r.get("protocol")) for r in table if r["condition"] != ORIGINAL})
    warnings = list(dict.fromkeys(w for r in table if r["condition"] != ORIGINAL and r.get("protocol") not in
                                  ("open-set", "not fitted")
                                  for w in [warning_of(r, f"condition {r['condition']}")] if w))
    return {"protocols": kinds, "warnings": warnings}


def _attempt(make: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """The attackers' result, or {"reason": why they could not run} (too few texts, an unenrolled voice)."""
    try:
        return make()
    except BadInputError as exc:
        return {"reason": str(exc)}


def frontier(table: Sequence[Mapping[str, Any]], fields: Sequence[str]) -> dict[str, dict[str, list[dict]]]:
    """Per panel (the `site` field, else `all`) and line (the other fields but alpha, and the verifier when there
    are several): (alpha, ignorant EER, WER) points by alpha, starting at the original speech (alpha 0) unless the
    sweep has its own alpha 0."""
    if "alpha" not in fields:
        return {}
    bases = {r.get("verifier"): r for r in table if r["condition"] == ORIGINAL}
    several = len(bases) > 1
    out: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for row in table:
        if row["condition"] == ORIGINAL or row.get("alpha") is None or row.get("ignorant_eer") is None:
            continue
        rest = {f: row[f] for f in fields if f not in ("alpha", "site") and row.get(f) is not None}
        line = " ".join(str(v) for v in rest.values()) or "all"
        line = f"{line} ({row.get('verifier')})" if several else line
        out[str(row.get("site") or "all")][line].append(
            {"alpha": float(row["alpha"]), "ignorant_eer": row["ignorant_eer"], "verifier": row.get("verifier"),
             "ignorant_eer_ci95": row["ignorant_eer_ci95"], "wer": row["wer"], "wer_ci95": row["wer_ci95"]})
    for lines in out.values():
        for points in lines.values():
            points.sort(key=lambda p: p["alpha"])
            base = bases.get(points[0]["verifier"]) or next(iter(bases.values()))
            if points[0]["alpha"] != 0.0:
                points.insert(0, {"alpha": 0.0, "ignorant_eer": base["ignorant_eer"], "verifier": base.get("verifier"),
                                  "ignorant_eer_ci95": base["ignorant_eer_ci95"], "wer": base["wer"],
                                  "wer_ci95": base["wer_ci95"], "unerased": True})
    return {site: dict(lines) for site, lines in out.items()}
