"""Open-set gender erasure: does a gender eraser fitted on other voices hide gender from a classifier?

A gender attacker (logistic regression on speaker embeddings, evals/privacy.attribute_attack) is trained on the
original speech of the voices in `--train`'s sweep that are not evaluated there (the attacker's own voices), then
classifies the clips of `--sweep` (a gender-eraser sweep of other voices): original speech and each eraser at alpha
1. Speaker EER (the attackers of `erase score`) is read beside it: erasing gender should not erase identity.
Writes OUT/result.json and prints a table. Usage: gender_openset.py --sweep DIR --train DIR --out DIR
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from tts_interp.core.results import write_result
from tts_interp.evals.privacy import attribute_attack
from tts_interp.evals.scoring import Evaluator, ScoreConfig
from tts_interp.models.kokoro.voices import voice_info


def clips(sweep: Path) -> list[dict]:
    return [json.loads(line) for line in (sweep / "clips.jsonl").read_text().splitlines() if line.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sweep", type=Path, required=True)
    parser.add_argument("--train", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--verifiers", default="resemblyzer,dvector")
    args = parser.parse_args()
    evaluated = {c["speaker"] for c in clips(args.sweep)}
    train_rows = [c for c in clips(args.train) if c["method"] == "plain" and c["speaker"] not in evaluated]
    test_rows = clips(args.sweep)
    conditions = sorted({(c["method"], c["site"]) for c in test_rows}, key=lambda m: (m[0] != "plain", m))
    privacy = json.loads((args.sweep / "privacy" / "result.json").read_text())
    results = []
    for name in args.verifiers.split(","):
        embed = Evaluator(ScoreConfig(scorers=("speaker",), device="cpu", verifiers=(name,))).verifiers()[name]
        paths = [args.train / c["audio"] for c in train_rows] + [args.sweep / c["audio"] for c in test_rows]
        emb = embed(paths)
        train = [(c["speaker"], voice_info(c["speaker"]).gender, emb[args.train / c["audio"]]) for c in train_rows]
        for method, site in conditions:
            test = [(c["speaker"], voice_info(c["speaker"]).gender, emb[args.sweep / c["audio"]])
                    for c in test_rows if (c["method"], c["site"]) == (method, site)]
            attack = attribute_attack(train, test)
            eer = next((r for r in privacy["conditions"] if r.get("verifier") == name and
                        (r["condition"] == "original" if method == "plain" else r.get("method") == method)), {})
            results.append({"verifier": name, "method": method, "site": site, "gender_accuracy": attack,
                            "speaker_ignorant_eer": eer.get("ignorant_eer"),
                            "speaker_ignorant_eer_ci95": eer.get("ignorant_eer_ci95")})
            print(f"{name:<12} {method:<8} gender acc {attack['value']:.3f} [{attack['ci95'][0]:.2f}, "
                  f"{attack['ci95'][1]:.2f}] p={attack['p_value']:.3f} (min p {attack['min_p']:.3f}, chance "
                  f"{attack['chance']:.2f}, n={attack['n_clips']} clips / {attack['n_voices']} voices); speaker "
                  f"ignorant EER {eer.get('ignorant_eer')}")
    write_result(args.out, {"command": "gender_openset", "sweep": str(args.sweep), "train": str(args.train),
                            "results": results})


if __name__ == "__main__":
    main()
