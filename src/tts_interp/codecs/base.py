"""The RVQ codec interface: encode audio to codes (frames, codebooks), decode codes to audio, and reach each
codebook's contribution inside the decoder.

Every residual-vector-quantised codec decodes codes the same way: each codebook's layer looks its codes up
(`layer.decode(indices) -> (batch, dim, frames)`), the layers' outputs are summed (per group, then passed
through a bias-free linear projection) and the sum feeds the decoder network. An edit replaces one layer's
output while the decoder runs: "zero" removes that codebook's quantised vector entirely (a true ablation,
not "code 0", which is a real entry), "mean" puts the codebook's mean entry in its place. Adapters only say
where the layers are and how the model encodes and decodes; the edits, the lookup tables and the checks on
codes live here, once.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Literal

import numpy as np
import torch

from tts_interp.core.audio import Audio, load_audio
from tts_interp.core.errors import BadInputError, OutOfRangeError, UnknownNameError

EditMode = Literal["zero", "mean"]
EDIT_MODES: tuple[str, ...] = ("zero", "mean")


class RVQCodec(ABC):
    """A loaded RVQ codec: codes are int64 arrays of shape (frames, n_codebooks), audio is mono float32."""

    codec_id: str
    sample_rate: int
    frame_rate: float
    n_codebooks: int
    codebook_size: int

    # --- what each adapter provides -------------------------------------------------------------------
    @abstractmethod
    def vq_layers(self) -> Sequence[torch.nn.Module]:
        """The decoder's per-codebook VQ layers, codebook 0 first; `decode(indices (B,T)) -> (B,D,T)` each."""

    @abstractmethod
    def _encode_padded(self, batch: torch.Tensor, lengths: Sequence[int]) -> list[torch.Tensor]:
        """Encode right-padded waveforms (B, N) at `sample_rate`; return one (frames, K) long tensor each."""

    @abstractmethod
    def _decode_tensor(self, codes: torch.Tensor) -> torch.Tensor:
        """Decode one (frames, K) long tensor to a 1-D waveform at `sample_rate`."""

    @abstractmethod
    def _quantizer_decode(self, codes: torch.Tensor) -> torch.Tensor:
        """Run only the decoder's quantiser on (frames, K) codes: the decoder's summed (dim, frames) input."""

    @property
    @abstractmethod
    def device(self) -> torch.device:
        """The device the model's weights are on."""

    # --- the interface --------------------------------------------------------------------------------
    @property
    def hop_length(self) -> int:
        """Audio samples per code frame."""
        return round(self.sample_rate / self.frame_rate)

    def encode(self, waves: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Encode mono waveforms already at `sample_rate` in one padded batch; (frames, K) int64 codes each.

        Each waveform is zero-padded to whole frames first, so a batch sees the same frames as one at a time
        (float rounding in a batched matmul can still flip a near-tie in a deep residual codebook).
        """
        if not waves:
            return []
        lengths = [math.ceil(len(w) / self.hop_length) * self.hop_length for w in waves]
        batch = torch.zeros(len(waves), max(lengths), dtype=torch.float32)
        for row, wave in enumerate(waves):
            batch[row, : len(wave)] = torch.from_numpy(np.ascontiguousarray(wave, dtype=np.float32))
        with torch.inference_mode():
            codes = self._encode_padded(batch.to(self.device), lengths)
        return [c.detach().cpu().numpy().astype(np.int64) for c in codes]

    def encode_audio(self, source: str | object, source_sr: int | None = None) -> np.ndarray:
        """Read (any rate, downmixed, checked), resample to the codec's rate and encode one utterance."""
        audio = load_audio(source, self.sample_rate, source_sr=source_sr, min_seconds=1.0 / self.frame_rate)
        return self.encode([audio.samples])[0]

    def decode(self, codes: np.ndarray, edits: Mapping[int, EditMode] | None = None) -> Audio:
        """Decode (frames, K) codes to audio; `edits` maps codebook -> "zero" | "mean" inside the decoder."""
        tensor = self._codes_tensor(codes)
        with torch.inference_mode(), self.edited(edits or {}):
            wave = self._decode_tensor(tensor)
        return Audio(wave.detach().float().cpu().numpy(), self.sample_rate)

    def quantizer_output(
        self, codes: np.ndarray, edits: Mapping[int, EditMode] | None = None
    ) -> torch.Tensor:
        """The decoder's summed quantiser output (dim, frames) for `codes`, under `edits`."""
        tensor = self._codes_tensor(codes)
        with torch.inference_mode(), self.edited(edits or {}):
            return self._quantizer_decode(tensor).detach().float().cpu()

    def codebook_table(self, codebook: int) -> torch.Tensor:
        """Codebook `codebook`'s own vectors (codebook_size, dim), exactly as its decoder layer emits them."""
        self.check_codebooks([codebook])
        cache = self.__dict__.setdefault("_tables", {})
        if codebook not in cache:
            indices = torch.arange(self.codebook_size, device=self.device)[None]
            with torch.inference_mode():
                cache[codebook] = self.vq_layers()[codebook].decode(indices)[0].T.detach().float().cpu()
        return cache[codebook]

    def contribution_table(self, codebook: int) -> torch.Tensor:
        """Each entry's contribution (codebook_size, out_dim) to the summed quantiser output (projected).

        Found by running the quantiser with every other codebook zeroed, so it holds for any adapter.
        """
        self.check_codebooks([codebook])
        cache = self.__dict__.setdefault("_contribution_tables", {})
        if codebook not in cache:
            codes = np.zeros((self.codebook_size, self.n_codebooks), dtype=np.int64)
            codes[:, codebook] = np.arange(self.codebook_size)
            others = dict.fromkeys((k for k in range(self.n_codebooks) if k != codebook), "zero")
            cache[codebook] = self.quantizer_output(codes, others).T.contiguous()
        return cache[codebook]

    def mean_vector(self, codebook: int) -> torch.Tensor:
        """The mean of a codebook's entries (dim,): what a "mean" edit puts in place of its vector."""
        return self.codebook_table(codebook).mean(dim=0)

    def check_codebooks(self, codebooks: Sequence[int]) -> list[int]:
        """Raise OutOfRangeError for an index outside 0..n_codebooks-1; return the indices sorted, unique."""
        for k in codebooks:
            if not 0 <= int(k) < self.n_codebooks:
                raise OutOfRangeError(f"codebook index for {self.codec_id}", k, f"0..{self.n_codebooks - 1}")
        return sorted({int(k) for k in codebooks})

    def check_codes(self, codes: np.ndarray) -> np.ndarray:
        """Raise BadInputError unless codes are a non-empty (frames, n_codebooks) array of valid entries."""
        codes = np.asarray(codes)
        if codes.ndim != 2 or codes.shape[1] != self.n_codebooks or codes.shape[0] == 0:
            raise BadInputError(
                f"codes for {self.codec_id} must have shape (frames>0, {self.n_codebooks}); got {codes.shape}"
            )
        if codes.min() < 0 or codes.max() >= self.codebook_size:
            raise BadInputError(
                f"codes for {self.codec_id} must lie in 0..{self.codebook_size - 1}; got "
                f"{codes.min()}..{codes.max()}"
            )
        return codes.astype(np.int64)

    @contextmanager
    def edited(self, edits: Mapping[int, EditMode]) -> Iterator[None]:
        """While inside, the decoder layers of the codebooks in `edits` emit zeros or their mean entry."""
        self.check_codebooks(list(edits))
        for mode in edits.values():
            if mode not in EDIT_MODES:
                raise UnknownNameError("codebook edit mode", mode, EDIT_MODES)
        layers = self.vq_layers()
        replacements = {k: self._replacement(layers[k], k, mode) for k, mode in edits.items()}
        for k, replacement in replacements.items():
            layers[k].decode = replacement  # an instance attribute shadows the class's decode method
        try:
            yield
        finally:
            for k in replacements:
                del layers[k].decode

    def _replacement(self, layer: torch.nn.Module, codebook: int, mode: EditMode):  # noqa: ANN202 - a closure
        original = layer.decode
        if mode == "zero":
            return lambda indices: torch.zeros_like(original(indices))
        mean = self.mean_vector(codebook)

        def mean_entry(indices: torch.Tensor) -> torch.Tensor:
            out = original(indices)
            return mean.to(out.device, out.dtype)[None, :, None].expand_as(out).clone()

        return mean_entry

    def _codes_tensor(self, codes: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(self.check_codes(codes)).to(self.device)

    def describe(self) -> dict[str, object]:
        """The codec's identity and shape, for result.json."""
        return {
            "codec": self.codec_id,
            "sample_rate": self.sample_rate,
            "frame_rate": self.frame_rate,
            "n_codebooks": self.n_codebooks,
            "codebook_size": self.codebook_size,
            "class": type(self).__name__,
        }
