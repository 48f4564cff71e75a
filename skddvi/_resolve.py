"""What the estimator's parameters mean for one ``X``: the prior object, the
likelihood, the epochs and batch size, and the rows the neighbours are searched
among. Pure functions of the parameters and the data; no fitting."""

from __future__ import annotations

import copy
import inspect
import math
from numbers import Integral

import numpy as np
import scipy.sparse as sp

from ._checks import in_unit_interval
from .priors import is_two_d_only, make_prior

__all__ = [
    "graph_rows",
    "resolve_batch_size",
    "resolve_graph_pca",
    "resolve_hidden_dims",
    "resolve_likelihood",
    "resolve_n_epochs",
    "resolve_offset",
    "resolve_prior",
]

# Rows that n_epochs=None aims to pass through training (epochs x rows, within
# 40 to 500 epochs): 3,000 steps of 1024 rows. Like UMAP, which fixes its
# epochs by data size (500 below 10,000 rows), the fit then costs about the
# same beyond 6,000 rows; sets of 1,025 to 6,000 rows train 500 epochs.
_TARGET_ROW_VISITS = 3_000_000
_EPOCH_RANGE = (40, 500)
# ... and at least this many optimisation steps: a set of one batch (up to
# 1,024 rows) trains for 600 epochs, where Adam had too few steps at 300.
_MIN_STEPS = 600
# On CUDA a step of a larger batch costs little more, so large sets see twice
# the rows there: the epoch floor is 80, and the automatic batch doubles while
# an epoch keeps at least 16 steps (32 on the CPU). MNIST 70k on an H200, three
# seeds (benchmarks/results/batch_size_seeds_gpu.md): 80 epochs of 4096 rows
# took 6.4 s against 5.6 s for 40 of 2048 and raised trustworthiness by 0.006.
_CUDA_EPOCH_FLOOR = 80
_MIN_STEPS_PER_EPOCH = {False: 32, True: 16}
_MAX_AUTO_BATCH = 8192
# graph_pca="auto": the neighbours of rows with more than this many features are
# searched among their first _AUTO_GRAPH_PCA principal components (scanpy's
# default n_pcs), when the metric is Euclidean.
_AUTO_GRAPH_PCA = 50
_AUTO_GRAPH_PCA_MIN_FEATURES = 100
# Metrics of sets of features, which principal-component scores do not have.
_SET_METRICS = ("hamming", "jaccard")


def resolve_hidden_dims(hidden_dims) -> tuple[int, ...]:
    """``hidden_dims`` as a tuple of positive ints, or a ``ValueError``."""
    dims = tuple(np.atleast_1d(np.asarray(hidden_dims)).tolist())
    if not dims or not all(type(h) is int and h >= 1 for h in dims):
        raise ValueError(
            f"hidden_dims must be a non-empty sequence of positive ints, got {hidden_dims!r}."
        )
    return dims


def resolve_prior(prior, n_components: int, n_clusters: int | None, n_classes: int | None):
    """The prior module of a fit: built from its name, or a copy of the object
    given, checked against ``n_components`` and the number of classes."""
    if isinstance(prior, str):
        if is_two_d_only(prior) and n_components != 2:
            raise ValueError(
                f"prior={prior!r} is defined in 2 dimensions only, but "
                f"n_components={n_components}; use prior='gaussian' or 'mixture'."
            )
        return make_prior(prior, n_components, n_clusters, n_classes)
    if isinstance(prior, type):
        raise TypeError(
            f"prior must be a name or a prior object, got the class {prior.__name__}; "
            f"pass an instance such as {prior.__name__}(...)."
        )
    dim = getattr(prior, "n_components", None)
    if not isinstance(dim, Integral) or isinstance(dim, bool):
        raise TypeError(
            f"The prior object {type(prior).__name__} needs an int attribute n_components "
            f"(its latent dimension), got {dim!r}; see skddvi.priors for the protocol."
        )
    prior = copy.deepcopy(prior)
    if dim != n_components:
        raise ValueError(f"The prior object is {dim}-dimensional but n_components={n_components}.")
    _check_sample_signature(prior)
    if n_classes is not None:
        groups = getattr(prior, "n_groups", None)
        if not hasattr(prior, "group_log_prob") or groups != n_classes:
            has = (
                "no group_log_prob"
                if not hasattr(prior, "group_log_prob")
                else f"n_groups={groups!r}"
            )
            raise ValueError(
                f"A semi-supervised fit with {n_classes} classes needs a prior with "
                f"group_log_prob and n_groups={n_classes} (one group per class); "
                f"got {type(prior).__name__} with {has}."
            )
    return prior


def _check_sample_signature(prior) -> None:
    """A ``TypeError`` before training if ``prior.sample`` cannot be called as
    ``sample(n, generator=...)``, as training and the checks after it call it."""
    try:
        signature = inspect.signature(prior.sample)
    except (TypeError, ValueError):  # a builtin without a signature: trust it
        return
    try:
        signature.bind(1, generator=None)
    except TypeError as error:
        raise TypeError(
            f"The prior object {type(prior).__name__}'s sample must accept "
            f"sample(n, generator=None) (a torch.Generator or None, by keyword); {error}."
        ) from None


def resolve_likelihood(likelihood: str, X) -> str:
    """``likelihood``, with ``"auto"`` read as Bernoulli for data in [0, 1] that
    reach 0.5, else Gaussian."""
    if likelihood != "auto":
        if likelihood == "bernoulli" and not in_unit_interval(X):
            raise ValueError(
                "likelihood='bernoulli' needs every value of X in [0, 1]; "
                "use likelihood='gaussian' or rescale X."
            )
        return likelihood
    return "bernoulli" if in_unit_interval(X) and _reaches_half(X) else "gaussian"


def _reaches_half(X) -> bool:
    """Whether some value of ``X`` is at least 0.5: data that fill [0, 1] (pixel
    intensities, 0/1 data), not values that are merely small (data in metres
    or proportions below 1e-3), which a Bernoulli likelihood would read as
    near-certain zeros and whose decodings and samples it would put in [0, 1]."""
    values = X.data if sp.issparse(X) else X
    return bool(values.size and values.max() >= 0.5)


def resolve_offset(X, center: np.ndarray, likelihood: str) -> np.ndarray | None:
    """What the training rows are shifted by before their float32 copy: the
    centre of the encoder's input scaling (the training mean without its
    outlying rows; :func:`~skddvi._data.input_scaling`) for dense data and a
    Gaussian likelihood, so features far from zero keep their digits and the
    encoder's float32 centre is exactly zero; None for sparse data (a shift
    would densify it) and for the Bernoulli likelihood, which reads ``x``
    itself."""
    if sp.issparse(X) or likelihood == "bernoulli":
        return None
    return center


def resolve_batch_size(batch_size, n_samples: int, cuda: bool = False) -> int:
    """The minibatch size: ``batch_size`` capped at ``n_samples``; ``"auto"``
    is 1024, doubled (up to 8192) while an epoch keeps at least 32 steps, or
    on CUDA (``cuda=True``) at least 16."""
    if batch_size != "auto":
        return min(int(batch_size), n_samples)
    min_steps = _MIN_STEPS_PER_EPOCH[cuda]
    batch = 1024
    while batch < _MAX_AUTO_BATCH and n_samples // (2 * batch) >= min_steps:
        batch *= 2
    return min(batch, n_samples)


def resolve_n_epochs(n_epochs: int | None, batch_size, n_samples: int, cuda: bool = False) -> int:
    """``n_epochs``, or for None about 3 million row visits within 40 to 500
    epochs (80 to 500 on CUDA) and at least 600 optimisation steps."""
    if n_epochs is not None:
        return int(n_epochs)
    low, high = _EPOCH_RANGE
    if cuda:
        low = _CUDA_EPOCH_FLOOR
    epochs = int(np.clip(math.ceil(_TARGET_ROW_VISITS / n_samples), low, high))
    steps_per_epoch = math.ceil(n_samples / resolve_batch_size(batch_size, n_samples, cuda))
    return max(epochs, math.ceil(_MIN_STEPS / steps_per_epoch))


def resolve_graph_pca(graph_pca, metric: str, shape: tuple[int, int]) -> int | None:
    """The number of principal components the neighbours are searched among,
    or None for the features themselves (also when ``graph_pca`` would keep
    all of ``X``: at least ``min(n_samples, n_features)``)."""
    n_samples, n_features = shape
    if graph_pca == "auto":
        wide = n_features > _AUTO_GRAPH_PCA_MIN_FEATURES and n_samples > _AUTO_GRAPH_PCA
        euclidean = metric in ("euclidean", "sqeuclidean")
        return _AUTO_GRAPH_PCA if wide and euclidean else None
    if graph_pca is not None and metric in _SET_METRICS:
        raise ValueError(
            f"graph_pca={graph_pca} searches the neighbours among principal "
            f"components, which metric={metric!r} cannot compare (it compares sets "
            "of features); use graph_pca=None."
        )
    if graph_pca is not None and metric == "hellinger":
        raise ValueError(
            f"graph_pca={graph_pca} searches the neighbours among principal "
            "components, which metric='hellinger' cannot compare (it needs "
            "non-negative counts); use graph_pca=None."
        )
    if graph_pca is not None and graph_pca >= min(n_samples, n_features):
        return None
    return graph_pca


def graph_rows(X, n_components: int | None, seed: int):
    """The rows the neighbours are searched among: ``X``, or its first
    ``n_components`` principal components."""
    if n_components is None:
        return X
    from sklearn.decomposition import PCA

    return PCA(n_components, random_state=seed).fit_transform(X)
