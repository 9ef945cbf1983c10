"""The prompts and codes an experiment runs on: checked prompts, prompt pairs, and the teacher-forced codes.

Unlike `generate` (which follows upstream and only warns), an experiment refuses an instruct the model cannot
read: silently dropping it would make two prompts that "differ in their instruct" identical.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch

from tts_interp.core.errors import BadInputError
from tts_interp.interventions.running import prepare_checked
from tts_interp.interventions.session import Session
from tts_interp.models.qwen3_tts.adapter import Qwen3TTSAdapter
from tts_interp.models.qwen3_tts.prompt import PreparedPrompt, PromptRequest
from tts_interp.models.qwen3_tts.runs import generate
from tts_interp.models.qwen3_tts.settings import GenerationSettings

# The fields of a request that two compared prompts may differ in (the text must stay the same).
CONDITION_FIELDS = ("instruct", "speaker", "ref_audio", "ref_text", "language")


def derive_request(base: PromptRequest, *, instruct: str | None = None, no_instruct: bool = False,
                   speaker: str | None = None, ref_audio: str | None = None, ref_text: str | None = None
                   ) -> PromptRequest:
    """The second prompt of a comparison: `base` with the given condition fields replaced (text unchanged)."""
    if instruct is not None and no_instruct:
        raise BadInputError("give either a second instruct or no-instruct, not both")
    changes: dict[str, str | None] = {}
    if instruct is not None:
        changes["instruct"] = instruct
    if no_instruct:
        changes["instruct"] = None
    for name, value in (("speaker", speaker), ("ref_audio", ref_audio), ("ref_text", ref_text)):
        if value is not None:
            changes[name] = value
    other = replace(base, **changes)
    if not changes or other == base:
        raise BadInputError("the second prompt equals the first: change its instruct, speaker or reference audio")
    return other


@dataclass
class PromptPair:
    """Two prepared prompts with the same text: `a` (source / first) and `b` (target / second)."""

    a: PreparedPrompt
    b: PreparedPrompt

    def differs(self) -> list[str]:
        """The condition fields in which the prepared prompts differ."""
        return [f for f in CONDITION_FIELDS if getattr(self.a.request, f) != getattr(self.b.request, f)]


def prepare_pair(adapter: Qwen3TTSAdapter, request_a: PromptRequest, request_b: PromptRequest) -> PromptPair:
    """Prepare two prompts that speak the same text; different texts cannot be aligned position by position."""
    if request_a.text.strip() != request_b.text.strip():
        raise BadInputError(f"the two prompts must speak the same text (got {request_a.text!r} and "
                            f"{request_b.text!r}): different texts give text segments that cannot be aligned "
                            "position by position")
    return PromptPair(prepare_checked(adapter, request_a), prepare_checked(adapter, request_b))


def load_codes(path: Path, adapter: Qwen3TTSAdapter) -> torch.Tensor:
    """Read a (frames, 16) code array saved by `generate` (codes.npy) and validate it."""
    path = Path(path)
    if not path.is_file():
        raise BadInputError(f"codes file {path} does not exist (give the codes.npy of a generate run)")
    try:
        array = np.load(path, allow_pickle=False)
    except Exception as exc:  # numpy raises ValueError, OSError, EOFError ... for files that are not one array
        raise BadInputError(f"{path} is not a numpy array file (.npy): {exc}") from None
    if not isinstance(array, np.ndarray):
        array.close()
        raise BadInputError(f"{path} is an .npz archive; give one (frames, 16) array saved with np.save (.npy)")
    return adapter.check_codes(array)


def experiment_codes(session: Session, prompt: PreparedPrompt, codes: torch.Tensor | None,
                     max_new_tokens: int) -> tuple[torch.Tensor, str]:
    """The codes to teacher-force: `codes` if given, else a greedy generation of `prompt`; with a description."""
    if codes is not None:
        return session.adapter.check_codes(codes), "given codes"
    settings = GenerationSettings(max_new_tokens=max_new_tokens, greedy=True)
    run = generate(session.engine, session.adapter, prompt, settings)
    if run.codes.shape[0] == 0:
        raise BadInputError(f"greedy generation stopped before the first frame (EOS at once); give codes with "
                            f"--codes or another prompt (max_new_tokens={max_new_tokens})")
    return run.codes, f"greedy generation of the prompt (max_new_tokens={max_new_tokens})"
