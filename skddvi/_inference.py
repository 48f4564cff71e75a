"""Batched inference of a fitted estimator: its model's float64 copy applied
to consecutive blocks of rows, which ``transform``, ``predict`` and the
generative methods share."""

from __future__ import annotations

import numpy as np
import torch

from ._checks import device_available
from ._data import chunk_rows, host_batches
from ._torch_state import cpu_threads
from .model import inference_copy

__all__ = ["BatchedInferenceMixin"]

# Rows per inference batch, and at most about this many values per batch (a
# sparse batch is densified; float64 on the device): 4,096 rows of MNIST on the
# CPU, 209 of a 20,000-gene matrix.
_INFERENCE_BATCH = {"cpu": 4096, "cuda": 32768}
_INFERENCE_ENTRIES = {"cpu": 2**22, "cuda": 2**25}


class BatchedInferenceMixin:
    """``_inference_module``, ``_map_rows`` and ``_embed`` for
    :class:`~skddvi.DDVIEmbedding` (fitted attributes ``module_``, ``device_``,
    ``prior_``; parameter ``n_jobs``)."""

    def _inference_module(self) -> tuple[torch.nn.Module, torch.device]:
        """The model's float64 inference copy (:func:`~skddvi.model.inference_copy`)
        on the training device, or the CPU if that is absent."""
        device = self.device_ if device_available(self.device_) else torch.device("cpu")
        return inference_copy(self.module_, device), device

    @staticmethod
    def _block_size(X, device: torch.device) -> int:
        """Rows of ``X`` (or of anything as wide) per inference block on ``device``."""
        return chunk_rows(
            X,
            _INFERENCE_ENTRIES.get(device.type, _INFERENCE_ENTRIES["cpu"]),
            _INFERENCE_BATCH.get(device.type, _INFERENCE_BATCH["cpu"]),
        )

    def _map_rows(self, X, fn, out_dim: int, dtype) -> np.ndarray:
        """Apply ``fn(module, rows)`` to consecutive blocks of ``X``."""
        module, device = self._inference_module()
        out = np.empty((X.shape[0], out_dim), dtype=dtype)
        batch = self._block_size(X, device)
        with torch.no_grad(), cpu_threads(self.n_jobs):
            for start, block in host_batches(X, batch):
                rows = torch.tensor(np.ascontiguousarray(block), dtype=torch.float64, device=device)
                result = fn(module, rows)
                out[start : start + len(block)] = result.reshape(len(block), -1).cpu().numpy()
        return out

    def _embed(self, X) -> np.ndarray:
        return self._map_rows(X, lambda m, x: m.embed(x), self.prior_.n_components, X.dtype)
