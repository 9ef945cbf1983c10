"""The scorer: items in, one row of metrics per item out, in batches, with per-item failures.

`Evaluator` loads each backend once (lazily; a backend that cannot load fails the items that need it, with
its message, and the rest goes on), embeds and transcribes a batch at a time, keeps only per-item numbers
(embeddings are cached on disk, and only speaker centroids stay in memory, in a bounded LRU), and turns every
problem with an item into `status = failed` plus a reason.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tts_interp.core.device import resolve_device
from tts_interp.core.errors import BadInputError, TTSInterpError
from tts_interp.core.fingerprint import content_hash
from tts_interp.core.lru import LRU
from tts_interp.core.paths import file_sha256
from tts_interp.evals import metrics, prosody
from tts_interp.evals.asr import load_asr_backend
from tts_interp.evals.cache import EmbeddingCache
from tts_interp.evals.calibration import acceptance_score, verifier_calibration
from tts_interp.evals.items import BadRow, EvalItem, SpeakerSet
from tts_interp.evals.normalize import get_normalizer, normalizer_version, seed_tts_normalize
from tts_interp.evals.score_config import (
    ROW_COLUMNS,
    SAMPLE_RATE,
    ScoreConfig,
    absent_scorers,
    load_clip,
    missing_fields,
)
from tts_interp.evals.speaker import load_speaker_backend

CENTROID_LRU = 256  # speaker models kept in memory at once
TRANSCRIPT_LRU = 4096  # transcripts kept by content hash, so identical clips are transcribed once

@dataclass
class _Row:
    values: dict[str, Any]
    reasons: list[str] = field(default_factory=list)

    def fail(self, reason: str) -> None:
        self.reasons.append(reason)

    def finish(self) -> dict[str, Any]:
        self.values["status"] = "failed" if self.reasons else "ok"
        self.values["error"] = "; ".join(self.reasons) if self.reasons else None
        return self.values


class Evaluator:
    """Scores items with the configured backends; the library behind `eval` and `suite run`."""

    def __init__(self, config: ScoreConfig, cache_root: Path | None = None):
        self.config = config.validated()
        self.device = resolve_device(config.device)
        self.cache_root = cache_root
        self._backends: dict[str, Any] = {}
        self._centroids = LRU(CENTROID_LRU)
        self._pitch = LRU(CENTROID_LRU)
        self._scales = LRU(CENTROID_LRU)
        self._transcripts = LRU(TRANSCRIPT_LRU)
        self._embedding_caches: dict[str, EmbeddingCache] = {}
        self.skipped: dict[str, dict[str, Any]] = {}  # per-row scorers a row gave nothing to: rows, why

    # backends -------------------------------------------------------------------------------------------
    def _backend(self, kind: str) -> Any:
        """The speaker or ASR backend, or `speaker:NAME` (another verifier, with its built-in model), loaded once;
        a load failure is remembered and re-raised."""
        if kind not in self._backends:
            try:
                if kind == "speaker":
                    self._backends[kind] = load_speaker_backend(self.config.speaker, self.device,
                                                                self.config.speaker_model)
                elif kind.startswith("speaker:"):
                    self._backends[kind] = load_speaker_backend(kind.split(":", 1)[1], self.device)
                else:
                    self._backends[kind] = load_asr_backend(self.config.asr, self.device, self.config.asr_model)
            except TTSInterpError as exc:
                self._backends[kind] = exc
        backend = self._backends[kind]
        if isinstance(backend, TTSInterpError):
            raise backend
        return backend

    def describe(self) -> dict[str, Any]:
        """Backends (or why they failed to load), normaliser and versions, for result.json."""
        out: dict[str, Any] = {"device": str(self.device), "normalizer": self.config.normalizer,
                               "normalizer_version": normalizer_version(self.config.normalizer)}
        others = [f"speaker:{v}" for v in self.config.verifiers if v != self.config.speaker]
        for kind in ("speaker", "asr", *others):
            backend = self._backends.get(kind)
            if backend is None:
                out[kind] = {"name": getattr(self.config, kind, kind.split(":")[-1]), "loaded": False}
            elif isinstance(backend, TTSInterpError):
                out[kind] = {"name": getattr(self.config, kind, kind.split(":")[-1]), "loaded": False,
                             "error": str(backend)}
            else:
                out[kind] = {**backend.describe(), "loaded": True}
        return out

    # embeddings -----------------------------------------------------------------------------------------
    def verifiers(self) -> dict[str, Callable[[list[Path]], dict[Path, np.ndarray | str]]]:
        """The attackers' speaker verifiers by name (the config's `verifiers`, else its one speaker backend), each
        as a function of paths to embeddings."""
        names = self.config.verifiers or (self.config.speaker,)
        return {name: (lambda paths, name=name: self.embed_files(paths, verifier=name)) for name in names}

    def _speaker(self, verifier: str | None) -> Any:
        """The speaker backend, or the `verifier` named when it is another one."""
        return self._backend("speaker" if verifier in (None, self.config.speaker) else f"speaker:{verifier}")

    def embedding_cache(self, verifier: str | None = None) -> EmbeddingCache:
        """The on-disk embedding cache of the speaker backend (or of the `verifier` named)."""
        backend = self._speaker(verifier)
        if backend.key not in self._embedding_caches:
            self._embedding_caches[backend.key] = EmbeddingCache(backend.key, self.cache_root)
        return self._embedding_caches[backend.key]

    def embed_files(self, paths: Iterable[Path], loaded: dict[Path, np.ndarray] | None = None,
                    verifier: str | None = None) -> dict[Path, np.ndarray | str]:
        """Embedding (or the reason there is none) of each file by the speaker backend (or the `verifier` named),
        in input order; on-disk cache, batches."""
        backend = self._speaker(verifier)
        cache = self.embedding_cache(verifier)
        order = list(dict.fromkeys(paths))
        out: dict[Path, np.ndarray | str] = {}
        pending: list[tuple[Path, str, np.ndarray]] = []
        for path in order:
            try:
                digest = file_sha256(path) if path.is_file() else ""
                hit = cache.get(digest) if digest else None
                if hit is not None:
                    out[path] = hit
                    continue
                samples = loaded[path] if loaded and path in loaded else load_clip(path)
                pending.append((path, digest, backend.prepare(samples)))
            except (BadInputError, OSError) as exc:
                out[path] = str(exc)
        size = self.config.batch_size
        for start in range(0, len(pending), size):
            chunk = pending[start:start + size]
            embeddings = backend.embed([clip for _, _, clip in chunk])
            for (path, digest, _), embedding in zip(chunk, embeddings, strict=True):
                embedding = np.asarray(embedding, dtype=np.float32)  # as the cache keeps it: hit == miss
                cache.put(digest, embedding)
                out[path] = embedding
        return {path: out[path] for path in order}

    def speaker_centroid(self, speaker: SpeakerSet) -> np.ndarray:
        """The speaker's model (centroid of its clips); BadInputError names a clip that cannot be embedded."""
        if speaker in self._centroids:
            self._centroids.move_to_end(speaker)
            return self._centroids[speaker]
        embeddings = self.embed_files(speaker.clips)
        bad = [f"{p}: {e}" for p, e in embeddings.items() if isinstance(e, str)]
        if bad:
            raise BadInputError(f"speaker {speaker.name!r} clip {bad[0]}")
        return self._centroids.remember(speaker, metrics.centroid(np.stack(list(embeddings.values()))))

    def shift_scale(self, source: SpeakerSet, target: SpeakerSet) -> metrics.ShiftScale | str:
        """The identity shift's endpoints for this speaker pair, or why there are none (one clip only)."""
        key = (source, target)
        if key not in self._scales:
            clips = [np.stack(list(self.embed_files(s.clips).values())) for s in (source, target)]
            try:
                self._scales.remember(key, metrics.shift_scale(*clips))
            except BadInputError as exc:
                self._scales.remember(key, f"not calibrated: {exc}")
        return self._scales[key]

    def speaker_pitch(self, speaker: SpeakerSet) -> prosody.PitchTrack:
        """The pooled F0 of a speaker's clips (for F0 shifts)."""
        if speaker not in self._pitch:
            tracks = []
            for clip in speaker.clips:
                try:
                    tracks.append(prosody.pitch_track(load_clip(clip)))
                except BadInputError as exc:
                    raise BadInputError(f"speaker {speaker.name!r} clip {exc}") from None
            self._pitch.remember(speaker, prosody.pooled(tracks))
        return self._pitch[speaker]

    # scoring --------------------------------------------------------------------------------------------
    def score(self, entries: Iterable[EvalItem | BadRow],
              on_row: Callable[[dict[str, Any]], None] | None = None) -> Iterator[dict[str, Any]]:
        """Score items batch by batch, yielding one row per item in order (and passing it to on_row)."""
        batch: list[EvalItem | BadRow] = []
        for entry in entries:
            batch.append(entry)
            if len(batch) == self.config.batch_size:
                yield from self._emit(self.score_batch(batch), on_row)
                batch = []
        if batch:
            yield from self._emit(self.score_batch(batch), on_row)

    @staticmethod
    def _emit(rows: list[dict[str, Any]], on_row: Callable[[dict[str, Any]], None] | None
              ) -> Iterator[dict[str, Any]]:
        for row in rows:
            if on_row is not None:
                on_row(row)
            yield row

    def score_batch(self, entries: list[EvalItem | BadRow]) -> list[dict[str, Any]]:
        """Score one batch: load audio, then each requested scorer over the items it applies to."""
        rows: list[_Row] = []
        ready: list[tuple[EvalItem, _Row]] = []
        audio: dict[Path, np.ndarray] = {}
        for entry in entries:
            row = _Row({c: None for c in ROW_COLUMNS} | {"id": entry.id, "audio": str(entry.audio),
                                                          "fields": getattr(entry, "fields", {})})
            rows.append(row)
            if isinstance(entry, BadRow):
                row.fail(entry.reason)
                continue
            for reason in missing_fields(entry, self.config.scorers, self.config.per_row):
                row.fail(reason)
            if self.config.per_row:
                for scorer, why in absent_scorers(entry).items():
                    if scorer in self.config.scorers:
                        self.skipped.setdefault(scorer, {"rows": 0, "reason": why})["rows"] += 1
            try:
                audio[entry.audio] = load_clip(entry.audio)
            except BadInputError as exc:
                row.fail(str(exc))
                continue
            ready.append((entry, row))
        scorers = self.config.scorers
        if "speaker" in scorers:
            self._score_speaker([(e, r) for e, r in ready if e.reference or (e.source and e.target)], audio)
        if "asr" in scorers:
            self._score_asr([(e, r) for e, r in ready if e.text], audio)
        if "prosody" in scorers:
            self._score_prosody(ready, audio)
        return [row.finish() for row in rows]

    def _score_speaker(self, work: list[tuple[EvalItem, _Row]], audio: dict[Path, np.ndarray]) -> None:
        if not work:
            return
        try:
            embeddings = self.embed_files([e.audio for e, _ in work], audio)
        except TTSInterpError as exc:
            for _, row in work:
                row.fail(f"speaker backend {self.config.speaker!r} unavailable: {exc}")
            return
        for item, row in work:
            embedding = embeddings[item.audio]
            if isinstance(embedding, str):
                row.fail(f"speaker: {embedding}")
                continue
            try:
                if item.reference is not None:
                    row.values["similarity"] = metrics.cosine(embedding, self.speaker_centroid(item.reference))
                if item.source is not None and item.target is not None:
                    source, target = self.speaker_centroid(item.source), self.speaker_centroid(item.target)
                    scale = self.shift_scale(item.source, item.target)
                    shift = metrics.identity_shift(embedding, source, target,
                                                   scale if isinstance(scale, metrics.ShiftScale) else None)
                    row.values.update(identity_shift=shift.calibrated, identity_shift_raw=shift.projection,
                                      identity_shift_scale=scale if isinstance(scale, str) else
                                      f"leave-one-out place {scale.start:.4f} -> 0, {scale.end:.4f} -> 1 ("
                                      f"{len(item.source.clips)} + {len(item.target.clips)} clips; a 1-clip "
                                      "end is that clip, not calibrated)",
                                      identity_shift_cosine=shift.cosine_share,
                                      source_target_similarity=shift.baseline,
                                      target_score=acceptance_score(
                                          embedding, np.stack(list(self.embed_files(item.target.clips).values()))))
            except BadInputError as exc:
                row.fail(f"speaker: {exc}")

    def _score_asr(self, work: list[tuple[EvalItem, _Row]], audio: dict[Path, np.ndarray]) -> None:
        if not work:
            return
        try:
            backend = self._backend("asr")
        except TTSInterpError as exc:
            for _, row in work:
                row.fail(f"ASR backend {self.config.asr!r} unavailable: {exc}")
            return
        normalize = get_normalizer(self.config.normalizer)
        for (item, row), hypothesis in zip(work, self._transcripts_of(backend, [e.audio for e, _ in work], audio),
                                           strict=True):
            reference, hyp = normalize(item.text or ""), normalize(hypothesis)
            row.values.update(hypothesis=hypothesis, reference_normalized=reference, hypothesis_normalized=hyp)
            try:
                counts = metrics.edit_counts(reference, hyp)
            except BadInputError as exc:
                row.fail(f"asr: {exc}")
                continue
            row.values.update(wer=counts.wer, cer=counts.cer, word_errors=counts.word_errors,
                              ref_words=counts.words, char_errors=counts.char_errors, ref_chars=counts.chars)

    def _transcripts_of(self, backend: Any, paths: list[Path], audio: dict[Path, np.ndarray]) -> list[str]:
        """Each clip's transcript; a clip whose bytes were transcribed before in this run (the same file twice in a
        manifest, an alpha-0 cell identical to its plain run) is transcribed once."""
        digests = [content_hash(p) for p in paths]
        todo = {d: p for d, p in zip(digests, paths, strict=True) if d not in self._transcripts}
        for digest, text in zip(todo, backend.transcribe([audio[p] for p in todo.values()]), strict=True):
            self._transcripts.remember(digest, text)
        return [self._transcripts[d] for d in digests]

    def _score_prosody(self, work: list[tuple[EvalItem, _Row]], audio: dict[Path, np.ndarray]) -> None:
        for item, row in work:
            samples = audio[item.audio]
            track = prosody.pitch_track(samples)
            speech = prosody.speech_seconds(samples)
            words_from = item.text or row.values.get("hypothesis") or ""
            words = len(seed_tts_normalize(words_from).split())
            row.values.update(f0_mean_hz=track.mean_hz, f0_median_hz=track.median_hz,
                              duration_s=len(samples) / SAMPLE_RATE, speech_s=speech,
                              speaking_rate_wps=prosody.speaking_rate(words, speech) if words else None)
            baseline = item.source or item.reference
            if baseline is None:
                continue
            try:
                row.values["f0_shift_semitones"] = prosody.semitone_shift(track, self.speaker_pitch(baseline))
            except BadInputError as exc:
                row.fail(f"prosody: {exc}")

    def calibrate(self, entries: Iterable[EvalItem | BadRow], exclude: Iterable[Path] = (),
                  source: str = "this run's reference/source/target clips (scored items' audio excluded)"
                  ) -> dict[str, Any]:
        """The verifier's EER / threshold / minDCF with CIs on the speaker clips of `entries`, leaving out the
        clips in `exclude` (the scored items' audio); see evals/calibration.py."""
        return verifier_calibration(self, entries, exclude, source)
