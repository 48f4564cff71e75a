"""Nearest-neighbour search of the training rows, for the neighbour graph
(:mod:`skddvi.graph`).

:func:`neighbor_graph` finds each row's k nearest other rows in one of
:data:`METRICS`: exactly (scikit-learn, with equal distances ordered by
index, and identical rows searched once), by matrix products on a CUDA
device (:func:`brute_force_neighbors`), or approximately (pynndescent, as
UMAP) above 20,000 rows. Cosine and correlation are searched as Euclidean
distances between unit rows (:func:`unit_norm_rows`), Hellinger between
square roots of the rows' shares (:func:`hellinger_rows`).
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp
import torch

from ._checks import user_stacklevel

__all__ = [
    "METRICS",
    "METRIC_ALIASES",
    "brute_force_neighbors",
    "canonical_metric",
    "check_metric",
    "hellinger_rows",
    "identical_rows",
    "neighbor_graph",
    "unit_norm_rows",
]

# Distances the neighbour graph can be built with (UMAP's ``metric``; the
# names of scikit-learn and pynndescent). Sparse input supports the first
# three, hellinger and sqeuclidean: scikit-learn's exact search has the
# others for dense rows only. Hellinger (UMAP's, for counts and frequencies) is searched as the
# Euclidean distance between square roots of the rows' shares.
METRICS = (
    "euclidean",
    "manhattan",
    "cosine",
    "correlation",
    "chebyshev",
    "canberra",
    "braycurtis",
    "hamming",
    "jaccard",
    "hellinger",
    "sqeuclidean",
)
# Other names of the same distances, as UMAP and scikit-learn accept them.
METRIC_ALIASES = {
    "l2": "euclidean",
    "l1": "manhattan",
    "cityblock": "manhattan",
    "taxicab": "manhattan",
}
_SPARSE_METRICS = ("euclidean", "manhattan", "cosine", "hellinger", "sqeuclidean")
# Searched (dense X) as Euclidean distances between rows brought to unit
# length, centred first for correlation: the neighbours are the same, the
# distance is ||u - v||^2 / 2, and the CUDA search handles them too. The
# other metrics search on the CPU.
_UNIT_NORM_METRICS = ("cosine", "correlation")
# Above this many rows, approximate neighbours from pynndescent (a dependency;
# the exact search if it cannot be imported).
_EXACT_LIMIT = 20_000
# Candidates beyond the k nearest that the exact search asks for, so that ties
# in distance at the k-th neighbour can be broken by index (see
# _kneighbors_ties_by_index); rows whose tie runs past them ask again for more.
_TIE_MARGIN = 8
# Rows asked again at once for more candidates (rows x candidates distances).
_TIE_ENTRIES = 2**24
# On a CUDA device, exact neighbours by brute force up to this many rows: one
# matrix product per block, no compilation on first use (pynndescent's numba
# code compiles then). On an H200 a whole 2-epoch fit of MNIST 70k, this
# search included, took 1.6 s (benchmarks/results/speed_gpu.md).
_DEVICE_EXACT_LIMIT = 1_000_000
# Entries of one block of the distance matrix on the device (1 GiB of float32).
_BLOCK_ENTRIES = 2**28
# Entries (rows x neighbours x features) gathered at once on the device to
# measure the distances to the neighbours found by brute force.
_GATHER_ENTRIES = 2**24


def neighbor_graph(
    X,
    n_neighbors: int,
    random_state: int | None = None,
    device: torch.device | None = None,
    return_distance: bool = False,
    metric: str = "euclidean",
    n_jobs: int = -1,
):
    """Indices of the ``n_neighbors`` nearest other rows of each row.

    Exact (scikit-learn) up to 20,000 rows; approximate (pynndescent's
    NN-descent, as UMAP uses; a dependency, exact if it cannot be imported)
    above. On
    a CUDA ``device``, dense input of up to 1,000,000 rows gets exact
    neighbours by a blocked brute-force search there (matrix products and
    ``torch.topk``) for the Euclidean, squared Euclidean, cosine, correlation
    and Hellinger metrics; the others search on the CPU.

    Parameters
    ----------
    metric : str, default="euclidean"
        One of :data:`METRICS`, with scikit-learn's meaning (``"cosine"`` is
        one minus the cosine similarity, ``"hamming"`` the share of features
        that differ, ``"jaccard"`` on the sets of non-zero features). Sparse
        input supports ``"euclidean"``, ``"manhattan"``, ``"cosine"``,
        ``"hellinger"`` and ``"sqeuclidean"``.
    n_jobs : int, default=-1
        CPU threads of the search on the CPU (-1: all cores).

    Returns
    -------
    indices : ndarray of shape (n_samples, min(n_neighbors, n_samples - 1)), int64
    distances : ndarray of the same shape, float64
        Only with ``return_distance=True``: the distance to each neighbour,
        nearest first.
    """
    metric = canonical_metric(metric)
    X = X if sp.issparse(X) else np.asarray(X)  # a DataFrame's X[rows] would pick columns
    check_metric(metric, sp.issparse(X))
    if metric == "braycurtis" and X.size and X.min() < 0:
        warnings.warn(
            "metric='braycurtis' is meant for non-negative data, and the rows searched "
            "(X, or its principal components with graph_pca) have negative values: "
            "there the exact search (up to 20,000 rows, scikit-learn's) divides "
            "sum(|x - y|) by sum(|x| + |y|), and the approximate one (above, "
            "pynndescent's and UMAP's) by sum(|x + y|).",
            UserWarning,
            stacklevel=user_stacklevel(),
        )
    n = X.shape[0]
    k = min(n_neighbors, n - 1)
    if k < 1:
        indices, distances = np.empty((n, 0), dtype=np.int64), np.empty((n, 0))
    else:
        found = _search(X, k + 1, random_state, device, return_distance, metric, n_jobs)
        indices, distances = _drop_self(*found, k)
    return (indices, distances) if return_distance else indices


def canonical_metric(metric: str) -> str:
    """The name in :data:`METRICS` of ``metric`` or of its alias (``"l2"``: ``"euclidean"``)."""
    return METRIC_ALIASES.get(metric, metric)


def check_metric(metric: str, sparse: bool) -> None:
    """Raise ``ValueError`` for a metric the neighbour search does not have."""
    metric = canonical_metric(metric)
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {', '.join(METRICS)}; got {metric!r}.")
    if sparse and metric not in _SPARSE_METRICS:
        raise ValueError(
            f"metric={metric!r} needs dense X; with sparse X use one of "
            f"{', '.join(_SPARSE_METRICS)}, or pass X.toarray()."
        )


def _search(
    X, k: int, random_state, device, return_distance: bool, metric: str, n_jobs: int
) -> tuple[np.ndarray, np.ndarray | None]:
    """``k`` nearest rows of each row (itself usually among them) and their
    distances (None from the device search when not asked for: it measures them
    in a second pass; the other searches find them anyway)."""
    if metric in _UNIT_NORM_METRICS:
        unit = unit_norm_rows(X, centre=metric == "correlation")
        indices, distances = _search(
            unit, k, random_state, device, return_distance, "euclidean", n_jobs
        )
        return indices, None if distances is None else distances**2 / 2.0
    if metric == "sqeuclidean":  # the Euclidean neighbours, squared distances
        indices, distances = _search(
            X, k, random_state, device, return_distance, "euclidean", n_jobs
        )
        return indices, None if distances is None else distances**2
    if metric == "hellinger":
        roots = hellinger_rows(X)
        indices, distances = _search(
            roots, k, random_state, device, return_distance, "euclidean", n_jobs
        )
        return indices, None if distances is None else distances / np.sqrt(2.0)
    if metric == "jaccard":
        X = X != 0  # the sets of non-zero features, as scikit-learn and pynndescent read them
    n = X.shape[0]
    on_cuda = device is not None and torch.device(device).type == "cuda"
    if on_cuda and metric == "euclidean" and not sp.issparse(X) and n <= _DEVICE_EXACT_LIMIT:
        found = brute_force_neighbors(X, k, torch.device(device), return_distance)
        return found if return_distance else (found, None)
    if n > _EXACT_LIMIT:
        try:
            from pynndescent import NNDescent
        except ImportError:
            pass
        else:
            with warnings.catch_warnings():
                # Rows it leaves short are searched again exactly below.
                warnings.filterwarnings("ignore", "Failed to correctly find n_neighbors")
                index = NNDescent(
                    X, n_neighbors=k, metric=metric, random_state=random_state, n_jobs=n_jobs
                )
                indices, distances = index.neighbor_graph
            return _fill_missing(X, indices, distances, k, metric, n_jobs)
    X = X.tocsr() if sp.issparse(X) else X
    return _exact_neighbors(X, k, metric, n_jobs)


def _exact_neighbors(X, k: int, metric: str, n_jobs: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact ``k`` nearest rows of each row (itself included), ties by index.

    Identical dense rows are searched once: a group of ``m`` copies would
    otherwise ask :func:`_kneighbors_ties_by_index` for ``m`` candidates each
    (10,000 rows with half of them one row: 21 to 32 s, against 1.5 s for
    scikit-learn's search alone). Each group's neighbours are then its
    neighbouring groups' first members, by distance and index.
    """
    groups = None if sp.issparse(X) else identical_rows(X)
    if groups is None:
        return _kneighbors_ties_by_index(_exact_search(X, k, metric, n_jobs), X, k)
    group, first = groups
    unique = X[first]
    k_unique = min(k, len(first))
    neighbors, distances = _kneighbors_ties_by_index(
        _exact_search(unique, k_unique, metric, n_jobs), unique, k_unique
    )
    indices, distances = _first_members(group, neighbors, distances, k)
    return indices[group], distances[group]


def identical_rows(X: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Each row's group of identical rows, the groups numbered in the order
    of their first rows, and each group's first row; None if all rows differ."""
    rows = np.ascontiguousarray(X)
    if rows.dtype.kind == "f":
        rows = rows + 0.0  # -0.0 becomes 0.0: equal values, equal bytes
    # Each row's bytes as one key: sorting them takes a twentieth of np.unique(axis=0).
    keys = rows.view(np.dtype((np.void, rows.dtype.itemsize * rows.shape[1]))).ravel()
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    if len(first) == X.shape[0]:
        return None
    order = np.argsort(first)
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return rank[inverse.ravel()], first[order]


def _first_members(
    group: np.ndarray, neighbors: np.ndarray, distances: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """For each group, the ``k`` rows nearest by distance, then index, among
    the members of its neighbouring groups (each group's first ``k`` members
    suffice, and groups are numbered by their first members, so the neighbouring
    groups found with ties by number hold them)."""
    members = np.argsort(group, kind="stable")  # each group's rows, by index
    counts = np.bincount(group)
    starts = np.cumsum(counts) - counts
    offset = np.arange(k)
    found_indices, found_distances = [], []
    step = max(1, _TIE_ENTRIES // (neighbors.shape[1] * k))
    for lo in range(0, len(neighbors), step):
        near = neighbors[lo : lo + step]
        valid = offset < counts[near][..., None]
        position = np.minimum(starts[near][..., None] + offset, len(members) - 1)
        index = np.where(valid, members[position], len(members)).reshape(len(near), -1)
        distance = np.where(valid, distances[lo : lo + step][..., None], np.inf)
        found = _sorted_by_distance_then_index(distance.reshape(len(near), -1), index)
        found_distances.append(found[0][:, :k])
        found_indices.append(found[1][:, :k])
    return np.concatenate(found_indices), np.concatenate(found_distances)


def _exact_search(X, k: int, metric: str, n_jobs: int):
    from sklearn.neighbors import NearestNeighbors

    return NearestNeighbors(n_neighbors=k, metric=metric, n_jobs=n_jobs).fit(X)


def _fill_missing(
    X, indices: np.ndarray, distances: np.ndarray, k: int, metric: str, n_jobs: int
) -> tuple[np.ndarray, np.ndarray]:
    """pynndescent's graph, with the rows it left short (index -1: rows it
    finds no neighbour for, such as all-zero rows under the Jaccard distance)
    searched exactly."""
    short = np.flatnonzero((indices < 0).any(axis=1))
    if not short.size:
        return indices, distances
    X = X.tocsr() if sp.issparse(X) else X
    search = _exact_search(X, k, metric, n_jobs)
    found, found_distances = _kneighbors_ties_by_index(search, X[short], k)
    indices, distances = indices.copy(), np.asarray(distances, dtype=np.float64).copy()
    indices[short], distances[short] = found, found_distances
    return indices, distances


def _kneighbors_ties_by_index(search, X, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` nearest rows to each row of ``X`` (the rows ``search`` was
    fitted on, or some of them) from a fitted ``NearestNeighbors``, with equal
    distances ordered (and cut at the k-th) by the smaller index.

    scikit-learn breaks such ties in an order that depends on how its threads
    split the work (the number of threads, and which OpenMP runtime was loaded
    first), and data with whole-number values (pixels, counts, genotypes) has
    many; the graph, and so a seeded fit, would depend on them. The distances
    themselves do not. Each row gets ``k + _TIE_MARGIN`` candidates; a row whose
    k-th distance is also its last candidate's is asked again for four times as
    many, until its tie ends or all rows are candidates.
    """
    n = search.n_samples_fit_
    width = min(k + _TIE_MARGIN, n)
    distances, indices = _sorted_by_distance_then_index(*search.kneighbors(X, width))
    pending = _tie_runs_past(distances, k, width < n)
    distances, indices = distances[:, :k].copy(), indices[:, :k].copy()
    while pending.size:
        width = min(4 * width, n)
        runs_past = []
        for part in np.array_split(pending, -(-pending.size * width // _TIE_ENTRIES)):
            found_distances, found = _sorted_by_distance_then_index(
                *search.kneighbors(X[part], width)
            )
            distances[part], indices[part] = found_distances[:, :k], found[:, :k]
            runs_past.append(part[_tie_runs_past(found_distances, k, width < n)])
        pending = np.concatenate(runs_past)
    return indices, distances


def _tie_runs_past(distances: np.ndarray, k: int, more: bool) -> np.ndarray:
    """Rows whose k-th distance equals their last candidate's (so rows of a
    smaller index may lie beyond the candidates), when there are ``more`` rows."""
    if not more:
        return np.empty(0, dtype=np.int64)
    return np.flatnonzero(distances[:, k - 1] == distances[:, -1])


def _sorted_by_distance_then_index(
    distances: np.ndarray, indices: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Each row's neighbours sorted by distance, equal distances by index."""
    order = np.lexsort((indices, distances), axis=-1)
    return np.take_along_axis(distances, order, -1), np.take_along_axis(indices, order, -1)


def unit_norm_rows(X, centre: bool = False) -> np.ndarray | sp.csr_matrix:
    """Rows scaled to unit Euclidean length (after subtracting each row's mean
    when ``centre``), so that ``||u - v||^2 / 2`` is their cosine (correlation)
    distance, with one more column: 1 for a row of zeros (a constant row for
    correlation), which then lies at distance 1 from every other row, as
    scikit-learn puts it for cosine (correlation has no value there), and at
    distance 0 from another such row, as in UMAP. Sparse rows (not centred)
    stay sparse: scikit-learn's sparse cosine put rows of zeros at distance 1
    from each other too, so they took the first rows as neighbours."""
    if sp.issparse(X):
        if centre:  # centring would densify the rows
            raise ValueError("Sparse rows cannot be centred; pass dense rows.")
        X = sp.csr_matrix(X, dtype=np.result_type(X.dtype, np.float32))
        norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)))
        scaled = sp.diags(1.0 / np.where(norms > 0, norms, 1.0).ravel()) @ X
        return sp.hstack([scaled, sp.csr_matrix(norms == 0, dtype=X.dtype)], format="csr")
    rows = np.asarray(X)
    rows = rows.astype(np.result_type(rows.dtype, np.float32), copy=False)
    if centre:
        rows = rows - rows.mean(axis=1, keepdims=True)
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return np.hstack([rows / np.where(norms > 0, norms, 1.0), norms == 0])


def hellinger_rows(X) -> np.ndarray | sp.csr_matrix:
    """Square roots of each row's shares ``x / sum(x)``, so that their Euclidean
    distance over ``sqrt(2)`` is UMAP's Hellinger distance, with one more
    column: 1 for a row of zeros, which then lies at distance 1 from every
    other row and 0 from another such row, as in UMAP. Sparse rows stay sparse.

    Raises
    ------
    ValueError
        If ``X`` has a negative value.
    """
    values = X.data if sp.issparse(X) else np.asarray(X)
    if values.size and values.min() < 0:
        raise ValueError(
            "metric='hellinger' compares rows as distributions and needs non-negative X "
            "(counts or frequencies)."
        )
    totals = np.asarray(X.sum(axis=1), dtype=np.float64).reshape(-1, 1)
    empty = totals == 0
    inverse = 1.0 / np.where(empty, 1.0, totals)
    if sp.issparse(X):
        roots = sp.csr_matrix(X.multiply(inverse), dtype=np.float64)
        roots.data = np.sqrt(roots.data)
        return sp.hstack([roots, sp.csr_matrix(empty.astype(np.float64))], format="csr")
    return np.hstack([np.sqrt(values * inverse), empty.astype(np.float64)])


def brute_force_neighbors(
    X: np.ndarray, k: int, device: torch.device, return_distance: bool = False
):
    """Indices of the ``k`` nearest rows of each row (itself included), exact up
    to float32 rounding, computed on ``device`` one block of rows at a time.

    With ``return_distance=True``, also the distances to them, measured
    directly (the expanded ``|x|^2 - 2 x.y + |y|^2`` that ranks them loses
    small distances to cancellation).
    """
    data = torch.as_tensor(np.asarray(X), dtype=torch.float32, device=device)
    squared = (data * data).sum(1)
    block = max(1, _BLOCK_ENTRIES // len(data))
    parts = []
    for start in range(0, len(data), block):
        rows = data[start : start + block]
        # ||x||^2 is constant along a row of the block, so it is left out.
        distance = squared[None, :] - 2.0 * (rows @ data.T)
        parts.append(torch.topk(distance, k, dim=1, largest=False).indices)
    indices = torch.cat(parts)
    if not return_distance:
        return indices.cpu().numpy()
    distances = torch.empty(indices.shape, dtype=torch.float64, device=device)
    block = max(1, _GATHER_ENTRIES // (k * data.shape[1]))
    for start in range(0, len(data), block):
        diff = data[indices[start : start + block]] - data[start : start + block, None, :]
        distances[start : start + block] = torch.linalg.vector_norm(diff.double(), dim=-1)
    return indices.cpu().numpy(), distances.cpu().numpy()


def _drop_self(
    indices: np.ndarray, distances: np.ndarray | None, k: int
) -> tuple[np.ndarray, np.ndarray | None]:
    """Remove each row's own index (duplicates may put it anywhere) and keep ``k``."""
    rows = np.arange(len(indices))[:, None]
    not_self = indices != rows
    # Stable: keeps the neighbours in order of distance.
    order = np.argsort(~not_self, axis=1, kind="stable")[:, :k]
    indices = np.take_along_axis(indices, order, axis=1).astype(np.int64)
    if distances is not None:
        distances = np.take_along_axis(np.asarray(distances, dtype=np.float64), order, axis=1)
    return indices, distances
