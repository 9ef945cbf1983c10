"""Write a manifest of seeded two-voice Kokoro mixes (`a:w,b:1-w`) x texts: synthetic fit voices for an eraser.

Each mix is its own voice (`mix000`...), speaking every text; weights are drawn uniformly from [0.2, 0.8]. The
base voices themselves come first, so the fit set holds them and their mixes.
Usage: voice_mixes.py --voices a,b,c --mixes 100 --seed 0 --out FILE -t TEXT [-t TEXT ...]
"""

from __future__ import annotations

import argparse
import itertools
import json
from pathlib import Path

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--voices", required=True)
    parser.add_argument("--mixes", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("-t", "--text", action="append", required=True)
    args = parser.parse_args()
    voices = args.voices.split(",")
    rng = np.random.default_rng(args.seed)
    pairs = list(itertools.combinations(voices, 2))
    picked = [pairs[i] for i in rng.choice(len(pairs), size=min(args.mixes, len(pairs)), replace=False)]
    rows = [{"text": t, "speaker": v, "voice": v} for v in voices for t in args.text]
    for k, (a, b) in enumerate(picked):
        w = round(float(rng.uniform(0.2, 0.8)), 2)
        rows += [{"text": t, "speaker": f"{a}:{w},{b}:{round(1 - w, 2)}", "voice": f"mix{k:03d}"} for t in args.text]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("".join(json.dumps(r) + "\n" for r in rows))
    print(f"{len(rows)} rows: {len(voices)} voices + {len(picked)} mixes x {len(args.text)} texts -> {args.out}")


if __name__ == "__main__":
    main()
