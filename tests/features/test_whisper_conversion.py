"""The converted Whisper tiny.en (transformers, float32) against the CTranslate2 model it was converted from, run
in float32 on the same log-mel features: the encoders agree number by number, not only in their greedy tokens."""

from __future__ import annotations

import numpy as np
import torch


def test_encoder_output_equals_ctranslate2_float32(whisper_tiny, english_fixtures, record_property) -> None:
    from faster_whisper import WhisperModel
    from faster_whisper.audio import pad_or_trim

    from tts_interp.models.whisper.builtin import source_dir

    clips = [audio for _, audio, _ in english_fixtures[:2]]
    reference = WhisperModel(str(source_dir()), device="cpu", compute_type="float32", cpu_threads=1)
    features = np.stack([pad_or_trim(reference.feature_extractor(c)) for c in clips]).astype(np.float32)
    theirs = np.array(reference.encode(features))
    ours, _ = whisper_tiny.run_encoder(torch.from_numpy(features))
    ours = ours.numpy()
    error = np.abs(ours - theirs)
    figures = {"max_abs_error": float(error.max()), "rms_error": float(np.sqrt(np.mean(error ** 2))),
               "rms_output": float(np.sqrt(np.mean(theirs ** 2))), "shape": list(theirs.shape)}
    record_property("whisper_encoder_vs_ctranslate2", figures)
    assert ours.shape == theirs.shape == (2, 1500, 384)
    assert figures["rms_error"] <= 1e-4 * figures["rms_output"] and figures["max_abs_error"] <= 1e-2, figures
