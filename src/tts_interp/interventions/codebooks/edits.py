"""Codebook ablation and swaps on real audio: edit codebooks inside the decoder and write what comes out.

- ablate: decode with chosen codebooks' quantised vectors zeroed (or replaced by the codebook's mean entry);
  the plain reconstruction is written next to it, so the comparison isolates the edit from codec loss.
- swap: chosen codebooks from utterance A, the rest from B, on B's timeline. Frames are matched by
  truncation (the shorter length) or by DTW over codebook-0 embeddings (A's frame matched to each of B's).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np

from tts_interp.codecs.base import EditMode, RVQCodec
from tts_interp.core.audio import write_wav
from tts_interp.core.errors import TTSInterpError, UnknownNameError
from tts_interp.core.results import write_result

Alignment = Literal["truncate", "dtw"]
ALIGNMENTS: tuple[str, ...] = ("truncate", "dtw")


def dtw_frame_map(emb_a: np.ndarray, emb_b: np.ndarray) -> np.ndarray:
    """For each frame of B, the frame of A that DTW (Euclidean cost) matches to it (the first, if several)."""
    import librosa

    _, path = librosa.sequence.dtw(
        X=emb_a.T.astype(np.float64), Y=emb_b.T.astype(np.float64), metric="euclidean"
    )
    mapping = np.full(len(emb_b), -1, dtype=int)
    for a_index, b_index in path[::-1]:
        if mapping[b_index] < 0:
            mapping[b_index] = a_index
    return mapping


def swap_codes(
    codec: RVQCodec,
    codes_a: np.ndarray,
    codes_b: np.ndarray,
    codebooks: Sequence[int],
    align: Alignment = "truncate",
) -> tuple[np.ndarray, dict[str, Any]]:
    """Codes with `codebooks` taken from A and the others from B, frame-aligned to B."""
    chosen = codec.check_codebooks(codebooks)
    codes_a, codes_b = codec.check_codes(codes_a), codec.check_codes(codes_b)
    if align == "truncate":
        n = min(len(codes_a), len(codes_b))
        source_a, target = codes_a[:n], codes_b[:n].copy()
        info: dict[str, Any] = {
            "align": align,
            "frames": n,
            "frames_a": len(codes_a),
            "frames_b": len(codes_b),
        }
    elif align == "dtw":
        table = codec.codebook_table(0).numpy()
        mapping = dtw_frame_map(table[codes_a[:, 0]], table[codes_b[:, 0]])
        source_a, target = codes_a[mapping], codes_b.copy()
        info = {
            "align": align,
            "frames": len(codes_b),
            "frames_a": len(codes_a),
            "frames_b": len(codes_b),
            "a_frames_used": int(len(np.unique(mapping))),
        }
    else:
        raise UnknownNameError("frame alignment", align, ALIGNMENTS)
    target[:, chosen] = source_a[:, chosen]
    return target, info | {"codebooks_from_a": chosen}


def _out_name(path: Path) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in Path(path).stem)


def ablate_files(
    codec: RVQCodec,
    files: Sequence[Path],
    codebooks: Sequence[int],
    mode: EditMode,
    out_dir: Path,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Encode each file, decode it plainly and with the ablation, write both WAVs; bad files are skipped."""
    chosen = codec.check_codebooks(codebooks)
    edits: Mapping[int, EditMode] = dict.fromkeys(chosen, mode)
    result: dict[str, Any] = {
        "command": "codes ablate",
        "codec": codec.describe(),
        "codebooks": chosen,
        "mode": mode,
        "items": [],
        "skipped": [],
    }
    for path in files:
        try:
            codes = codec.encode_audio(path)
            plain = codec.decode(codes)
            edited = codec.decode(codes, edits)
        except TTSInterpError as exc:
            result["skipped"].append({"item": str(path), "reason": str(exc)})
        else:
            stem = _out_name(path)
            write_wav(out_dir / f"{stem}.reconstructed.wav", plain.samples, plain.sample_rate)
            write_wav(out_dir / f"{stem}.ablated.wav", edited.samples, edited.sample_rate)
            np.save(out_dir / f"{stem}.codes.npy", codes)
            diff = edited.samples - plain.samples
            result["items"].append(
                {
                    "input": str(path),
                    "frames": len(codes),
                    "reconstructed": f"{stem}.reconstructed.wav",
                    "ablated": f"{stem}.ablated.wav",
                    "codes": f"{stem}.codes.npy",
                    "rms_reconstructed": float(np.sqrt(np.mean(plain.samples**2))),
                    "rms_change": float(np.sqrt(np.mean(diff**2))),
                }
            )
        write_result(out_dir, result)
        if progress:
            progress(1)
    return result


def swap_files(
    codec: RVQCodec, file_a: Path, file_b: Path, codebooks: Sequence[int], align: Alignment, out_dir: Path
) -> dict[str, Any]:
    """Swap `codebooks` from A into B, write the swapped audio and both plain reconstructions."""
    codes_a, codes_b = codec.encode_audio(file_a), codec.encode_audio(file_b)
    swapped, info = swap_codes(codec, codes_a, codes_b, codebooks, align)
    outputs = {
        "swapped": codec.decode(swapped),
        "a_reconstructed": codec.decode(codes_a),
        "b_reconstructed": codec.decode(codes_b),
    }
    for name, audio in outputs.items():
        write_wav(out_dir / f"{name}.wav", audio.samples, audio.sample_rate)
    np.save(out_dir / "swapped.codes.npy", swapped)
    result = {
        "command": "codes swap",
        "codec": codec.describe(),
        "a": str(file_a),
        "b": str(file_b),
        **info,
        "outputs": {name: f"{name}.wav" for name in outputs},
        "skipped": [],
    }
    write_result(out_dir, result)
    return result
