"""Loading Kokoro: the original release's layout, missing weights offline, and the CLI's one-line errors."""

from __future__ import annotations

import pytest
import torch

from tts_interp.core.errors import TTSInterpError, WeightsNotFoundError
from tts_interp.models.kokoro.weights import load_original


def test_missing_hub_weights_offline_give_the_one_paragraph_error(private_cache):
    with pytest.raises(WeightsNotFoundError, match="HF_HUB_OFFLINE is set.*huggingface-cli download hexgrad"):
        load_original("hexgrad/Kokoro-82M")


def test_a_directory_without_kokoro_files_is_refused(tmp_path):
    with pytest.raises(TTSInterpError, match="needs kokoro-v1_0.pth and voices"):
        load_original(str(tmp_path))


def test_the_original_layout_loads_as_original(kokoro, tmp_path):
    """A directory in hexgrad/Kokoro-82M's layout (grouped state dicts, `module.` prefixes, voices/*.pt)."""
    state = kokoro.adapter.runner.kmodel.state_dict()
    groups: dict[str, dict[str, torch.Tensor]] = {}
    for key, value in state.items():
        group, rest = key.split(".", 1)
        groups.setdefault(group, {})[f"module.{rest}"] = value
    torch.save(groups, tmp_path / "kokoro-v1_0.pth")
    (tmp_path / "voices").mkdir()
    torch.save(kokoro.adapter.tables["af_heart"], tmp_path / "voices" / "af_heart.pt")
    loaded = load_original(str(tmp_path))
    assert loaded.provenance["weights"] == "original"
    assert set(loaded.state) == set(state) and all(torch.equal(loaded.state[k], state[k]) for k in state)
    assert torch.equal(loaded.tables["af_heart"], kokoro.adapter.tables["af_heart"])


def test_cli_errors_are_one_line(kokoro, cli, tmp_path):
    code, _, err = cli("lens", "--model", "kokoro-82m", "--text", "Hi.", "--out",
                           str(tmp_path / "l"))
    assert code == 2 and "cannot" in err and "lens" in err and "Traceback" not in err
    code, _, err = cli("generate", "--model", "kokoro-82m", "--voice", "af_nobody",
                           "--text", "Hi.", "--out", str(tmp_path / "g"))
    assert code == 2 and "unknown voice 'af_nobody'" in err and "Traceback" not in err
    code, _, err = cli("generate", "--model", "kokoro-82m", "--voice", "af_heart",
                           "--instruct", "deep", "--text", "Hi.", "--out", str(tmp_path / "q"))
    assert code == 2 and "--instruct" in err


def test_cli_trace_writes_a_replayable_run_with_word_rows(kokoro, cli, tmp_path):
    import json

    from tts_interp.tracing.store import load_site

    out = tmp_path / "trace"
    code, _, err = cli("trace", "--model", "kokoro-82m", "--voice", "bf_emma", "--text",
                           "Good morning, friend.", "--sites", "decoder.decode.1,bert_encoder", "--segments",
                           "word.1", "--out", str(out))
    assert code == 0, err
    result = json.loads((out / "result.json").read_text())
    assert result["chunks"][0]["language"] == "en-gb" and result["provenance"]["weights"] == "int8-dequantized"
    first, last = result["chunks"][0]["words"][1]["positions"]
    rows = load_site(out / "activations", "decoder.decode.1")
    assert rows.values.shape[0] == sum(result["durations"][0][first:last + 1])
    assert (out / "audio.wav").is_file() and (out / "alignment.lab").is_file()
    code, _, err = cli("replay", str(out / "result.json"), "--out", str(tmp_path / "again"))
    assert code == 0, err
    assert json.loads((tmp_path / "again" / "result.json").read_text())["identical_audio"] is True


def test_a_non_english_voice_reads_english_text_in_its_own_voice(kokoro, cli, tmp_path):
    """`generate --voice jf_alpha -t "Good morning."` speaks English (en-us phonemes) in the Japanese voice, and
    says so; text in a language this build cannot phonemize is one line naming what it can read."""
    import json

    code, _, err = cli("generate", "--model", "kokoro-82m", "--voice", "jf_alpha", "--text", "Good morning.",
                       "--out", str(tmp_path / "jf"))
    assert code == 0, err
    result = json.loads((tmp_path / "jf" / "result.json").read_text())
    assert result["chunks"][0]["language"] == "en-us"
    assert any("Japanese voice" in n and "accent is kept" in n for n in result["notes"])
    code, _, err = cli("generate", "--model", "kokoro-82m", "--voice", "jf_alpha", "--text", "おはようございます",
                       "--out", str(tmp_path / "ja"))
    assert code == 2 and "reads only English (en-us, en-gb)" in err and "Traceback" not in err
