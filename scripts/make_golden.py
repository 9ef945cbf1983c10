"""Golden outputs: every command run on the tiny built-ins with fixed seeds, reduced to codes, tensors and numbers.

`python scripts/make_golden.py` rewrites tests/fixtures/golden/golden.npz; tests/test_golden.py runs the same
commands and compares. Made before a restructuring, it proves the move changed no output: codes (exact),
activations, directions, mel spectrograms and every number in each result.json (strings, timings and paths are
left out: they name files and versions, not results).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

GOLDEN = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "golden" / "golden.npz"
VOLATILE = ("seconds", "time", "version", "elapsed", "rate_per", "cached", "from cache")
QWEN = ["-m", "tiny-qwen3-tts-voicedesign", "--device", "cpu"]
GRAD = ["-m", "tiny-grad-tts-multispeaker"]


def _numbers(data: object, prefix: str) -> Iterator[tuple[str, float]]:
    """Every numeric leaf of a JSON value, keyed by its path (volatile keys skipped)."""
    if isinstance(data, dict):
        for key, value in data.items():
            if not any(word in str(key) for word in VOLATILE):
                yield from _numbers(value, f"{prefix}/{key}")
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _numbers(value, f"{prefix}/{i}")
    elif isinstance(data, bool):
        yield prefix, float(data)
    elif isinstance(data, int | float):
        yield prefix, float(data)


def _collect(name: str, out: Path, arrays: dict[str, np.ndarray]) -> None:
    """Codes, mels, activations, directions and result.json numbers of one command's output folder."""
    from safetensors.numpy import load_file

    for path in sorted(out.rglob("*")):
        rel = f"{name}:{path.relative_to(out).as_posix()}"
        if path.suffix == ".npy":
            arrays[rel] = np.load(path)
        elif path.suffix == ".safetensors":
            tensors = load_file(str(path))
            sites = {key.split("::")[0] for key in tensors if "::" in key}
            for key, value in sorted(tensors.items()):  # a one-site direction: v1 `vectors` is v2 `<site>::vector`
                part = "vector" if key == "vectors" else key.split("::")[-1] if len(sites) == 1 else key
                arrays[f"{rel}::{part}"] = value
        elif path.name == "result.json":
            items = sorted(_numbers(json.loads(path.read_text()), ""))
            if items:
                arrays[f"{rel}::keys"] = np.array([k for k, _ in items])
                arrays[f"{rel}::values"] = np.array([v for _, v in items], dtype=np.float64)


def _tones(root: Path) -> Path:
    """3 speakers x 2 utterances of harmonic tones with HTS alignments (as the codebook-lab tests make)."""
    import soundfile as sf

    rows = ["path,speaker,text,alignment"]
    for s, f0 in enumerate((110.0, 160.0, 230.0)):
        for u in range(2):
            t = np.arange(9600) / 16000
            phase = 2 * np.pi * np.cumsum(np.full_like(t, f0 * (1 + 0.05 * u))) / 16000
            wave = (np.sin(phase) + 0.5 * np.sin(2 * phase) * (1 + u)) * 0.2
            wave = wave + 0.003 * np.random.default_rng(10 * s + u).standard_normal(len(t))
            name = f"s{s}_{u}"
            sf.write(root / f"{name}.flac", wave.astype(np.float32), 16000)
            (root / f"{name}.lab").write_text("0 3000000 a\n3000000 6000000 i\n")
            rows.append(f"{name}.flac,spk{s},,{name}.lab")
    (root / "manifest.csv").write_text("\n".join(rows) + "\n")
    return root


def commands(tmp: Path) -> list[tuple[str, list[str]]]:
    """(name, CLI arguments without --out) of every golden run, in an order where later runs use earlier outputs."""
    tones = _tones(tmp / "tones")
    d = tmp / "out"
    return [
        ("generate", ["generate", *QWEN, "-t", "hello world", "--instruct", "a calm voice", "--seed", "3",
                      "--max-new-tokens", "6"]),
        ("trace", ["trace", *QWEN, "-t", "hello world", "--instruct", "a calm voice", "--seed", "3",
                   "--max-new-tokens", "5", "--sites", "talker.layer.*.resid_out,code_predictor.layer.0.resid_out",
                   "--frames", "0:4", "--segments", "instruct"]),
        ("lens", ["lens", *QWEN, "-t", "hello world", "--instruct", "a calm voice", "--vs-no-instruct",
                  "--codes", str(d / "generate" / "codes.npy")]),
        ("patch", ["patch", *QWEN, "-t", "hello world", "--instruct", "a deep slow male voice", "--source-instruct",
                   "a bright fast female voice", "--layers", "0,2", "--sites", "resid,mlp",
                   "--segments", "text,frames", "--codes", str(d / "generate" / "codes.npy")]),
        ("direction", ["direction", *QWEN, "-t", "hello world", "-t", "the quick brown fox", "--a-instruct",
                       "a deep voice", "--b-instruct", "a bright voice", "--segments", "frames", "--codes",
                       str(d / "generate" / "codes.npy")]),
        ("direction_pca", ["direction", *QWEN, "--method", "pca", "-t", "hello world", "--a-instruct",
                           "a deep voice", "--b-instruct", "a bright voice", "--segments", "frames", "--codes",
                           str(d / "generate" / "codes.npy")]),
        ("steer", ["steer", *QWEN, "-t", "hello world", "--instruct", "a calm voice", "--direction",
                   str(d / "direction" / "direction.safetensors"), "--layers", "1,2", "--alphas=-1,0,2",
                   "--seed", "5", "--max-new-tokens", "4"]),
        ("hspace_direction", ["hspace", "direction", *GRAD, "--positive-speakers", "0,1", "--negative-speakers",
                              "2,3", "-t", "Hi there.", "--steps", "3", "--pca", "2"]),
        ("hspace_edit", ["hspace", "edit", *GRAD, "--direction", str(d / "hspace_direction" / "direction.safetensors"),
                         "--alpha", "1.5", "--t-range", "0:0.6", "-t", "Hi there.", "--speaker", "4", "--steps", "3"]),
        ("hspace_sweep", ["hspace", "sweep", *GRAD, "--direction",
                          str(d / "hspace_direction" / "direction.safetensors"), "--alphas", "-1,1", "--t-ranges",
                          "0:1", "-t", "Hi there.", "--speaker", "4", "--steps", "3"]),
        ("f5_edit", ["hspace", "edit", "-m", "tiny-f5-tts", "-t", "Hi.", "--steps", "3", "--alpha", "0",
                     "--ref-audio", str(tones / "s0_0.flac"), "--ref-text", "Ah."]),
        ("codes_stats", ["codes", "stats", "--data", str(tones), "--codec", "tiny-mimi"]),
        ("codes_probe", ["codes", "probe", "--data", str(tones), "--codec", "tiny-mimi", "--permutations", "10",
                         "--bootstrap", "10", "--test-fraction", "0.5"]),
        ("codes_ablate", ["codes", "ablate", str(tones / "s0_0.flac"), "--codebooks", "1,2", "--codec", "tiny-mimi"]),
        ("codes_swap", ["codes", "swap", "--a", str(tones / "s0_0.flac"), "--b", str(tones / "s1_0.flac"),
                        "--codebooks", "1", "--codec", "tiny-mimi"]),
    ]


def run_all(tmp: Path) -> dict[str, np.ndarray]:
    """Run every golden command into tmp/out/<name> and return the reduced outputs (plus wav checksums)."""
    import soundfile as sf
    import torch
    from typer.testing import CliRunner

    from tts_interp.cli.app import app

    torch.set_num_threads(1)
    (tmp / "tones").mkdir(parents=True, exist_ok=True)
    arrays: dict[str, np.ndarray] = {}
    for name, args in commands(tmp):
        out = tmp / "out" / name
        started = time.perf_counter()
        result = CliRunner().invoke(app, [*args, "--out", str(out)])
        if result.exit_code != 0:
            raise RuntimeError(f"golden command {name} failed: {result.output}\n{result.exception!r}")
        _collect(name, out, arrays)
        print(f"{name}: {time.perf_counter() - started:.1f} s", file=sys.stderr)
        for wav in sorted(out.rglob("*.wav")):
            audio, _ = sf.read(str(wav), dtype="float32")
            summary = [len(audio), float(np.sum(audio, dtype=np.float64)), float(np.abs(audio).sum(dtype=np.float64))]
            arrays[f"{name}:{wav.relative_to(out).as_posix()}::audio"] = np.array(summary)
    return arrays


PCM16_LSB = 1 / 32768  # audio is written as 16-bit PCM: across CPUs a sample can round to the next level
FLIPPED_SHARE = 0.01  # an audio summary may move by this share of its samples flipping one level
FLOAT_SCALE = 1e-3  # other floats: float32 error carried through deep models and ODE solvers, x the array's RMS
VALUE_RELATIVE = 1e-3  # a result.json number: this share of itself (float error of the computation behind it)
VALUE_ABSOLUTE = 1e-4  # ... and at least this much near 0, where a share of the number is no scale
# kinds of number computed as a ratio of small differences (KL recovered by a patch: (KL_a - KL_p) / KL_a, with
# KL near 0 on random weights): measured to move by up to 7e-4 between two CPUs; a 0.01 change is still caught
SENSITIVE = {"kl_recovery": 2e-3}


def tolerance(key: str, want: np.ndarray, names: np.ndarray | None = None) -> float | np.ndarray:
    """How far a float entry may move on another CPU: audio summaries [samples, sum, |sum|] by 1% of their
    samples rounding to the neighbouring PCM16 level; a result.json's numbers each by their own tolerance
    (VALUE_RELATIVE of the number, at least VALUE_ABSOLUTE near 0: a probe accuracy is not judged on the scale of
    the counts beside it; kinds in SENSITIVE, ratios of small differences, by their own absolute amount, given
    the `names` of the numbers); any other array by 1e-3 of its RMS."""
    if key.endswith("::audio"):
        return max(32.0, FLIPPED_SHARE * float(want[0])) * PCM16_LSB
    if key.endswith("::values"):
        floor = np.full(want.shape, VALUE_ABSOLUTE)
        for kind, amount in SENSITIVE.items():
            if names is not None:
                floor[np.char.find(names.astype(str), kind) >= 0] = amount
        return np.maximum(VALUE_RELATIVE * np.abs(want.astype(np.float64)), floor)
    return FLOAT_SCALE * float(np.sqrt(np.nanmean(want.astype(np.float64) ** 2)))


def _float_problem(key: str, want: np.ndarray, got: np.ndarray, names: np.ndarray | None) -> str | None:
    gap = np.abs(got.astype(np.float64) - want.astype(np.float64))
    if "pca" in key:
        gap = np.minimum(gap, np.abs(got.astype(np.float64) + want.astype(np.float64)))
    allowed = tolerance(key, want, names)
    if np.isnan(got).tolist() != np.isnan(want).tolist():
        return f"{key}: NaN where golden has a number, or the reverse"
    over = np.nan_to_num(gap - allowed, nan=0.0)
    if over.size and float(over.max()) > 0:
        worst = int(np.argmax(over))
        return (f"{key}: differs by up to {float(gap.flat[worst]):.3g} (tolerance "
                f"{float(np.broadcast_to(allowed, gap.shape).flat[worst]):.3g})")
    return None


def differences(arrays: dict[str, np.ndarray], golden: dict[str, np.ndarray], exact: bool = False) -> list[str]:
    """One line per golden entry that is missing, new, or differs: ints exactly; floats exactly with `exact`
    (the machine that made them), else within `tolerance` (PCA components up to their sign, which an SVD may
    flip)."""
    problems = [f"missing: {k}" for k in sorted(set(golden) - set(arrays))]
    problems += [f"new: {k}" for k in sorted(set(arrays) - set(golden))]
    for key in sorted(set(golden) & set(arrays)):
        want, got = golden[key], arrays[key]
        if want.shape != got.shape:
            problems.append(f"{key}: shape {got.shape} != golden {want.shape}")
        elif np.issubdtype(want.dtype, np.floating) and not exact:
            problem = _float_problem(key, want, got, golden.get(key.removesuffix("::values") + "::keys"))
            if problem:
                problems.append(problem)
        elif not np.array_equal(got, want, equal_nan=np.issubdtype(want.dtype, np.floating)):
            problems.append(f"{key}: values differ")
    return problems


def main() -> None:
    check = "--check" in sys.argv[1:]
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("TTS_INTERP_CACHE", str(Path(tmp) / "cache"))
        os.environ["HF_HUB_OFFLINE"] = "1"
        arrays = run_all(Path(tmp))
    if check:  # bit-for-bit comparison with the committed golden outputs
        with np.load(GOLDEN) as data:
            problems = differences(arrays, dict(data), exact=True)
        print("\n".join(problems) or f"identical: all {len(arrays)} golden arrays match bit for bit", file=sys.stderr)
        sys.exit(1 if problems else 0)
    GOLDEN.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(GOLDEN, **arrays)
    print(f"wrote {len(arrays)} arrays to {GOLDEN} ({GOLDEN.stat().st_size / 1e6:.2f} MB)", file=sys.stderr)


if __name__ == "__main__":
    main()
