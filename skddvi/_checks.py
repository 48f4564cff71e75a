"""Input checks and resolutions of the estimator that need no torch model."""

from __future__ import annotations

import os
import sys
import warnings
from numbers import Number

import joblib
import numpy as np
import scipy.sparse as sp
import sklearn
import torch
from sklearn.exceptions import ConvergenceWarning, DataConversionWarning
from sklearn.utils.validation import column_or_1d

__all__ = [
    "check_float32_scale",
    "clip_to_unit_interval",
    "device_available",
    "encode_labels",
    "has_class_labels",
    "in_unit_interval",
    "refittable",
    "reject_bools",
    "resolve_device",
    "sum_duplicates",
    "unlabelled_rows",
    "user_stacklevel",
    "warn_few_rows",
    "warn_if_diverged",
]


def refittable(prior, classes) -> bool:
    """A learned mixture of an unsupervised fit is re-estimated on the embedding."""
    params = list(prior.parameters()) if isinstance(prior, torch.nn.Module) else []
    return classes is None and hasattr(prior, "fit_to") and any(p.requires_grad for p in params)


# A float y with more distinct values than this is read as a regression
# target even if its values are whole numbers (counts, ages, ratings, as a
# Pipeline passes them to every step): class labels stored as floats are few.
# Int and string labels are labels however many (scikit-learn's convention).
_MAX_FLOAT_CLASSES = 20

# Code whose frames a warning skips to reach the user's line: this package,
# scikit-learn (its fit-context and set_output wrappers, Pipeline, searches)
# and joblib (a Pipeline's memory and a search's workers call fit through it).
_LIBRARY_DIRS = tuple(
    os.path.dirname(path) + os.sep for path in (__file__, sklearn.__file__, joblib.__file__)
)


def user_stacklevel() -> int:
    """``warnings.warn``'s ``stacklevel`` for a warning raised by the calling
    function that points at the first frame outside skddvi and scikit-learn:
    the user's ``fit``, ``fit_transform``, ``fit_predict`` or ``Pipeline.fit``
    call, however many wrappers lie between."""
    frame = sys._getframe(1)
    level = 1
    while frame is not None and frame.f_code.co_filename.startswith(_LIBRARY_DIRS):
        frame = frame.f_back
        level += 1
    return level


# An embedding this many times further out than the prior's samples (the KL
# terms hold it near the prior) comes from an optimisation that diverged
# without reaching inf or NaN (learning_rate=1.0: 1e13 on iris).
_DIVERGED_EXTENT = 1e3


def warn_if_diverged(embedding: np.ndarray, prior, learning_rate: float) -> None:
    """A ``ConvergenceWarning`` if ``embedding`` lies far outside the prior's
    samples (see :data:`_DIVERGED_EXTENT`)."""
    with torch.no_grad():
        z = prior.sample(1024, generator=torch.Generator().manual_seed(0))
    extent = float(z.abs().max())
    largest = float(np.abs(embedding).max()) if embedding.size else 0.0
    if largest > _DIVERGED_EXTENT * extent:
        warnings.warn(
            f"The embedding reaches {largest:.3g}, against {extent:.3g} for the prior's "
            "samples: the optimisation diverged. Try a smaller learning_rate (it was "
            f"{learning_rate:g}).",
            ConvergenceWarning,
            stacklevel=user_stacklevel(),
        )


def reject_bools(estimator, names: tuple[str, ...]) -> None:
    """A ``TypeError`` for an integer parameter set to True or False (bool
    is an int to Python and to scikit-learn's parameter checks)."""
    for name in names:
        value = getattr(estimator, name)
        if isinstance(value, bool | np.bool_):
            raise TypeError(f"{name} must be an int, got {value!r}.")


def encode_labels(y, n_samples: int):
    """``(index of each row's class, -1 if unlabelled; classes)``, or ``(None, None)``."""
    if y is None:
        return None, None
    shape = getattr(y, "shape", None)
    if shape is not None and len(shape) == 2 and shape[1] == 1:
        warnings.warn(
            "A column-vector y was passed when a 1d array was expected. Please change "
            "the shape of y to (n_samples,), for example using ravel().",
            DataConversionWarning,
            stacklevel=user_stacklevel(),
        )
    y = _labels_1d(y)
    if len(y) != n_samples:
        raise ValueError(f"y has {len(y)} labels but X has {n_samples} rows.")
    if _missing_labels(y).any():
        raise ValueError("y has missing labels (NaN or None); mark unlabelled rows with -1.")
    unlabelled = unlabelled_rows(y)
    if unlabelled.all():
        return None, None
    if _is_continuous(y[~unlabelled]):
        # A regression target, as a Pipeline passes it to every step.
        warnings.warn(
            "y is continuous (a regression target?): floats that are not all whole "
            f"numbers, or more than {_MAX_FLOAT_CLASSES} distinct values. DDVIEmbedding "
            "reads y as class labels, so it ignores this y and fits without labels. Pass "
            "integer or string labels (-1 for unlabelled rows) to fit with labels.",
            UserWarning,
            stacklevel=user_stacklevel(),
        )
        return None, None
    try:
        classes, codes = np.unique(y[~unlabelled], return_inverse=True)
    except TypeError as exc:  # e.g. ints among strings
        raise TypeError(
            f"y's labels cannot be ordered ({exc}); use labels of one type, ints or "
            "strings, with -1 for unlabelled rows."
        ) from exc
    if len(classes) == 1:
        warnings.warn(
            f"y labels one class only ({classes.tolist()[0]!r}); predict will give it "
            "to every row.",
            UserWarning,
            stacklevel=user_stacklevel(),
        )
    encoded = np.full(n_samples, -1, dtype=np.int64)
    encoded[~unlabelled] = codes
    return encoded, classes


def has_class_labels(y) -> bool:
    """Whether ``fit(X, y)`` would fit with labels: ``y`` is not None, some
    row is labelled (not -1) and the labels are no continuous target (see
    :func:`encode_labels`). A ``y`` that fit would reject counts as labels,
    for fit to report."""
    if y is None:
        return False
    try:
        y = _labels_1d(y)
        unlabelled = unlabelled_rows(y)
    except (TypeError, ValueError):
        return True
    return not unlabelled.all() and not _is_continuous(y[~unlabelled])


def _labels_1d(y) -> np.ndarray:
    """``y`` as a 1-D array; pandas' nullable integer and boolean columns,
    which arrive as floats, as ints and bools when none is missing."""
    kind = getattr(getattr(y, "dtype", None), "kind", None)
    y = column_or_1d(y)
    if kind in ("i", "u", "b") and y.dtype.kind == "f" and not np.isnan(y).any():
        y = y.astype(np.int64 if kind != "b" else bool)
    return y


def _is_continuous(labels: np.ndarray) -> bool:
    return labels.dtype.kind == "f" and _looks_continuous(labels)


def unlabelled_rows(y: np.ndarray) -> np.ndarray:
    """Which rows of the 1-D labels ``y`` are unlabelled: marked -1 (or "-1",
    or -1.0 among the values of an object array)."""
    if y.dtype.kind in "iuf":
        return y == -1
    if y.dtype.kind == "O":
        return np.fromiter((_is_minus_one(v) for v in y), dtype=bool, count=len(y))
    return y.astype(str) == "-1"


def _is_minus_one(value) -> bool:
    if isinstance(value, str):
        return value == "-1"
    return isinstance(value, Number) and not isinstance(value, bool | np.bool_) and value == -1


def _missing_labels(y: np.ndarray) -> np.ndarray:
    """Which labels are missing: NaN, None, or pandas' NA and NaT."""
    if y.dtype.kind == "f":
        return np.isnan(y)
    if y.dtype.kind != "O":
        return np.zeros(len(y), dtype=bool)
    try:
        import pandas as pd
    except ImportError:  # then y holds no pandas NA
        return np.array([v is None or (isinstance(v, float) and v != v) for v in y], dtype=bool)
    return np.asarray(pd.isna(y), dtype=bool)


def _looks_continuous(labels: np.ndarray) -> bool:
    """Whether float labels read as a regression target: not all whole numbers,
    or more than :data:`_MAX_FLOAT_CLASSES` distinct values."""
    whole = (labels == np.round(labels)).all()
    return not whole or len(np.unique(labels)) > _MAX_FLOAT_CLASSES


def warn_few_rows(n_neighbors: int, n_samples: int) -> None:
    """Warn, as UMAP does, when ``n_neighbors`` is not below the number of
    rows: the graph then gives each row all the others."""
    if n_neighbors >= n_samples > 1:
        warnings.warn(
            f"n_neighbors={n_neighbors} is not below the number of rows ({n_samples}); "
            f"each row gets its {n_samples - 1} other rows as neighbours.",
            UserWarning,
            stacklevel=user_stacklevel(),
        )


def check_float32_scale(variance: np.ndarray) -> None:
    """Raise a ``ValueError`` if the data's common scale (the root of the mean
    feature variance) is outside what float32 training represents."""
    scale = float(np.sqrt(np.mean(variance))) if variance.size else 0.0
    scale = np.inf if np.isnan(scale) else scale  # inf - inf in a sparse variance
    low, high = float(np.finfo(np.float32).tiny) * 1e3, float(np.finfo(np.float32).max) / 1e3
    if scale > 0 and not low < scale < high:
        raise ValueError(
            f"X's features vary on a scale of {scale:.3g}, outside the float32 range that "
            f"training uses ({low:.1g} to {high:.1g}); rescale X, for example with "
            "StandardScaler."
        )


# How far outside [0, 1] values may stray from rounding (a MinMaxScaler's
# maximum can come out as 1 + 2e-16) and still count as in it.
_UNIT_TOLERANCE = 1e-6


def in_unit_interval(X) -> bool:
    """Whether every value of ``X`` lies in [0, 1], up to rounding
    (:data:`_UNIT_TOLERANCE`); sparse ``X`` must have each cell stored once
    (:func:`sum_duplicates`)."""
    values = X.data if sp.issparse(X) else X
    if values.size == 0:
        return True
    return bool(values.min() >= -_UNIT_TOLERANCE and values.max() <= 1.0 + _UNIT_TOLERANCE)


def clip_to_unit_interval(X):
    """``X``, or if it strays outside [0, 1] beyond rounding a copy clipped to
    it, with a warning: for a Bernoulli likelihood, which has no density there
    (held-out rows scaled by the training rows' ``MinMaxScaler`` often stray)."""
    X = sum_duplicates(X)
    if in_unit_interval(X):
        return X
    low, high = _value_range(X)
    warnings.warn(
        f"X has values outside [0, 1] (from {low:.3g} to {high:.3g}), "
        "where this model's Bernoulli likelihood has no density; they are scored "
        "clipped to [0, 1]. Scale new rows into [0, 1] as the training rows were, "
        "for example with MinMaxScaler(clip=True).",
        UserWarning,
        stacklevel=user_stacklevel(),
    )
    if sp.issparse(X):
        X = X.copy()
        np.clip(X.data, 0.0, 1.0, out=X.data)
        return X
    return np.clip(X, 0.0, 1.0)


def _value_range(X) -> tuple[float, float]:
    """Smallest and largest value of ``X``, a sparse one's implicit zeros included."""
    if not sp.issparse(X):
        return float(X.min()), float(X.max())
    low, high = float(X.data.min()), float(X.data.max())
    if X.nnz < X.shape[0] * X.shape[1]:
        low, high = min(low, 0.0), max(high, 0.0)
    return low, high


def sum_duplicates(X):
    """``X``, or for a sparse ``X`` with cells stored more than once (which
    scipy allows, and ``toarray`` adds up) a copy with each cell stored once
    and sorted indices, so that its stored values are its cells' values."""
    if sp.issparse(X) and not X.has_canonical_format:
        X = X.copy()
        X.sum_duplicates()
    return X


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
