"""The `lens` experiment end to end: codes, one residual pass, lens statistics, optional prompt-effect profile.

Writes OUT/result.json (with a `layers` list), lens_layers.csv, lens_code_predictor.csv, prompt_effect.csv,
lens_frames.npz (the layer x frame matrices) and codes.npy (the codes that were teacher-forced).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from tts_interp import __version__
from tts_interp.core.results import write_csv, write_result
from tts_interp.interventions.session import Session
from tts_interp.interventions.talker.lens import Lens, compute_lens, residual_pass
from tts_interp.interventions.talker.prompt_effect import PromptEffect, compare_residuals
from tts_interp.interventions.talker.prompts import experiment_codes, prepare_checked, prepare_pair
from tts_interp.models.qwen3_tts.prompt import PreparedPrompt, PromptRequest

DETERMINISM = "deterministic: one teacher-forced pass per prompt over fixed codes (no sampling)"


@dataclass
class LensRun:
    """What `run_lens` computed, for plots and summaries."""

    lens: Lens
    effect: PromptEffect | None
    payload: dict[str, Any]


def run_lens(session: Session, request: PromptRequest, out_dir: Path, codes: torch.Tensor | None = None,
             max_new_tokens: int = 100, vs_request: PromptRequest | None = None, code_predictor: bool = True,
             step: Callable[[str], None] | None = None) -> LensRun:
    """Lens of `request` over `codes` (default: its greedy generation); with `vs_request`, its prompt effect.

    `step(message)` is called before each stage (for progress display).
    """
    out_dir = Path(out_dir)
    adapter = session.adapter
    step = step or (lambda message: None)
    if vs_request is not None:
        pair = prepare_pair(adapter, request, vs_request)  # validate both before any compute
        prompt, other = pair.a, pair.b
    else:
        prompt, other = prepare_checked(adapter, request), None
    step("codes")
    codes, codes_source = experiment_codes(session, prompt, codes, max_new_tokens)
    out_dir.mkdir(parents=True, exist_ok=True)
    np.save(out_dir / "codes.npy", codes.numpy().astype(np.int64))
    step("lens pass")
    residuals = residual_pass(session, prompt, codes, code_predictor=code_predictor)
    lens = compute_lens(adapter, residuals, codes)
    effect = None
    if other is not None:
        step("prompt-effect pass")
        other_residuals = residual_pass(session, other, codes, code_predictor=False)
        effect = compare_residuals(adapter, residuals, other_residuals, pair.differs())
    payload = _write(out_dir, session, prompt.request, prompt, codes_source, codes, lens, effect,
                     other.request if other is not None else None)
    return LensRun(lens, effect, payload)


def _write(out_dir: Path, session: Session, request: PromptRequest, prompt: PreparedPrompt, codes_source: str,
           codes: torch.Tensor, lens: Lens, effect: PromptEffect | None, vs_request: PromptRequest | None
           ) -> dict[str, Any]:
    adapter = session.adapter
    eos = int(adapter.talker_config.codec_eos_token_id)
    files = {"codes": "codes.npy", "layers_csv": "lens_layers.csv", "frames": "lens_frames.npz"}
    write_csv(out_dir / "lens_layers.csv", lens.talker.layer_rows())
    arrays = {f"talker_{k}": v for k, v in lens.talker.__dict__.items()}
    if lens.code_predictor is not None:
        write_csv(out_dir / "lens_code_predictor.csv", lens.code_predictor_rows())
        files["code_predictor_csv"] = "lens_code_predictor.csv"
        arrays.update({f"code_predictor_{k}": v for k, v in lens.code_predictor.__dict__.items()})
    if effect is not None:
        write_csv(out_dir / "prompt_effect.csv", effect.layer_rows())
        files["prompt_effect_csv"] = "prompt_effect.csv"
        arrays.update({f"prompt_effect_{k}": v for k, v in effect.per_frame.items()})
    np.savez_compressed(out_dir / "lens_frames.npz", **arrays)
    payload: dict[str, Any] = {
        "command": "lens", "tts_interp_version": __version__, "model": adapter.describe(),
        "prompt": request.to_json(), "segments": prompt.segments.to_json(), "notes": prompt.notes,
        "codes_source": codes_source, "frames": int(codes.shape[0]), "deterministic": DETERMINISM,
        "support": f"codebook 0: audio codes 0..2047 plus EOS {eos} (as generation); logits in float32",
        "kl_to_final": "KL(model's own distribution || layer lens), nats",
        "position": "frame f is read at the position predicting it (prompt length - 1 + f)",
        **lens.to_json(), "files": files,
    }
    if effect is not None:
        payload["prompt_effect"] = {"vs_prompt": vs_request.to_json() if vs_request else None, **effect.to_json()}
    write_result(out_dir, payload)
    return payload
