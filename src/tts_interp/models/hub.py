"""Resolving a model reference to a local checkpoint directory: a local path, or a hub id via the HF cache.

Every family uses this so that a missing checkpoint fails the same way: one paragraph naming the model, the
place looked in, and how to get it. `HF_HUB_OFFLINE=1` is respected (cache only, no network).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

from tts_interp.core.errors import UnknownNameError, WeightsNotFoundError

HUB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$")


def hub_cache_dir() -> str:
    """The Hugging Face hub cache directory in force (HF_HUB_CACHE / HF_HOME aware)."""
    from huggingface_hub import constants

    return str(constants.HF_HUB_CACHE)


def is_offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


def resolve_checkpoint(reference: str, known_ids: list[str], allow_patterns: list[str] | None = None) -> Path:
    """Return a local directory for `reference` (an existing directory or a hub id `org/name`).

    A hub id is looked up in the HF cache first; if absent and the hub is not offline, it is downloaded into
    that cache. `known_ids` are listed when the reference is neither a directory nor a hub id.
    """
    path = Path(reference).expanduser()
    if path.is_dir():
        return path
    if not HUB_ID.match(reference):
        raise UnknownNameError("model", reference, known_ids + ["<a local checkpoint directory>",
                                                                 "<a hub id such as Qwen/Qwen3-TTS-12Hz-0.6B-Base>"])
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HFValidationError

    try:
        return Path(snapshot_download(reference, local_files_only=True, allow_patterns=allow_patterns))
    except OSError:  # not in the cache: LocalEntryNotFoundError (an OSError, as every hub and network error is)
        pass
    if not is_offline():
        try:
            return Path(snapshot_download(reference, allow_patterns=allow_patterns))
        except (OSError, HFValidationError) as exc:  # network, auth, missing repo; a name the hub refuses
            reason = f"downloading it failed ({type(exc).__name__}: {str(exc).splitlines()[0][:200]})"
        else:  # pragma: no cover - returned above
            raise AssertionError
    else:
        reason = "HF_HUB_OFFLINE is set, so it was not downloaded"
    raise WeightsNotFoundError(
        f"model {reference!r} is not available: it is not a local directory, it is not in the Hugging Face "
        f"cache at {hub_cache_dir()}, and {reason}. To use it, download it on a machine with network access "
        f"(`huggingface-cli download {reference}`) into that cache or copy the checkpoint directory here and "
        f"pass its path; or use a built-in model ({', '.join(known_ids)})."
    )


def checkpoint_dir(model_id: str, prefix: str, builtin_ids: list[str], build: Callable[[str], Path]) -> Path:
    """A family's checkpoint directory for `model_id`: a built-in (by `prefix`, built into the cache by `build`),
    else a local directory or hub id."""
    if model_id.startswith(prefix):
        if model_id not in builtin_ids:
            raise UnknownNameError("built-in model", model_id, builtin_ids)
        return build(model_id)
    return resolve_checkpoint(model_id, builtin_ids)
