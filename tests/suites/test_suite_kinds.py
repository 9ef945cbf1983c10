"""Every experiment kind runs in a suite and is scored: generate, patch, codes ablate/swap, h-space edit."""

from __future__ import annotations

import json
from pathlib import Path

import torch
import yaml
from suite_files import MODEL  # the folder has no __init__: pytest puts it on sys.path

from tts_interp.suites.runner import run_suite

SPEECH = Path(__file__).resolve().parents[1] / "fixtures" / "speech"
DENOISER = "tiny-grad-tts-multispeaker"


def _hspace_direction(path: Path) -> Path:
    """A random unit h-space direction for the tiny multi-speaker Grad-TTS (the machinery, not a finding)."""
    from tts_interp.interventions.hspace.directions import Direction
    from tts_interp.interventions.session import Session

    session = Session(DENOISER)
    vector = torch.nn.functional.normalize(torch.randn(1, session.site_dim("denoiser.hspace"),
                                                       generator=torch.Generator().manual_seed(0)), dim=1)
    return Direction(DENOISER, "denoiser.hspace", "mean_difference", vector, (float("nan"),), False, 10.0).save(path)


def _run(directory: Path, suite: dict, n_cells: int) -> dict[str, list[dict]]:
    """Run a suite in-process; its rows by kind, each checked ok with its audio under OUT."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "suite.yaml"
    path.write_text(yaml.safe_dump(suite))
    summary = run_suite(path, directory / "out")
    assert summary["n_scored_now"] == n_cells and summary["n_failed_now"] == 0, summary
    by_kind: dict[str, list[dict]] = {}
    for line in (directory / "out" / "results" / "shard-0-of-1.jsonl").read_text().splitlines():
        row = json.loads(line)
        by_kind.setdefault(row["kind"], []).append(row)
        assert row["status"] == "ok" and (directory / "out" / row["audio"]).is_file()
    return by_kind


def test_talker_and_codec_kinds_run_and_are_scored(tmp_path: Path, private_cache: None) -> None:
    clip_a, clip_b = SPEECH / "kokoro_jf_alpha_s1.flac", SPEECH / "kokoro_jm_kumo_s1.flac"
    talker = {"model": MODEL, "text": "hello world", "speaker": "aria", "max_new_tokens": 10, "device": "cpu"}
    suite = {
        "name": "kinds", "scoring": {"scorers": ["speaker", "prosody"], "device": "cpu"},
        "items": [
            {"kind": "generate", **talker, "target": {"speaker": "cleo"}, "reference_seeds": 2},
            {"kind": "patch", **talker, "greedy": True, "source": {"speaker": "cleo"}, "layer": 1,
             "segment": "frames"},
            {"kind": "codes-ablate", "codec": "tiny-qwen12hz", "audio": str(clip_a), "codebooks": [0, 1]},
            {"kind": "codes-swap", "codec": "tiny-qwen12hz", "a": str(clip_a), "b": str(clip_b), "codebooks": [0]},
        ],
    }
    by_kind = _run(tmp_path / "talker-codes", suite, 4)
    generated = by_kind["generate"][0]
    assert generated["similarity"] is not None  # against the target voice's plain runs, at seeds 1 and 2
    assert len(set(generated["scored"]["reference"]["clips"])) == 2
    patch = by_kind["patch"][0]
    assert patch["cell"]["patched_positions"] > 0 and "kl_recovery" in patch["cell"]
    assert patch["identity_shift_raw"] is not None  # from this voice's plain run toward the source voice's
    assert by_kind["codes-ablate"][0]["similarity"] is not None and by_kind["codes-ablate"][0]["cell"]["frames"] > 0
    assert by_kind["codes-swap"][0]["identity_shift_raw"] is not None


def test_hspace_edit_cells_run_and_strength_zero_is_the_plain_sample(tmp_path: Path, private_cache: None) -> None:
    (tmp_path / "hspace").mkdir()
    _hspace_direction(tmp_path / "hspace" / "hspace.safetensors")
    suite = {  # the tiny Grad-TTS speaks under 0.5 s of speech: too little for the speaker verifier
        "name": "hspace", "scoring": {"scorers": ["prosody"], "device": "cpu"},
        "directions": {"push": {"path": "hspace.safetensors"}},
        "items": [{"kind": "hspace-edit", "model": DENOISER, "text": "hello world", "speaker": 1, "direction": "push",
                   "steps": 2, "grid": {"alpha": [0, 3]}}],
    }
    out = tmp_path / "hspace" / "out"
    by_kind = _run(tmp_path / "hspace", suite, 2)
    for row in by_kind["hspace-edit"]:
        reference = out / row["scored"]["reference"]["clips"][0]
        config = json.loads((out / "cells" / row["work_id"] / "result.json").read_text())
        same = (out / row["audio"]).read_bytes() == reference.read_bytes()
        assert same == (config["alpha"] == 0.0)  # strength 0 is the plain sample bit for bit; 3 is not
