"""Findings on Kokoro-82M's real (int8-dequantized) weights, checked with the real verifier and recognizer.

The figures are printed (run with -s) and attached to the test report (record_property).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tts_interp.evals.metrics import cosine, identity_shift
from tts_interp.interventions.kokoro.probe import gender_probe
from tts_interp.models.kokoro.runs import synthesize
from tts_interp.tracing.ops import Write

from .conftest import DECODER_SITE, PROBE_TEXT, STEER_SITE, THREADS
from .speech import corpus_wer, embed, voice_centroid

AGREEMENT = (("af_heart", "The cat sat on the mat."), ("am_michael", "We will meet again soon."),
             ("bf_emma", "Open the door, please."))
HOP = 600  # samples per Kokoro decoder frame at 24 kHz


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
    wer_ours, wer_onnx = corpus_wer(asr_backend, ours, texts), corpus_wer(asr_backend, theirs, texts)
    waveform = [_waveform_agreement(a, b) for a, b in zip(ours, theirs, strict=True)]
    figures = {"n": len(texts), "similarity_min": float(similarity.min()), "wer_converted": wer_ours,
               "wer_onnx": wer_onnx, "length_difference_samples": [len(a) - len(b) for a, b in zip(ours, theirs, strict=True)],
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


def test_steering_female_to_male_shifts_identity_with_alpha(kokoro, english_runs, speaker_backend, asr_backend,
                                                            record_property):
    collected, audio_dir = english_runs
    keep = [i for i, (voice, _) in enumerate(collected.runs) if voice != "af_heart"]
    male = [i for i in keep if collected.runs[i][0][1] == "m"]
    female = [i for i in keep if collected.runs[i][0][1] == "f"]
    rows = collected.rows[STEER_SITE]
    gap = torch.cat([rows[i] for i in male]).mean(0) - torch.cat([rows[i] for i in female]).mean(0)
    text = "She opened the window and looked outside."
    prompts = kokoro.adapter.prepare_chunks(text, "af_heart")
    source = voice_centroid(speaker_backend, [synthesize(kokoro.engine, kokoro.adapter, kokoro.adapter.prepare_chunks(PROBE_TEXT, "af_heart"), 0).audio])
    target = voice_centroid(speaker_backend, [_wav(audio_dir / f"{collected.runs[i][0]}-0") for i in male])
    alphas = (1.0, 2.0, 4.0)
    clips = [synthesize(kokoro.engine, kokoro.adapter, prompts, 0, writes=[Write(STEER_SITE, "add", gap, alpha=a)]).audio for a in alphas]
    shifts = [identity_shift(e, source, target).projection for e in embed(speaker_backend, clips)]
    wers = [corpus_wer(asr_backend, [clip], [text]) for clip in clips]
    figures = {"alphas": alphas, "identity_shift": shifts, "wer": wers, "source_target_cosine": cosine(source, target)}
    print("\nsteering", figures)
    record_property("steering", figures)
    assert shifts[0] < shifts[1] < shifts[2]


def test_the_timbre_half_carries_more_identity_than_the_prosody_half(kokoro, speaker_backend, record_property):
    text = "Where did you put the keys?"
    mine, theirs = kokoro.adapter.prepare_chunks(text, "af_heart")[0], kokoro.adapter.prepare_chunks(text, "am_michael")[0]
    target = voice_centroid(speaker_backend, [synthesize(kokoro.engine, kokoro.adapter, [theirs], 0).audio])
    timbre = synthesize(kokoro.engine, kokoro.adapter, [mine], 0, writes=[Write("style.timbre", "replace", theirs.ref_s[0, :128])]).audio
    prosody = synthesize(kokoro.engine, kokoro.adapter, [mine], 0, writes=[Write("style.prosody", "replace", theirs.ref_s[0, 128:])]).audio
    plain = synthesize(kokoro.engine, kokoro.adapter, [mine], 0).audio
    sims = {name: cosine(e, target) for name, e in zip(("plain", "timbre", "prosody"),
                                                       embed(speaker_backend, [plain, timbre, prosody]), strict=True)}
    print("\nhalf swaps, similarity to am_michael", sims)
    record_property("half_swaps", sims)
    assert sims["timbre"] > sims["prosody"]


def _wav(run_dir):  # noqa: ANN001, ANN202
    import soundfile as sf

    samples, rate = sf.read(str(run_dir / "audio.wav"), dtype="float32")
    assert rate == 24000
    return samples
