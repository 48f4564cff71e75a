"""Input checks and resolutions of the estimator that need no torch model."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.utils.validation import column_or_1d

__all__ = [
    "check_float32_scale",
    "cpu_threads",
    "device_available",
    "encode_labels",
    "in_unit_interval",
    "refittable",
    "resolve_device",
]


@contextmanager
def cpu_threads(n_jobs: int | None) -> Iterator[None]:
    """Run the body with torch's CPU thread count set from ``n_jobs`` (joblib's
    convention: -1 all cores, -2 all but one), then restore it; None leaves it."""
    if n_jobs is None:
        yield
        return
    from joblib import effective_n_jobs

    previous = torch.get_num_threads()
    torch.set_num_threads(effective_n_jobs(n_jobs))
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def refittable(prior, classes) -> bool:
    """A learned mixture of an unsupervised fit is re-estimated on the embedding."""
    params = list(prior.parameters()) if isinstance(prior, torch.nn.Module) else []
    return classes is None and hasattr(prior, "fit_to") and any(p.requires_grad for p in params)


def encode_labels(y, n_samples: int):
    """``(index of each row's class, -1 if unlabelled; classes)``, or ``(None, None)``."""
    if y is None:
        return None, None
    y = column_or_1d(y)
    if len(y) != n_samples:
        raise ValueError(f"y has {len(y)} labels but X has {n_samples} rows.")
    if y.dtype.kind == "f" and np.isnan(y).any():
        raise ValueError("y contains NaN; mark unlabelled rows with -1.")
    if y.dtype.kind == "f" and (y != np.round(y)).any():
        # A regression target, as a Pipeline passes it to every step.
        warnings.warn(
            "y is continuous (a regression target?); DDVIEmbedding reads y as class "
            "labels, so it ignores this y and fits without labels. Pass integer or "
            "string labels (-1 for unlabelled rows) to fit with labels.",
            UserWarning,
            stacklevel=4,
        )
        return None, None
    unlabelled = y == -1 if y.dtype.kind in "iuf" else y.astype(str) == "-1"
    if unlabelled.all():
        return None, None
    try:
        classes, codes = np.unique(y[~unlabelled], return_inverse=True)
    except TypeError as exc:  # e.g. None among strings
        raise TypeError(
            f"y's labels cannot be ordered ({exc}); use labels of one type, ints or "
            "strings, with -1 for unlabelled rows."
        ) from exc
    encoded = np.full(n_samples, -1, dtype=np.int64)
    encoded[~unlabelled] = codes
    return encoded, classes


def check_float32_scale(variance: np.ndarray) -> None:
    """Raise a ``ValueError`` if the data's common scale (the root of the mean
    feature variance) is outside what float32 training represents."""
    scale = float(np.sqrt(np.mean(variance))) if variance.size else 0.0
    low, high = float(np.finfo(np.float32).tiny) * 1e3, float(np.finfo(np.float32).max) / 1e3
    if scale > 0 and not low < scale < high:
        raise ValueError(
            f"X's features vary on a scale of {scale:.3g}, outside the float32 range that "
            f"training uses ({low:.1g} to {high:.1g}); rescale X, for example with "
            "StandardScaler."
        )


def in_unit_interval(X) -> bool:
    values = X.data if sp.issparse(X) else X
    if values.size == 0:
        return True
    return bool(values.min() >= 0.0 and values.max() <= 1.0)


def resolve_device(device) -> torch.device:
    if isinstance(device, str) and device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(f"device={device!r} is not a valid torch device.") from exc
    if not device_available(resolved):
        raise ValueError(f"device={device!r} is not available on this machine.")
    return resolved


def device_available(device: torch.device) -> bool:
    if device.type == "cpu":
        return True
    if device.type == "cuda":
        if not torch.cuda.is_available():
            return False
        return device.index is None or device.index < torch.cuda.device_count()
    if device.type == "mps":
        return torch.backends.mps.is_available()
    return False
