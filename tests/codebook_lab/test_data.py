"""Datasets (manifests, LibriSpeech layout), alignments (TextGrid, .lab) and frame labels."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tts_interp.core.errors import BadInputError
from tts_interp.data.alignments import Interval, frame_labels, read_alignment
from tts_interp.data.datasets import load_dataset

LONG_TEXTGRID = """File type = "ooTextFile"
Object class = "TextGrid"
xmin = 0
xmax = 0.5
tiers? <exists>
size = 2
item []:
    item [1]:
        class = "IntervalTier"
        name = "words"
        xmin = 0
        xmax = 0.5
        intervals: size = 1
        intervals [1]:
            xmin = 0
            xmax = 0.5
            text = "hi"
    item [2]:
        class = "IntervalTier"
        name = "phones"
        xmin = 0
        xmax = 0.5
        intervals: size = 3
        intervals [1]:
            xmin = 0
            xmax = 0.1
            text = ""
        intervals [2]:
            xmin = 0.1
            xmax = 0.3
            text = "HH"
        intervals [3]:
            xmin = 0.3
            xmax = 0.5
            text = "AY1"
"""
SHORT_TEXTGRID = """File type = "ooTextFile"
Object class = "TextGrid"

0
0.5
<exists>
1
"IntervalTier"
"phones"
0
0.5
2
0
0.2
"sil"
0.2
0.5
"AA"
"""


def _tone(path: Path, seconds: float = 0.5, sr: int = 16000) -> None:
    sf.write(path, 0.2 * np.sin(np.arange(int(seconds * sr)) * 0.05), sr)


def test_textgrid_long_and_short_forms(tmp_path: Path) -> None:
    (tmp_path / "a.TextGrid").write_text(LONG_TEXTGRID)
    (tmp_path / "b.TextGrid").write_text(SHORT_TEXTGRID)
    assert read_alignment(tmp_path / "a.TextGrid") == [
        Interval(0, 0.1, ""),
        Interval(0.1, 0.3, "HH"),
        Interval(0.3, 0.5, "AY1"),
    ]
    assert read_alignment(tmp_path / "b.TextGrid") == [Interval(0, 0.2, "sil"), Interval(0.2, 0.5, "AA")]


def test_lab_units_full_context_and_frame_labels(tmp_path: Path) -> None:
    (tmp_path / "a.lab").write_text("0 1000000 pau\n1000000 3000000 x^y-k+a=b\n3000000 5000000 a\n")
    (tmp_path / "b.lab").write_text("0.0 0.1 sil\n0.1 0.3 k\n")
    intervals = read_alignment(tmp_path / "a.lab")
    assert intervals[1] == Interval(0.1, 0.3, "k")
    assert read_alignment(tmp_path / "b.lab")[1] == Interval(0.1, 0.3, "k")
    assert frame_labels(intervals, 7, 12.5) == [None, "k", "k", "k", "a", "a", None]


def test_bad_alignment_files(tmp_path: Path) -> None:
    (tmp_path / "a.TextGrid").write_text(LONG_TEXTGRID.replace('"phones"', '"segments"'))
    with pytest.raises(BadInputError, match="no interval tier named 'phones'; tiers: words, segments"):
        read_alignment(tmp_path / "a.TextGrid")
    (tmp_path / "b.lab").write_text("0 x sil\n")
    with pytest.raises(BadInputError, match="not numbers"):
        read_alignment(tmp_path / "b.lab")
    with pytest.raises(BadInputError, match="unknown format"):
        (tmp_path / "c.txt").write_text("x")
        read_alignment(tmp_path / "c.txt")


def test_csv_and_jsonl_manifests_skip_rows_that_point_nowhere(tmp_path: Path) -> None:
    _tone(tmp_path / "one.wav")
    _tone(tmp_path / "two.wav")
    (tmp_path / "two.lab").write_text("0 5000000 a\n")
    (tmp_path / "manifest.csv").write_text(
        "path,speaker,text\none.wav,s1,hello\nmissing.wav,s1,\ntwo.wav,,x\n"
    )
    dataset = load_dataset(tmp_path)
    assert [u.utt_id for u in dataset.utterances] == ["one"]
    assert dataset.utterances[0].text == "hello"
    reasons = [s["reason"] for s in dataset.skipped]
    assert any("missing.wav does not exist" in r for r in reasons) and "no speaker given" in reasons
    rows = [
        {"path": "one.wav", "speaker": "s1", "id": "u1"},
        {"path": "two.wav", "speaker": "s2"},
        {"path": "two.wav", "speaker": "s2", "alignment": "nope.TextGrid"},
    ]
    (tmp_path / "list.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    dataset = load_dataset(tmp_path / "list.jsonl")
    assert [(u.utt_id, u.speaker) for u in dataset.utterances] == [("u1", "s1"), ("two", "s2")]
    assert dataset.utterances[1].alignment == (tmp_path / "two.lab").resolve()  # found next to the audio
    assert "nope.TextGrid does not exist" in dataset.skipped[0]["reason"]


def test_librispeech_layout(tmp_path: Path) -> None:
    chapter = tmp_path / "19" / "198"
    chapter.mkdir(parents=True)
    for utt in ("19-198-0000", "19-198-0001"):
        _tone(chapter / f"{utt}.flac")
    (chapter / "19-198.trans.txt").write_text(
        "19-198-0000 NORTHANGER ABBEY\n19-198-0001 THIS LITTLE WORK\n19-198-0002 GONE\n"
    )
    aligned = tmp_path / "mfa" / "19" / "198"
    aligned.mkdir(parents=True)
    (aligned / "19-198-0001.TextGrid").write_text(SHORT_TEXTGRID)
    dataset = load_dataset(tmp_path, alignments_dir=tmp_path / "mfa")
    assert [(u.utt_id, u.speaker, u.text) for u in dataset.utterances] == [
        ("19-198-0000", "19", "NORTHANGER ABBEY"),
        ("19-198-0001", "19", "THIS LITTLE WORK"),
    ]
    assert dataset.utterances[0].alignment is None
    assert dataset.utterances[1].alignment == aligned / "19-198-0001.TextGrid"
    assert dataset.skipped == [
        {"item": "19-198-0002", "reason": f"audio file {chapter / '19-198-0002.flac'} does not exist"}
    ]


def test_a_folder_without_manifest_or_layout_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="no manifest.csv or manifest.jsonl"):
        load_dataset(tmp_path)
    with pytest.raises(BadInputError, match="does not exist"):
        load_dataset(tmp_path / "nowhere")


def test_the_speech_fixtures_json_manifest_reads_as_a_dataset() -> None:
    root = Path(__file__).resolve().parents[1] / "fixtures" / "speech"
    dataset = load_dataset(root)
    assert len(dataset.utterances) >= 20 and not dataset.skipped
    assert {"arctic_awb", "arctic_slt"} <= set(dataset.speakers)
    assert all(u.path.is_file() for u in dataset.utterances)
