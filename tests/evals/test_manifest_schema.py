"""One schema for a list of clips: the same manifest reads in `eval` (items) and in `features` / `codes`
(datasets); the old column names `path` / `file` read as `audio`, with one note."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tts_interp.core.errors import BadInputError
from tts_interp.data.datasets import load_dataset
from tts_interp.data.manifest import manifest_note
from tts_interp.evals.items import EvalItem, read_manifest


def _clips(folder: Path) -> list[dict]:
    for name in ("a.wav", "b.wav"):
        sf.write(folder / name, np.zeros(1600, dtype=np.float32), 16000)
    return [{"id": "a", "audio": "a.wav", "text": "hello", "speaker": "s1"},
            {"id": "b", "audio": "b.wav", "text": "there", "speaker": "s2"}]


@pytest.mark.parametrize("audio_name", ["audio", "path", "file"])
@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_one_manifest_reads_in_eval_and_in_datasets(tmp_path: Path, audio_name: str, suffix: str) -> None:
    rows = [{(audio_name if k == "audio" else k): v for k, v in r.items()} for r in _clips(tmp_path)]
    path = tmp_path / f"clips{suffix}"
    if suffix == ".jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    else:
        path.write_text(",".join(rows[0]) + "\n" + "".join(",".join(r.values()) + "\n" for r in rows))
    items = read_manifest(path)
    assert all(isinstance(i, EvalItem) for i in items), items
    assert [(i.id, i.audio.name, i.text) for i in items] == [("a", "a.wav", "hello"), ("b", "b.wav", "there")]
    assert [i.fields.get("speaker") for i in items] == ["s1", "s2"]  # carried through to items.csv
    dataset = load_dataset(path)
    assert [(u.utt_id, u.path.name, u.speaker, u.text) for u in dataset.utterances] == \
        [("a", "a.wav", "s1", "hello"), ("b", "b.wav", "s2", "there")]
    note = manifest_note(path)
    if audio_name == "audio":
        assert note is None and dataset.notes == []
    else:
        assert note is not None and f"'{audio_name}' read as 'audio'" in note and len(note.splitlines()) == 1
        assert dataset.notes == [note]


def test_a_dataset_without_speaker_names_the_columns_it_needs(tmp_path: Path) -> None:
    path = tmp_path / "clips.jsonl"
    path.write_text("".join(json.dumps({"id": r["id"], "audio": r["audio"]}) + "\n" for r in _clips(tmp_path)))
    with pytest.raises(BadInputError, match="needs columns audio and speaker; it has id, audio"):
        load_dataset(path)
