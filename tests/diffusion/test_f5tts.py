"""F5-TTS adapter: the sampler against upstream CFM.sample, checkpoint formats, sites, reference-audio errors."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch
from safetensors.torch import load_file

from tts_interp.core.errors import BadInputError
from tts_interp.interventions.session import Session
from tts_interp.models.denoising.runs import sample
from tts_interp.models.denoising.settings import DenoiseRequest
from tts_interp.tracing.engine import Read


def _request(ref_clip: Path, **changes: object) -> DenoiseRequest:
    return replace(DenoiseRequest("Hi.", ref_audio=str(ref_clip), ref_text="A clip."), **changes)


def test_sampler_equals_upstream_cfm_sample(f5, ref_clip, settings) -> None:
    adapter = f5.adapter
    prompt = adapter.prepare(_request(ref_clip))
    ours = sample(f5.engine, adapter, prompt, settings).sampled
    duration = prompt.ref_frames + int(prompt.generated_frames)
    out, _ = adapter.model.sample(prompt.cond, prompt.text_ids, duration, steps=settings.steps,
                                  cfg_strength=settings.cfg_strength, sway_sampling_coef=settings.sway,
                                  seed=settings.seed)
    assert torch.equal(out[0, prompt.ref_frames:].T, ours.mel)
    assert ours.timesteps[0] == 0.0 and list(ours.timesteps) == sorted(ours.timesteps)


def test_released_checkpoint_formats_round_trip(tmp_path: Path, f5, ref_clip, settings) -> None:
    source = f5.adapter.checkpoint
    state = load_file(str(source / "model.safetensors"))
    assert "initted" in state and all(k.startswith("ema_model.") for k in state if k not in ("initted", "step"))
    target = tmp_path / "pt-ckpt"
    shutil.copytree(source, target)
    (target / "model.safetensors").unlink()
    torch.save({"ema_model_state_dict": state, "step": 7}, target / "model_1250000.pt")
    config = json.loads((target / "config.json").read_text())
    config["weights"] = "model_1250000.pt"
    (target / "config.json").write_text(json.dumps(config))
    loaded = Session(str(target))
    request = _request(ref_clip)
    a = sample(f5.engine, f5.adapter, f5.adapter.prepare(request), settings).sampled
    b = sample(loaded.engine, loaded.adapter, loaded.adapter.prepare(request), settings).sampled
    assert torch.equal(a.mel, b.mel)
    assert loaded.adapter.vocode(b.mel).shape[0] == b.mel.shape[1] * 256


def test_block_sites_have_one_row_per_frame_per_step(f5, ref_clip, settings) -> None:
    adapter = f5.adapter
    prompt = adapter.prepare(_request(ref_clip))
    run = sample(f5.engine, adapter, prompt, settings, reads=[Read("denoiser.block.*.out"), Read("denoiser.hspace")])
    frames = run.sampled.trajectory.shape[-1]
    for k in range(adapter.transformer.depth):
        rows = run.store.get(f"denoiser.block.{k}.out")
        assert rows.values.shape == (settings.steps * frames, adapter.transformer.dim)
    middle = run.store.get(f"denoiser.block.{adapter.hspace_block}.out").values
    assert torch.equal(run.store.get("denoiser.hspace").values, middle)


def test_reference_audio_problems_are_clear_errors(f5, ref_clip, tmp_path: Path) -> None:
    silent, short = tmp_path / "silent.wav", tmp_path / "short.wav"
    sf.write(silent, np.zeros(24000, np.float32), 24000)
    sf.write(short, 0.3 * np.sin(np.arange(2400) / 5).astype(np.float32), 24000)
    cases = [(_request(ref_clip, ref_audio=str(tmp_path / "missing.wav")), "does not exist"),
             (_request(ref_clip, ref_audio=str(silent)), "silent"),
             (_request(ref_clip, ref_audio=str(short)), "at least 0.5 s"),
             (_request(ref_clip, ref_audio=None), "--ref-audio"),
             (_request(ref_clip, ref_text=" "), "--ref-text"),
             (_request(ref_clip, text=""), "text is empty")]
    for request, message in cases:
        with pytest.raises(BadInputError, match=message):
            f5.adapter.prepare(request)
