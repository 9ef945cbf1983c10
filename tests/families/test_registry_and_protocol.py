"""One table of families: routing by prefix and config.json, clear refusals, capabilities, generic tracing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tts_interp.core.errors import BadInputError, UnknownNameError
from tts_interp.models.base import CAPABILITIES, require
from tts_interp.models.registry import (
    FAMILIES,
    Family,
    adapter_class,
    builtin_models,
    check_capabilities,
    family_of,
    register_family,
)

TRACING = Path(__file__).resolve().parents[2] / "src" / "tts_interp" / "tracing"


def test_every_builtin_routes_to_its_family_and_every_family_declares_known_capabilities() -> None:
    models = builtin_models()
    assert {m.family for m in models} == set(FAMILIES)
    for model in models:
        assert family_of(model.model_id) == model.family
    for name in FAMILIES:
        cls = adapter_class(name)
        assert cls.family == name and cls.capabilities and set(cls.capabilities) <= set(CAPABILITIES)
        assert cls.clocks and all(set(phases) <= set(cls.clocks) for phases in cls.phases.values())


def test_a_checkpoint_directory_is_routed_by_its_model_type(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "f5-tts"}))
    assert family_of(str(tmp_path)) == "f5-tts"
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "bark"}))
    with pytest.raises(UnknownNameError, match="unknown model type .*'bark'; valid: qwen3_tts"):
        family_of(str(tmp_path))


def test_an_unknown_id_is_not_taken_for_qwen(private_cache: None) -> None:
    with pytest.raises(UnknownNameError) as info:
        family_of("no such model")
    message = str(info.value)
    assert "unknown model 'no such model'" in message and "tiny-grad-tts" in message and "hub id" in message


def test_a_missing_capability_is_one_line_naming_family_and_capability() -> None:
    with pytest.raises(BadInputError, match="'tiny-f5-tts' is a f5-tts model; this command works on Qwen3-TTS "
                                            r"models \(f5-tts cannot teacher_force"):
        check_capabilities("tiny-f5-tts", ("teacher_force",))
    assert check_capabilities("tiny-grad-tts", ("denoise",)).family == "grad-tts"
    with pytest.raises(BadInputError, match="cannot generate or lens"):
        require(adapter_class("grad-tts"), "generate", "lens", model_id="x")


def test_a_family_row_cannot_take_another_familys_prefix() -> None:
    with pytest.raises(ValueError, match="clashes"):
        register_family(Family("other", "Other", ("tiny-grad-tts",), (), "m:C", "m:f"))
    assert "other" not in FAMILIES


def test_tracing_names_no_model_family() -> None:
    for path in TRACING.glob("*.py"):
        text = path.read_text().lower()
        for word in ("qwen", "talker", "code_predictor", "code predictor", "grad-tts", "f5", "kokoro"):
            assert word not in text, f"{path.name} mentions {word!r}"
