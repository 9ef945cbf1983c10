"""Grad-TTS adapter: official checkpoint layout, loading round trip, the sampler against upstream, sites, seeds."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from tts_interp.core.errors import BadInputError, OutOfRangeError, TTSInterpError
from tts_interp.interventions.session import Session
from tts_interp.models.denoising.runs import sample
from tts_interp.models.denoising.settings import DenoiseRequest, SamplerSettings
from tts_interp.models.gradtts import tiny
from tts_interp.models.gradtts.model import GradTTSConfig, GradTTSNetwork
from tts_interp.tracing.engine import Read
from tts_interp.tracing.ops import Write
from tts_interp.tracing.selection import Selection

FIXTURES = Path(__file__).parent / "fixtures"


def _layout(network: torch.nn.Module) -> dict[str, list[int]]:
    return {k: list(v.shape) for k, v in network.state_dict().items()}


@pytest.mark.parametrize(("release", "config"), [
    ("grad-tts.pt", GradTTSConfig()), ("grad-tts-libri-tts.pt", GradTTSConfig(n_spks=247)),
    ("multispeaker-code-after-5611ea8", GradTTSConfig(n_spks=247, encoder_speaker=True))])
def test_state_dict_matches_the_official_checkpoint_layout(release: str, config: GradTTSConfig) -> None:
    official = json.loads((FIXTURES / "gradtts_official_keys.json").read_text())[release]
    assert _layout(GradTTSNetwork(config)) == official


def test_official_layout_state_dict_round_trips_through_a_checkpoint_directory(tmp_path: Path, multispeaker) -> None:
    source = multispeaker.adapter
    vocoder_config = json.loads((source.checkpoint / "hifigan" / "config.json").read_text())
    state = {k: v.clone() for k, v in source.network.state_dict().items()}
    tiny.write_checkpoint(tmp_path / "ckpt", source.config, state, vocoder_config,
                          source.vocoder.generator.state_dict())
    loaded = Session(str(tmp_path / "ckpt"))
    assert loaded.adapter.family == "grad-tts"
    settings = SamplerSettings(steps=3, seed=5)
    request = DenoiseRequest("Hi there.", speaker=2)
    a = sample(multispeaker.engine, source, source.prepare(request), settings).sampled
    b = sample(loaded.engine, loaded.adapter, loaded.adapter.prepare(request), settings).sampled
    assert torch.equal(a.mel, b.mel)
    assert (loaded.adapter.vocode(b.mel) == source.vocode(a.mel)).all()


def test_a_state_dict_for_another_config_is_a_clear_error(tmp_path: Path, multispeaker) -> None:
    source = multispeaker.adapter
    vocoder_config = json.loads((source.checkpoint / "hifigan" / "config.json").read_text())
    tiny.write_checkpoint(tmp_path / "bad", replace(source.config, n_spks=1), source.network.state_dict(),
                          vocoder_config, source.vocoder.generator.state_dict())
    with pytest.raises(TTSInterpError, match="does not fit"):
        Session(str(tmp_path / "bad"))


def test_sampler_loop_equals_upstream_reverse_diffusion(multispeaker) -> None:
    network = multispeaker.adapter.network
    torch.manual_seed(0)
    mu = torch.randn(1, 80, 16)
    z = mu + torch.randn(1, 80, 16)
    mask = torch.ones(1, 1, 16)
    spk = network.spk_emb(torch.tensor([1]))
    expected = network.decoder.reverse_diffusion(z, mask, mu, 5, False, spk)
    xt = z * mask
    h = 1.0 / 5
    from grad_tts.model.diffusion import get_noise

    with torch.no_grad():
        for t_value in network.timesteps(5):
            t = torch.full((1,), t_value)
            noise_t = get_noise(t.unsqueeze(-1).unsqueeze(-1), network.config.beta_min, network.config.beta_max)
            xt = (xt - 0.5 * (mu - xt - network.decoder.estimator(xt, mask, mu, t, spk)) * noise_t * h) * mask
    assert torch.equal(xt, expected)


def test_same_seed_same_mel_other_seed_other_mel(multispeaker, settings) -> None:
    adapter = multispeaker.adapter
    prompt = adapter.prepare(DenoiseRequest("Hi there.", speaker=1))
    first = sample(multispeaker.engine, adapter, prompt, settings).sampled.mel
    again = sample(multispeaker.engine, adapter, prompt, settings).sampled.mel
    other = sample(multispeaker.engine, adapter, prompt, replace(settings, seed=settings.seed + 1)).sampled.mel
    assert torch.equal(first, again)
    assert not torch.equal(first, other)
    assert first.shape[0] == 80 and first.shape[1] % 4 == 0


def test_site_rows_per_step_match_the_modules_outputs(multispeaker, settings) -> None:
    adapter = multispeaker.adapter
    prompt = adapter.prepare(DenoiseRequest("Hi there.", speaker=0))
    captured: dict[str, list[torch.Tensor]] = {}
    handles = []
    estimator = adapter.network.decoder.estimator
    modules = {"denoiser.hspace": estimator.mid_block2, "denoiser.down.1": estimator.downs[1][2],
               "denoiser.up.0": estimator.ups[0][3]}
    for name, module in modules.items():
        handles.append(module.register_forward_hook(
            lambda _m, _i, out, name=name: captured.setdefault(name, []).append(out[0].detach().clone())))
    try:
        plain = sample(multispeaker.engine, adapter, prompt, settings).sampled
    finally:
        for handle in handles:
            handle.remove()
    run = sample(multispeaker.engine, adapter, prompt, settings, reads=[Read(n) for n in modules])
    frames = plain.mel.shape[1]
    for name, outputs in captured.items():
        spec = adapter.sites()[name]
        rows = run.store.get(name)
        assert len(outputs) == settings.steps
        per_step = outputs[0].shape[-1]
        assert rows.values.shape == (settings.steps * per_step, spec.dim)
        assert per_step == {"denoiser.hspace": frames // 4, "denoiser.down.1": frames // 2,
                            "denoiser.up.0": frames // 2}[name]
        for step, out in enumerate(outputs):
            expected = out.movedim(-1, 0).reshape(per_step, -1)
            assert torch.equal(rows.values[step * per_step:(step + 1) * per_step], expected)
            labels = rows.rows[step * per_step:(step + 1) * per_step]
            assert {r.step for r in labels} == {step}
            assert labels[0].t == pytest.approx(plain.timesteps[step])
            assert [r.position for r in labels] == list(range(per_step))


def test_replacing_hspace_with_its_own_rows_reproduces_the_run(multispeaker, settings) -> None:
    adapter = multispeaker.adapter
    prompt = adapter.prepare(DenoiseRequest("Hi there.", speaker=3))
    read = sample(multispeaker.engine, adapter, prompt, settings, reads=[Read("denoiser.hspace")])
    rows = read.store.get("denoiser.hspace").values
    patched = sample(multispeaker.engine, adapter, prompt, settings,
                     writes=[Write("denoiser.hspace", "replace", rows)])
    assert torch.equal(read.sampled.mel, patched.sampled.mel)


def test_conditioning_sites_read_once(multispeaker, settings) -> None:
    adapter = multispeaker.adapter
    prompt = adapter.prepare(DenoiseRequest("Hi there.", speaker=3))
    run = sample(multispeaker.engine, adapter, prompt, settings, reads=[Read("speaker_embedding"),
                                                                          Read("text_encoder.out")])
    speaker = run.store.get("speaker_embedding").values
    assert torch.equal(speaker[0], adapter.network.spk_emb.weight[3].detach())
    assert run.store.get("text_encoder.out").values.shape == (len(prompt.tokens), 80)
    with pytest.raises(BadInputError, match="t-range does not apply"):
        sample(multispeaker.engine, adapter, prompt, settings,
               reads=[Read("speaker_embedding", Selection(t_range=(0.0, 0.5)))])


def test_speaker_and_text_errors(multispeaker, single) -> None:
    with pytest.raises(BadInputError, match="0..7"):
        multispeaker.adapter.prepare(DenoiseRequest("Hi there."))
    with pytest.raises(OutOfRangeError, match="0..7"):
        multispeaker.adapter.prepare(DenoiseRequest("Hi there.", speaker=8))
    with pytest.raises(BadInputError, match="empty"):
        multispeaker.adapter.prepare(DenoiseRequest("  ", speaker=0))
    prompt = single.adapter.prepare(DenoiseRequest("Hi there.", speaker=4))
    assert prompt.speaker is None and "speaker ignored" in prompt.notes[0]
    assert "speaker_embedding" not in single.adapter.sites()
