"""Erasure through the engine on the tiny CustomVoice model (machinery only: its voices are random weights).

alpha 0 is the plain run bit for bit; the write erases exactly the eraser's arithmetic at the site; fit writes
three erasers whose held-out probe goes to chance after LEACE; the sweep writes one run per cell and a rerun
reuses only cells made under the same configuration; bad input is one clear line.
"""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from tts_interp.cli import app as app_module
from tts_interp.core.errors import BadInputError
from tts_interp.interventions.erasure import runs as erase_runs
from tts_interp.interventions.erasure import sweep as erase_sweep
from tts_interp.interventions.erasure.eraser import load_eraser
from tts_interp.interventions.erasure.fit import run_fit, voice_runs
from tts_interp.interventions.erasure.sweep import plan_erase_sweep, run_erase_sweep
from tts_interp.models.qwen3_tts.prompt import PromptRequest
from tts_interp.models.qwen3_tts.runs import generate, teacher_force
from tts_interp.models.qwen3_tts.settings import GenerationSettings
from tts_interp.tracing.engine import Read
from tts_interp.tracing.selection import Selection

SITE = "talker.layer.1.resid_out"
VOICES = ["aria", "bram", "cleo"]
TEXTS = ["hello there", "a second line", "the third one"]


@pytest.fixture(scope="module")
def fitted(customvoice, tmp_path_factory):
    """Erasers for the speaker label at a frame site and at the one-row speaker embedding, 3 voices x 3 texts."""
    out = tmp_path_factory.mktemp("fit")
    runs = voice_runs(customvoice, VOICES, TEXTS, "speaker")
    payload = run_fit(customvoice, runs, "speaker", [SITE, "speaker_embedding"], Selection(), out,
                      max_new_tokens=4)
    return out, payload


def test_fit_writes_three_erasers_with_metadata_and_held_out_probes(fitted, customvoice):
    out, payload = fitted
    for method in ("leace", "mean_diff", "random"):
        eraser = load_eraser(out / f"{method}.safetensors", customvoice.adapter.model_id, [SITE])
        assert eraser.label == "speaker" and eraser.classes == VOICES
        assert eraser.info["counts"]["runs"] == 9 and eraser.info["weights"]["weights_sha256"]
        assert eraser.info["provenance"]["model_id"] == customvoice.adapter.model_id
    assert payload["held_out"] == "texts" and payload["counts"]["test_runs"] == 3
    probes = {(p["site"], p["eraser"]): p for p in payload["held_out_probe"]}
    assert probes[("speaker_embedding", "none")]["accuracy"] == 1.0  # the label is there before erasure
    assert probes[("speaker_embedding", "random")]["accuracy"] == 1.0  # and a random rank-2 subspace keeps it
    for site in payload["sites"]:
        leace = probes[(site, "leace")]
        assert leace["rank"] == 2
        assert leace["accuracy"] <= leace["chance"] + 0.05 and leace["p_value"] >= 0.05
        assert probes[(site, "none")]["n_test_rows"] == leace["n_test_rows"] > 0


def test_alpha_zero_is_the_plain_run_bit_for_bit_and_alpha_one_changes_it(fitted, customvoice):
    out, _ = fitted
    adapter = customvoice.adapter
    eraser = load_eraser(out / "leace.safetensors")
    prompt = adapter.prepare(PromptRequest(text="hello there", speaker="bram"))
    settings = GenerationSettings(max_new_tokens=6, seed=5)  # sampled: the seed must line up too
    plain = generate(customvoice.engine, adapter, prompt, settings)
    zero = generate(customvoice.engine, adapter, prompt, settings, writes=eraser.writes([SITE], 0.0))
    assert torch.equal(zero.codes, plain.codes)
    full = generate(customvoice.engine, adapter, prompt, settings, writes=eraser.writes([SITE], 1.0))
    assert not torch.equal(full.codes, plain.codes)


def test_the_write_applies_exactly_the_erasers_arithmetic_at_the_site(fitted, customvoice):
    out, _ = fitted
    codes = torch.randint(0, 2048, (5, 16), generator=torch.Generator().manual_seed(0))
    adapter = customvoice.adapter
    eraser = load_eraser(out / "leace.safetensors")
    prompt = adapter.prepare(PromptRequest(text="hello there", speaker="aria"))
    reads = [Read(SITE)]
    plain = teacher_force(customvoice.engine, adapter, prompt, codes, reads=reads).store.get(SITE).values
    erased = teacher_force(customvoice.engine, adapter, prompt, codes, reads=reads,
                           writes=eraser.writes([SITE], 0.7)).store.get(SITE).values
    assert torch.allclose(erased, eraser.site(SITE).apply(plain, 0.7), atol=1e-5)


def test_sweep_writes_a_run_per_cell_and_reuses_only_matching_cells(fitted, customvoice, tmp_path, monkeypatch):
    out, _ = fitted
    runs = voice_runs(customvoice, ["aria", "bram"], TEXTS[:2], "speaker")
    settings = GenerationSettings(max_new_tokens=4, seed=0)
    plan = plan_erase_sweep(customvoice, out, runs, [0, 1], settings, [SITE], ["leace"])
    sweep_dir = tmp_path / "sweep"
    result = run_erase_sweep(customvoice, plan, sweep_dir)
    assert len(result["cells"]) == 4 + 8
    clips = [json.loads(line) for line in (sweep_dir / "clips.jsonl").read_text().splitlines()]
    assert {c["method"] for c in clips} == {"plain", "leace"} and {c["text_index"] for c in clips} == {0, 1}
    for run in range(4):
        plain = np.load(sweep_dir / f"plain/run{run:03d}/codes.npy")
        zero = np.load(sweep_dir / f"cells/leace/{SITE}/alpha0/run{run:03d}/codes.npy")
        assert np.array_equal(plain, zero)
    cell = json.loads((sweep_dir / f"cells/leace/{SITE}/alpha1/run000/result.json").read_text())
    assert cell["erasure"]["alpha"] == 1.0 and cell["writes"][0]["op"] == "affine"
    made = []
    monkeypatch.setattr(erase_sweep, "render", lambda *a, **k: made.append(a) or pytest.fail("reran"))
    run_erase_sweep(customvoice, plan, sweep_dir)  # everything finished under the same config: nothing reruns
    stale = []
    other = plan_erase_sweep(customvoice, out, runs, [0, 1], GenerationSettings(max_new_tokens=4, seed=1), [SITE],
                             ["leace"])
    with pytest.raises(BadInputError, match="another configuration"):
        run_erase_sweep(customvoice, other, sweep_dir, on_stale=stale.append, policy="refuse")


def test_bad_input_is_one_line(fitted, customvoice, monkeypatch, tmp_path):
    out, _ = fitted
    runs = voice_runs(customvoice, ["aria"], TEXTS[:2], "speaker")
    settings = GenerationSettings(max_new_tokens=4)
    with pytest.raises(BadInputError, match=r"outside \[0, 1\]"):
        plan_erase_sweep(customvoice, out, runs, [1.5], settings)
    with pytest.raises(BadInputError, match="no eraser file"):
        plan_erase_sweep(customvoice, tmp_path, runs, [1], settings)
    with pytest.raises(BadInputError, match="no site"):
        plan_erase_sweep(customvoice, out, runs, [1], settings, ["talker.layer.0.resid_out"])
    with pytest.raises(BadInputError, match="gender"):
        voice_runs(customvoice, ["aria"], TEXTS, "gender")
    monkeypatch.setattr(erase_runs, "open_session", lambda model, device, dtype: customvoice)
    result = CliRunner().invoke(app_module.app, ["erase", "apply", "-m", "tiny-qwen3-tts-customvoice", "--eraser",
                                                 str(out), "--voices", "aria", "-t", "hi", "--alphas", "0,2",
                                                 "--out", str(tmp_path / "x")])
    assert isinstance(result.exception, BadInputError) and "outside [0, 1]" in str(result.exception)


def test_fit_and_apply_commands_write_their_outputs(customvoice, monkeypatch, tmp_path):
    monkeypatch.setattr(erase_runs, "open_session", lambda model, device, dtype: customvoice)
    runner = CliRunner()
    common = ["-m", "tiny-qwen3-tts-customvoice", "--device", "cpu", "--voices", "aria,bram", "-t", "one", "-t",
              "two"]
    fit = runner.invoke(app_module.app, ["erase", "fit", *common, "--site", SITE, "--max-new-tokens", "3",
                                         "--test-fraction", "0.5", "--out", str(tmp_path / "fit")])
    assert fit.exit_code == 0, fit.output
    assert "held-out probe" in fit.output
    applied = runner.invoke(app_module.app, ["erase", "apply", *common, "--eraser", str(tmp_path / "fit"),
                                             "--methods", "leace", "--alphas", "1", "--max-new-tokens", "3",
                                             "--attacker-voices", "cleo", "--no-score", "--out",
                                             str(tmp_path / "sweep")])
    assert applied.exit_code == 0, applied.output
    result = json.loads((tmp_path / "sweep" / "result.json").read_text())
    assert result["status"] == "complete" and result["erasers"]["leace"]["rank"] == {SITE: 1}
    clips = [json.loads(line) for line in (tmp_path / "sweep" / "clips.jsonl").read_text().splitlines()]
    assert len(clips) == 12 and {c["speaker"] for c in clips if c["role"] == "attacker"} == {"cleo"}
    # fitted on aria and bram (texts one/two: the fit's train runs), scored on them: closed-set, said in result.json
    leace = result["erasers"]["leace"]
    assert leace["protocol"] == "closed-set" and leace["overlapping_voices"] == ["aria", "bram"]
    assert leace["fit"]["voices"] == ["aria", "bram"] and result["attacker_voices"] == ["cleo"]
    overlap = runner.invoke(app_module.app, ["erase", "apply", *common, "--eraser", str(tmp_path / "fit"),
                                             "--attacker-voices", "aria", "--out", str(tmp_path / "bad")])
    assert overlap.exit_code != 0 and "disjoint" in str(overlap.exception)


def test_eval_on_the_sweeps_manifest_gives_erase_scores_attackers(fitted, customvoice, tmp_path):
    """`erase score` and `eval --scorers attackers` on the sweep's manifest.jsonl are one set scorer on the same
    clips: the same conditions with the same figures."""
    from tts_interp.evals.evaluate import evaluate_manifest
    from tts_interp.evals.privacy_sweep import score_erasure
    from tts_interp.evals.score_config import ScoreConfig

    out, _ = fitted
    runs = voice_runs(customvoice, VOICES, TEXTS[:2], "speaker")
    attacker = [replace(r, label=r.voice, role="attacker") for r in voice_runs(customvoice, ["cleo"], TEXTS[:2],
                                                                               "speaker")]
    plan = plan_erase_sweep(customvoice, out, runs[:4] + attacker, [0.5, 1], GenerationSettings(max_new_tokens=8,
                                                                                                  seed=0),
                            [SITE], ["leace"])
    run_erase_sweep(customvoice, plan, tmp_path / "sweep")
    config = ScoreConfig(scorers=("attackers",), device="cpu", verifiers=("resemblyzer", "dvector"))
    scored = score_erasure(tmp_path / "sweep", config)
    evaluated = evaluate_manifest(tmp_path / "sweep" / "manifest.jsonl", config, tmp_path / "eval")["attackers"]
    keys = ("condition", "verifier", "ignorant_eer", "ignorant_eer_ci95", "lazy_informed_eer", "identification",
            "n_clips", "protocol", "semi_informed_reason")
    assert [[r[k] for k in keys] for r in evaluated["conditions"]] == [[r[k] for k in keys]
                                                                       for r in scored["conditions"]]
    conditions = ["original", f"method=leace site={SITE} alpha=0.5", f"method=leace site={SITE} alpha=1"]
    assert [(r["condition"], r["verifier"]) for r in scored["conditions"]] == [
        (c, v) for v in ("resemblyzer", "dvector") for c in conditions]
    assert {r["protocol"] for r in scored["conditions"][1:3]} == {"closed-set"}  # fitted on aria, bram, cleo
    assert "at least 2 voices" in scored["conditions"][1]["semi_informed_reason"]  # one attacker voice: too few
    assert scored["frontier"][SITE]["leace (resemblyzer)"][0]["unerased"] and evaluated["unusable"] == []
    assert scored["weights"]["weights_sha256"] and scored["model"]["model_id"] == customvoice.adapter.model_id
