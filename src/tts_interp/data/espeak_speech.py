"""Speech with known phoneme and word timings, from the espeak-ng library (shipped by `espeakng-loader`).

espeak-ng reports, while it synthesises, a phoneme event and a word event at the exact output sample where
each starts. That gives a phoneme under every 20 ms frame without any forced aligner: the labels are the
synthesiser's own. The speech is formant synthesis (robotic but intelligible to Whisper); voices vary by
espeak-ng variant (`en-us+f2`, ...) and rate. Labels are espeak's ASCII phoneme mnemonics with stress marks
and allophone digits removed (`'3:` -> `3:`, `@2` -> `@`); pauses (`_`) are silence.

Not bit-reproducible: espeak-ng's voice source differs slightly from call to call (the same sentence twice:
same length and phoneme timings, log-spectrogram correlation about 0.98; neither `espeak_ng_SetRandSeed`,
libc `srand` nor re-initialising the library made it repeat), so statistics over these clips vary in the
second decimal between runs.
"""

from __future__ import annotations

import ctypes
import re
import threading
from dataclasses import dataclass

import numpy as np

from tts_interp.core.audio import resample
from tts_interp.core.errors import BadInputError
from tts_interp.data.alignments import Interval

PHONEME_EVENT, WORD_EVENT, END_EVENT = 7, 1, 0
SYNCHRONOUS, PHONEME_EVENTS_OPTION, RATE_PARAMETER = 2, 1, 1
_LOCK = threading.Lock()
_STATE: dict = {}


class _EventId(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):
    _fields_ = [("type", ctypes.c_int), ("unique_identifier", ctypes.c_uint), ("text_position", ctypes.c_int),
                ("length", ctypes.c_int), ("audio_position", ctypes.c_int), ("sample", ctypes.c_int),
                ("user_data", ctypes.c_void_p), ("id", _EventId)]


_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event))


@dataclass(frozen=True)
class AlignedClip:
    """A synthesised clip (16 kHz) with its phoneme and word intervals in seconds."""

    clip_id: str
    audio: np.ndarray
    sample_rate: int
    text: str
    phones: list[Interval]
    words: list[Interval]
    voice: str


def _library() -> tuple[ctypes.CDLL, int]:
    if "lib" not in _STATE:
        import espeakng_loader

        lib = ctypes.CDLL(espeakng_loader.get_library_path())
        rate = lib.espeak_Initialize(SYNCHRONOUS, 0, espeakng_loader.get_data_path().encode(), PHONEME_EVENTS_OPTION)
        if rate <= 0:
            raise BadInputError("espeak-ng failed to initialise (espeakng-loader's library and data)")
        lib.espeak_Synth.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint,
                                     ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p]
        _STATE["chunks"], _STATE["events"] = [], []

        def on_audio(wav, count, events):  # noqa: ANN001 - ctypes callback
            if count > 0:
                _STATE["chunks"].append(np.ctypeslib.as_array(wav, shape=(count,)).copy())
            i = 0
            while events[i].type != END_EVENT:
                e = events[i]
                label = e.id.string.decode("ascii", "replace") if e.type == PHONEME_EVENT else ""
                _STATE["events"].append((e.type, e.sample, e.text_position, label))
                i += 1
            return 0

        _STATE["callback"] = _CALLBACK(on_audio)  # keep a reference: ctypes must not collect it
        lib.espeak_SetSynthCallback(_STATE["callback"])
        _STATE["lib"], _STATE["rate"] = lib, rate
    return _STATE["lib"], _STATE["rate"]


def normalise_phoneme(label: str) -> str | None:
    """espeak mnemonic -> label: stress marks and allophone digits dropped; pauses -> None (silence)."""
    base = re.sub(r"[',%=]", "", label)
    base = re.sub(r"(?<=[^\d])\d$", "", base) if len(base) > 1 else base
    return None if not base or base.startswith("_") else base


def _word_at(text: str, position: int) -> str:
    """The word starting at 1-based character `position` of `text`."""
    match = re.match(r"[\w'-]+", text[max(position - 1, 0):])
    return match.group(0) if match else ""


def synthesize(text: str, voice: str = "en-us", words_per_minute: int = 165, clip_id: str = "",
               sample_rate: int = 16_000) -> AlignedClip:
    """Speak `text` with espeak-ng; return the audio at `sample_rate` with phoneme and word intervals."""
    with _LOCK:
        lib, native_rate = _library()
        if lib.espeak_SetVoiceByName(voice.encode()) != 0:
            raise BadInputError(f"espeak-ng voice {voice!r} is unknown; valid e.g. en-us, en-us+f2, en+m3, en-gb")
        lib.espeak_SetParameter(RATE_PARAMETER, int(words_per_minute), 0)
        _STATE["chunks"].clear()
        _STATE["events"].clear()
        encoded = text.encode("utf-8")
        lib.espeak_Synth(encoded, len(encoded) + 1, 0, 1, 0, 0, None, None)
        audio = np.concatenate(_STATE["chunks"]).astype(np.float32) / 32768.0 if _STATE["chunks"] else np.zeros(0)
        events = list(_STATE["events"])
    seconds = len(audio) / native_rate
    phones, words = [], []
    starts = [(t, s / native_rate, pos, lab) for t, s, pos, lab in events if t in (PHONEME_EVENT, WORD_EVENT)]
    phone_events = [e for e in starts if e[0] == PHONEME_EVENT]
    for (_, start, _, label), following in zip(phone_events, phone_events[1:] + [(0, seconds, 0, "")], strict=True):
        if (name := normalise_phoneme(label)) and following[1] > start:
            phones.append(Interval(round(start, 5), round(following[1], 5), name))
    word_events = [e for e in starts if e[0] == WORD_EVENT]
    for (_, start, pos, _), following in zip(word_events, word_events[1:] + [(0, None, 0, "")], strict=True):
        inside = [p for p in phones if p.start >= start and (following[1] is None or p.start < following[1])]
        if inside:
            words.append(Interval(inside[0].start, inside[-1].end, _word_at(text, pos)))
    audio = resample(audio, native_rate, sample_rate) if native_rate != sample_rate else audio
    peak = float(np.abs(audio).max()) if len(audio) else 0.0
    audio = (audio * (0.9 / peak) if peak > 0.9 else audio).astype(np.float32)
    return AlignedClip(clip_id or f"{voice}:{text[:24]}", audio, sample_rate, text, phones, words, voice)
