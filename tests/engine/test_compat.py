"""torchaudio: speechbrain imports and embeds on CPU torch; the real extension is used where it loads."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import torch


def test_speechbrain_imports_and_embeds_on_cpu_torch():
    from tts_interp.core.compat import ensure_torchaudio

    ensure_torchaudio()
    from speechbrain.lobes.models.ECAPA_TDNN import ECAPA_TDNN

    model = ECAPA_TDNN(input_size=80, lin_neurons=192).eval()
    import torchaudio

    wave = torch.randn(2, 16000)
    feats = torchaudio.compliance.kaldi.fbank(wave[:1], num_mel_bins=80)[None]
    with torch.no_grad():
        embedding = model(feats.repeat(2, 1, 1))
    assert embedding.shape == (2, 1, 192) and torch.isfinite(embedding).all()


def test_real_extension_is_kept_when_torchaudio_imports(tmp_path):
    """With a torchaudio that imports cleanly, no stand-in extension is installed."""
    package = tmp_path / "torchaudio"
    package.mkdir()
    (package / "__init__.py").write_text("REAL = True\n")
    code = textwrap.dedent("""
        import sys
        from tts_interp.core.compat import ensure_torchaudio
        assert ensure_torchaudio() is True
        import torchaudio
        assert torchaudio.REAL and "torchaudio._extension" not in sys.modules
        print("real")
    """)
    result = subprocess.run([sys.executable, "-c", code], env={"PYTHONPATH": f"{tmp_path}:{Path(__file__).parents[2] / 'src'}"},
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0 and result.stdout.strip() == "real", result.stderr
