"""The public API on the tiny built-ins: cheap to import, one clear error for what a family cannot do or take,
and the invariants of generate: same seed same audio, alpha 0 is the plain run, Run.save writes what
`tts-interp generate` writes (bit-identical audio), a full patch from run A reproduces A."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import tts_interp as ti

QWEN = "tiny-qwen3-tts-voicedesign"
PROMPT = {"instruct": "A calm low voice.", "max_new_tokens": 12}


@pytest.fixture(scope="module")
def qwen(private_cache: None) -> ti.Model:
    return ti.load(QWEN)


@pytest.fixture(scope="module")
def grad_tts(private_cache: None) -> ti.Model:
    return ti.load("tiny-grad-tts-multispeaker")


def test_importing_the_package_and_naming_the_api_loads_no_torch() -> None:
    code = "import sys, tts_interp as ti; ti.load; ti.Steer; ti.score; print('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() \
        == "False"


def test_every_public_name_and_member_is_documented() -> None:
    import inspect

    undocumented = []
    for name in ti.__all__:
        if name == "__version__":
            continue
        obj = getattr(ti, name)
        members = [(n, m.fget if isinstance(m, property) else m) for n, m in vars(obj).items()
                   if not n.startswith("_") and (callable(m) or isinstance(m, property | classmethod))] \
            if inspect.isclass(obj) else []
        undocumented += [f"{name}.{n}" for n, m in members if not (getattr(m, "__doc__", None) or "").strip()]
        undocumented += [] if (obj.__doc__ or "").strip() else [name]
    assert undocumented == []


def test_a_family_only_operation_and_an_unknown_field_are_one_clear_line(qwen: ti.Model) -> None:
    with pytest.raises(ti.CapabilityError, match="qwen3-tts model, which cannot transcribe; it can: generate"):
        qwen.require("transcribe")
    with pytest.raises(ti.CapabilityError):  # a CapabilityError is also the CLI's one-line BadInputError
        qwen.require("denoise")
    with pytest.raises(Exception, match="qwen3-tts models take no 'voice'; valid: .*instruct"):
        qwen.generate("Hello.", voice="af_heart")
    with pytest.raises(AttributeError, match="no attribute 'lode'"):
        ti.lode  # noqa: B018


def test_same_seed_same_audio_and_reads_keep_every_matched_site(qwen: ti.Model) -> None:
    a = qwen.generate("Hello there.", seed=3, reads=["talker.layer.*.resid_out"], **PROMPT)
    b = qwen.generate("Hello there.", seed=3, **PROMPT)
    assert np.array_equal(a.audio, b.audio) and a.audio.dtype == np.float32 and a.sample_rate == qwen.sample_rate
    assert list(a.activations) == [f"talker.layer.{i}.resid_out" for i in range(4)] and b.activations == {}
    assert not np.array_equal(qwen.generate("Hello there.", seed=4, **PROMPT).audio, a.audio)


def test_steering_at_alpha_zero_is_the_plain_run_and_ablation_changes_it(qwen: ti.Model, tmp_path: Path) -> None:
    site = "talker.layer.2.resid_out"
    low = [qwen.generate("Hello there.", seed=s, reads=[site], instruct="A low voice.", max_new_tokens=12)
           for s in (0, 1)]
    high = [qwen.generate("Hello there.", seed=s, reads=[site], instruct="A high voice.", max_new_tokens=12)
            for s in (0, 1)]
    direction = ti.Direction.mean_diff(high, low, site=site)
    assert direction.info["fit"]["voices"] == ["instruct: A high voice.", "instruct: A low voice."]
    loaded = ti.Direction.load(direction.save(tmp_path / "d.safetensors"))
    assert torch_equal(loaded.vectors[site], direction.vectors[site])

    plain = qwen.generate("Good morning.", seed=0, **PROMPT)
    zero = qwen.generate("Good morning.", seed=0, edits=[ti.Steer(loaded, alpha=0.0)], **PROMPT)
    pushed = qwen.generate("Good morning.", seed=0, edits=[ti.Steer(loaded, alpha=8.0)], **PROMPT)
    ablated = qwen.generate("Good morning.", seed=0, edits=[ti.Ablate(site)], **PROMPT)
    assert np.array_equal(zero.audio, plain.audio)
    assert not np.array_equal(pushed.raw.codes, plain.raw.codes) and not np.array_equal(ablated.raw.codes,
                                                                                         plain.raw.codes)
    with pytest.raises(Exception, match="did not read"):
        ti.Direction.mean_diff([plain], low, site=site)


def test_run_save_writes_what_the_generate_command_writes(qwen: ti.Model, tmp_path: Path) -> None:
    from tts_interp.cli.app import app

    qwen.generate("Hello there.", seed=5, **PROMPT).save(tmp_path / "api")
    result = CliRunner().invoke(app, ["generate", "-m", QWEN, "-t", "Hello there.", "--instruct", PROMPT["instruct"],
                                      "--max-new-tokens", "12", "--seed", "5", "--device", "cpu",
                                      "--out", str(tmp_path / "cli")])
    assert result.exit_code == 0, result.output
    for name in ("audio.wav", "codes.npy"):
        assert (tmp_path / "api" / name).read_bytes() == (tmp_path / "cli" / name).read_bytes(), name


def test_generate_works_for_a_denoiser_and_writes_what_the_api_writes(grad_tts: ti.Model, tmp_path: Path) -> None:
    from tts_interp.cli.app import app

    grad_tts.generate("Hello there.", seed=2, speaker=3).save(tmp_path / "api")
    result = CliRunner().invoke(app, ["generate", "-m", "tiny-grad-tts-multispeaker", "-t", "Hello there.",
                                      "--speaker", "3", "--seed", "2", "--device", "cpu", "--out", str(tmp_path / "cli")])
    assert result.exit_code == 0, result.output
    for name in ("audio.wav", "mel.npy"):
        assert (tmp_path / "api" / name).read_bytes() == (tmp_path / "cli" / name).read_bytes(), name
    again = ti.replay(tmp_path / "cli" / "result.json", tmp_path / "again")  # replay, any family
    assert again["identical_audio"] is True and again["replay_of"].endswith("result.json")


def test_a_full_patch_from_a_reproduces_a_and_one_site_moves_part_way(grad_tts: ti.Model) -> None:
    a = grad_tts.generate("Hello there.", seed=0, speaker=2, reads=["*"])
    b = grad_tts.generate("Hello there.", seed=0, speaker=3)
    assert np.array_equal(grad_tts.generate("Hello there.", seed=0, speaker=3, edits=[ti.Patch(a)]).audio, a.audio)
    part = grad_tts.generate("Hello there.", seed=0, speaker=3, edits=[ti.Patch(a, sites=["denoiser.hspace"])])
    assert not np.array_equal(part.audio, a.audio) and not np.array_equal(part.audio, b.audio)
    with pytest.raises(Exception, match="the patch source read no site"):
        grad_tts.generate("Hello there.", seed=0, speaker=3, edits=[ti.Patch(b)])


def test_voices_of_every_family_that_names_them(grad_tts: ti.Model) -> None:
    import json

    from tts_interp.cli.app import app

    result = CliRunner().invoke(app, ["voices", "-m", "tiny-qwen3-tts-customvoice", "--json"])
    assert result.exit_code == 0, result.output
    assert [v["voice"] for v in json.loads(result.output)] == ["aria", "bram", "cleo"]
    assert [v["voice"] for v in grad_tts.voices()] == [str(i) for i in range(8)]


def torch_equal(a: object, b: object) -> bool:
    import torch

    return bool(torch.equal(a, b))  # type: ignore[arg-type]
