"""Item 1 for h-space sweeps: a cell is reused only under its full configuration (request, settings, direction)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tts_interp.core.fingerprint import StaleResultError


def test_hspace_sweep_rerun_with_another_text_recomputes_every_cell(multispeaker, tmp_path):
    from tts_interp.interventions.hspace.directions import Direction as HDirection
    from tts_interp.interventions.hspace.sweep import sweep
    from tts_interp.models.denoising.settings import DenoiseRequest, SamplerSettings

    settings = SamplerSettings(steps=2, seed=3)
    vector = torch.nn.functional.normalize(torch.randn(1, multispeaker.site_dim("denoiser.hspace"),
                                                       generator=torch.Generator().manual_seed(0)), dim=1)
    direction = HDirection(multispeaker.model, "denoiser.hspace", "mean_difference", vector, (float("nan"),), False,
                           10.0)
    said: list[str] = []
    sweep(multispeaker, [DenoiseRequest("Hi there.", speaker=2)], [direction], [1.0], [None], settings, tmp_path)
    sweep(multispeaker, [DenoiseRequest("Something else entirely.", speaker=2)], [direction], [1.0], [None], settings,
          tmp_path, on_stale=said.append)
    fresh = tmp_path / "fresh"
    sweep(multispeaker, [DenoiseRequest("Something else entirely.", speaker=2)], [direction], [1.0], [None], settings,
          fresh)
    for cell in ("p000-plain", "p000-d0-a+1-all"):
        assert np.array_equal(np.load(tmp_path / "cells" / cell / "mel.npy"), np.load(fresh / "cells" / cell / "mel.npy"))
    assert len(said) == 2 and "request.text" in said[0]
    with pytest.raises(StaleResultError):
        sweep(multispeaker, [DenoiseRequest("Hi there.", speaker=2)], [direction], [1.0], [None], settings, tmp_path,
              policy="refuse")
