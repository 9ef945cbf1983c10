"""Grad-TTS text input: upstream's English cleaners + CMUdict ARPAbet lookup, blanks interspersed.

The CMU pronouncing dictionary ships inside the grad-tts wheel, so this runs offline; it is parsed once per
process (about a second).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import torch

from tts_interp.core.errors import BadInputError
from tts_interp.models.gradtts.upstream import import_grad_tts


@lru_cache(maxsize=1)
def _dictionary() -> Any:
    import_grad_tts()
    from grad_tts.text import cmudict

    return cmudict.CMUDict()


def text_to_ids(text: str, add_blank: bool, n_vocab: int) -> torch.Tensor:
    """Symbol ids of `text` as upstream inference builds them (with a blank id between symbols if `add_blank`)."""
    import_grad_tts()
    from grad_tts.text import text_to_sequence
    from grad_tts.text.symbols import symbols
    from grad_tts.utils import intersperse

    if not text or not text.strip():
        raise BadInputError("text is empty; give the words to speak with --text")
    sequence = text_to_sequence(text.strip(), dictionary=_dictionary())
    if not sequence:
        raise BadInputError(f"text {text!r} has no speakable symbols after cleaning")
    if add_blank:
        sequence = intersperse(sequence, len(symbols))
    if max(sequence) >= n_vocab:
        raise BadInputError(f"text {text!r} maps to symbol id {max(sequence)}, beyond this model's vocabulary "
                            f"of {n_vocab}")
    return torch.tensor(sequence, dtype=torch.long)
