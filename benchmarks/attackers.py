"""What the semi-informed attacker costs beside the ignorant one (issue 20), measured side by side.

The attackers score one condition from embeddings: `ignorant` runs the ignorant and lazy-informed attackers and
identification (what a sweep scored before); `semi_informed` adds the semi-informed attacker (an LDA back-end
trained on the attacker's own voices, then enrolment and trials in its space). Both on the same 256-d embeddings
(resemblyzer's and dvector's width), at the size of scripts/erase_openset.sh (8 evaluated voices x 4 texts, 6
attacker voices) and at a VoicePrivacy-like size (40 x 10, 30 attacker voices). The extra audio the semi-informed
attacker needs (its own voices, generated and embedded like the evaluated ones) costs in proportion to its clip
count: that share is printed too.
"""

from __future__ import annotations

import argparse
import json

import numpy as np
from side_by_side import interleaved, print_ratio, ratio_line, ratio_report

from tts_interp.evals import privacy

DIM = 256


def clips(voices: int, texts: int, prefix: str, seed: int) -> list[privacy.Clip]:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(voices, DIM))
    return [privacy.Clip(f"{prefix}{v}", t, centres[v] + 0.5 * rng.normal(size=DIM))
            for v in range(voices) for t in range(texts)]


def measure(voices: int, texts: int, attacker_voices: int, repeats: int) -> dict[str, object]:
    plain, erased = clips(voices, texts, "e", 0), clips(voices, texts, "e", 1)
    own = clips(attacker_voices, texts, "a", 2)
    times = interleaved({"ignorant": lambda: privacy.attackers(plain, erased),
                         "semi_informed": lambda: privacy.attackers(plain, erased, attacker=own)}, repeats)
    report = ratio_report(times, {"semi_informed": None}, base="ignorant")
    return {"voices": voices, "texts": texts, "attacker_voices": attacker_voices,
            "extra_audio_share": round(len(own) / len(erased), 3), **report}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    sizes = {"openset_script": (8, 4, 6), "voiceprivacy_like": (40, 10, 30)}
    reports = {name: measure(*size, args.repeats) for name, size in sizes.items()}
    print(json.dumps(reports, indent=2))
    for name, report in reports.items():
        print(f"{name}: " + ratio_line(report, {"semi_informed": "scoring with the semi-informed attacker"})
              + f"; its own voices add {report['extra_audio_share']}x the evaluated clips to generate and embed")
        print_ratio(f"semi_informed_scoring_{name}", report["ratios"]["semi_informed"]["median_ratio"])


if __name__ == "__main__":
    main()
