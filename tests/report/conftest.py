"""Real run directories to report on, made once per session on the tiny VoiceDesign model and fixture clips.

A steer sweep (alpha 0 and 4 at talker layers 1 and 2) is scored by the eval harness as an identity edit
(source: the plain run; target: a real Kokoro voice), so its report has an alpha x layer grid of identity
shift and WER; a lens run gives plots and per-layer CIs; a suite gives scored rows with reference clips.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
import yaml

from tts_interp.models.qwen3_tts.prompt import PromptRequest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "speech"
TEXT = "hello world"


@pytest.fixture(scope="session")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("report-runs")


@pytest.fixture(scope="session")
def steer_dir(voicedesign, runs: Path) -> Path:
    from tts_interp.interventions.directions.direction import Direction, save_direction
    from tts_interp.interventions.generation import RunConfig
    from tts_interp.interventions.steering.sweep import plan_steer_sweep, run_steer_sweep
    from tts_interp.models.qwen3_tts.settings import GenerationSettings
    from tts_interp.tracing.selection import Selection

    generator = torch.Generator().manual_seed(1)
    vectors = {f"talker.layer.{i}.resid_out": torch.randn(64, generator=generator) for i in (1, 2)}
    path = save_direction(Direction(voicedesign.adapter.model_id, "mean_diff", vectors), runs / "d.safetensors")
    config = RunConfig(voicedesign.adapter.model_id, PromptRequest(TEXT, instruct="a deep voice"),
                       GenerationSettings(max_new_tokens=8, greedy=True), "cpu")
    plan = plan_steer_sweep(voicedesign, config, path, layers=[1, 2], alphas=["0", "4"], selection=Selection())
    run_steer_sweep(voicedesign, plan, runs / "steer")
    return runs / "steer"


@pytest.fixture(scope="session")
def steer_eval_dir(steer_dir: Path, runs: Path) -> Path:
    """The steer cells scored as an identity edit from the plain run toward a real voice (jm_kumo)."""
    from tts_interp.evals.evaluate import evaluate_manifest
    from tts_interp.evals.score_config import ScoreConfig

    cells = json.loads((steer_dir / "result.json").read_text())["cells"]
    target = [str(FIXTURES / f"kokoro_jm_kumo_s{i}.flac") for i in (1, 2)]
    rows = [{"id": c["id"], "audio": c["audio"], "text": TEXT, "source": ["plain/audio.wav"], "target": target}
            for c in cells]
    manifest = steer_dir / "identity.jsonl"
    manifest.write_text("".join(json.dumps(r) + "\n" for r in rows))
    evaluate_manifest(manifest, ScoreConfig(scorers=("speaker", "asr"), device="cpu", batch_size=8),
                      runs / "steer-eval")
    return runs / "steer-eval"


@pytest.fixture(scope="session")
def lens_dir(voicedesign, runs: Path) -> Path:
    from tts_interp.interventions.talker.lens_experiment import run_lens
    from tts_interp.report.talker_plots import plot_lens

    codes = torch.randint(0, 2048, (6, 16), generator=torch.Generator().manual_seed(0))
    run = run_lens(voicedesign, PromptRequest(TEXT, instruct="a deep voice"), runs / "lens", codes=codes)
    plot_lens(runs / "lens", run)
    return runs / "lens"


@pytest.fixture(scope="session")
def suite_dir(runs: Path) -> Path:
    """Four real clips scored for speaker similarity against their own voice's other clip."""
    from tts_interp.suites.runner import run_suite, suite_report

    items = [{"kind": "audio", "id": f"{v}_s{s}", "audio": str(FIXTURES / f"kokoro_{v}_s{s}.flac"),
              "reference": {"speaker": v, "clips": [str(FIXTURES / f"kokoro_{v}_s2.flac")]}}
             for v in ("jf_alpha", "jm_kumo") for s in (1, 3)]
    path = runs / "suite.yaml"
    path.write_text(yaml.safe_dump({"name": "voices", "seed": 0, "items": items,
                                    "scoring": {"scorers": ["speaker"], "device": "cpu", "batch_size": 4}}))
    run_suite(path, runs / "suite")
    suite_report(runs / "suite")
    return runs / "suite"
