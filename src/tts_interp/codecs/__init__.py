"""RVQ audio codecs behind one interface: encode, decode, edit each codebook's contribution in the decoder."""

from tts_interp.codecs.base import EDIT_MODES, RVQCodec
from tts_interp.codecs.registry import BUILTINS, known_codec_ids, load_codec

__all__ = ["BUILTINS", "EDIT_MODES", "RVQCodec", "known_codec_ids", "load_codec"]
