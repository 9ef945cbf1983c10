"""Findings on Kokoro-82M's real (int8-dequantized) weights, checked with the real verifier and recognizer.

The figures are printed (run with -s) and attached to the test report (record_property).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import tts_interp as ti
from tts_interp.core.stats import control_rank
from tts_interp.evals.metrics import cosine, identity_shift
from tts_interp.interventions.kokoro.probe import gender_probe
from tts_interp.models.kokoro.runs import synthesize
from tts_interp.tracing.ops import Write

from .conftest import DECODER_SITE, STEER_SITE, THREADS
from .speech import corpus_wer, embed, voice_centroid

AGREEMENT = (("af_heart", "The cat sat on the mat."), ("am_michael", "We will meet again soon."),
             ("bf_emma", "Open the door, please."))
HOP = 600  # samples per Kokoro decoder frame at 24 kHz
CONTROLS = 20  # random directions of the steering direction's norm: p can reach 1/21


def _waveform_agreement(ours: np.ndarray, theirs: np.ndarray) -> tuple[float, float]:
    """(SNR in dB of the ONNX waveform against the difference, max abs error) over the common length."""
    n = min(len(ours), len(theirs))
    error = ours[:n] - theirs[:n]
    return float(10 * np.log10(np.sum(theirs[:n] ** 2) / np.sum(error ** 2))), float(np.abs(error).max())


def test_converted_model_agrees_with_onnxruntime(kokoro, speaker_backend, asr_backend, record_property):
    """Durations agree to one decoder frame and the voice and words agree; the waveforms are recorded as SNR and
    max error, which stay near 0 dB: the generator's harmonic source and the int8 graph's dynamically quantized
    activations move the phase, so the samples are not comparable one by one (the recorded figures show it)."""
    import onnxruntime

    from tts_interp.models.kokoro.convert import onnx_bytes

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = THREADS
    onnx = onnxruntime.InferenceSession(onnx_bytes()[0], options, providers=["CPUExecutionProvider"])
    ours, theirs = [], []
    for voice, sentence in AGREEMENT:
        prompt = kokoro.adapter.prepare_chunks(sentence, voice)[0]
        ours.append(synthesize(kokoro.engine, kokoro.adapter, [prompt], 0, noise=False).audio.numpy())
        feed = {"tokens": prompt.input_ids.numpy(), "style": prompt.ref_s.numpy(),
                "speed": np.array([1.0], dtype=np.float32)}
        theirs.append(onnx.run(None, feed)[0].reshape(-1))
    texts = [sentence for _, sentence in AGREEMENT]
    similarity = np.sum(embed(speaker_backend, ours) * embed(speaker_backend, theirs), axis=1)
    wer_ours = corpus_wer(asr_backend, ours, texts)
    waveform = [_waveform_agreement(a, b) for a, b in zip(ours, theirs, strict=True)]
    figures = {"n": len(texts), "similarity_min": float(similarity.min()), "wer_converted": wer_ours,
               "length_difference_samples": [len(a) - len(b) for a, b in zip(ours, theirs, strict=True)],
               "waveform_snr_db": [round(s, 2) for s, _ in waveform], "max_abs_error": [round(e, 3) for _, e in waveform]}
    print("\nONNX agreement", figures)
    record_property("onnx_agreement", figures)
    assert all(abs(d) <= HOP for d in figures["length_difference_samples"])
    assert similarity.min() >= 0.95
    assert wer_ours <= 0.10


@pytest.mark.parametrize("site", ["style.timbre", DECODER_SITE])
def test_gender_is_linearly_decodable_on_unseen_voices(english_runs, site, record_property):
    collected, _ = english_runs
    result = gender_probe(collected, site, seed=0)
    figures = {k: result[k] for k in ("accuracy", "p_value", "ci95", "chance", "majority_baseline", "n_voices",
                                      "wrong")}
    print(f"\ngender probe at {site}", figures)
    record_property(f"gender_probe_{site}", figures)
    assert result["p_value"] < 0.01
    assert result["accuracy"] > result["majority_baseline"]


def test_steering_female_to_male_shifts_identity_with_alpha_and_beyond_random_directions(
        kokoro, english_runs, speaker_backend, asr_backend, record_property):
    """The male - female mean difference at decoder.decode.3 (every English voice but af_heart) moves af_heart
    towards the male voices more with alpha, and at alpha 4 further than each of 20 random directions of its norm
    (p = 1/21, the smallest 20 controls allow). The controls move it too: their median is the non-specific part."""
    import dataclasses

    from tts_interp.api.model import Model
    from tts_interp.interventions.kokoro.experiments import Collected, direction_between

    collected, audio_dir = english_runs
    keep = [i for i, (voice, _) in enumerate(collected.runs) if voice != "af_heart"]
    male = [i for i in keep if collected.runs[i][0][1] == "m"]
    female = [i for i in keep if collected.runs[i][0][1] == "f"]

    def subset(index: list[int]) -> Collected:
        return Collected({STEER_SITE: [collected.rows[STEER_SITE][i] for i in index]}, [collected.runs[i] for i in index])

    direction = direction_between(kokoro, subset(male), subset(female))
    model, text = Model(kokoro), "Open the window."
    source = voice_centroid(speaker_backend, [_wav(audio_dir / "af_heart-0")])
    target = voice_centroid(speaker_backend, [_wav(audio_dir / f"{collected.runs[i][0]}-0") for i in male])
    alphas = (2.0, 4.0)
    clips = [model.generate(text, voice="af_heart", edits=[ti.Steer(direction, alpha=a)]).audio for a in alphas]
    shifts = [identity_shift(e, source, target).projection for e in embed(speaker_backend, clips)]
    wers = [corpus_wer(asr_backend, [clip], [text]) for clip in clips]
    generator, vector = torch.Generator().manual_seed(0), direction.vectors[STEER_SITE]
    randoms = [dataclasses.replace(direction, vectors={STEER_SITE: v / v.norm() * vector.norm()})
               for v in torch.randn((CONTROLS, *vector.shape), generator=generator)]
    control_clips = [model.generate(text, voice="af_heart", edits=[ti.Steer(r, alpha=alphas[-1])]).audio for r in randoms]
    against = control_rank(shifts[-1], [identity_shift(e, source, target).projection
                                        for e in embed(speaker_backend, control_clips)])
    figures = {"alphas": alphas, "identity_shift": shifts, "wer": wers, "source_target_cosine": cosine(source, target),
               f"random_directions_at_alpha_{alphas[-1]:g}": against}
    print("\nsteering", figures)
    record_property("steering", figures)
    assert shifts[0] < shifts[1] and max(wers) <= 0.2
    assert against["n_controls"] == CONTROLS and against["percentile"] == 1.0  # beyond every random direction


SWAPS = (("af_heart", "am_michael"), ("bf_emma", "bm_george"), ("am_adam", "af_bella"))  # across gender and accent


def test_the_timbre_half_carries_more_identity_than_the_prosody_half(kokoro, speaker_backend, record_property):
    """For each of three voice pairs: the target's timbre half (style[:128]) put into the source's run takes the
    voice nearer the target than its prosody half (style[128:])."""
    text, found = "Where are the keys?", {}
    for source, target in SWAPS:
        mine, theirs = (kokoro.adapter.prepare_chunks(text, v)[0] for v in (source, target))
        centroid = voice_centroid(speaker_backend, [synthesize(kokoro.engine, kokoro.adapter, [theirs], 0).audio])
        clips = [synthesize(kokoro.engine, kokoro.adapter, [mine], 0, writes=writes).audio for writes in (
            [], [Write("style.timbre", "replace", theirs.ref_s[0, :128])],
            [Write("style.prosody", "replace", theirs.ref_s[0, 128:])])]
        found[f"{source}->{target}"] = {name: cosine(e, centroid) for name, e in zip(
            ("plain", "timbre", "prosody"), embed(speaker_backend, clips), strict=True)}
    print("\nhalf swaps, similarity to the target", found)
    record_property("half_swaps", found)
    assert all(sims["timbre"] > sims["prosody"] for sims in found.values()), found


def _wav(run_dir):  # noqa: ANN001, ANN202
    import soundfile as sf

    samples, rate = sf.read(str(run_dir / "audio.wav"), dtype="float32")
    assert rate == 24000
    return samples
