"""A hub id that is not in the cache fails in one clear line; a bug inside the lookup is not mistaken for a
missing model (the lookup catches the hub's and the network's errors, nothing else)."""

from __future__ import annotations

import pytest

from tts_interp.core.errors import WeightsNotFoundError
from tts_interp.models import hub


def test_a_hub_id_missing_from_the_cache_names_the_cache_and_the_way_out(monkeypatch, tmp_path) -> None:
    import huggingface_hub.constants as constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(WeightsNotFoundError) as raised:
        hub.resolve_checkpoint("some-org/not-a-model", ["tiny-x"])
    message = str(raised.value)
    assert "not in the Hugging Face cache" in message and "HF_HUB_OFFLINE" in message and "tiny-x" in message


def test_an_error_that_is_not_the_hubs_is_raised_not_read_as_a_missing_model(monkeypatch) -> None:
    import huggingface_hub

    def broken(*args: object, **kwargs: object) -> None:
        raise TypeError("a bug in the lookup")

    monkeypatch.setattr(huggingface_hub, "snapshot_download", broken)
    with pytest.raises(TypeError, match="a bug in the lookup"):
        hub.resolve_checkpoint("some-org/not-a-model", ["tiny-x"])
