"""The neighbour graph of the training rows, the data that the edge model
(:mod:`skddvi.edges`) explains beside the rows.

``G`` is the directed graph of each row's k nearest neighbours
(:func:`knn_adjacency`), a row's observed edge drawn uniformly among them;
UMAP's fuzzy graph (:func:`membership_graph`): each kNN edge gets a
membership strength in (0, 1] from its distance relative to the row's
nearest neighbour, the graph is symmetrised by a fuzzy union, and a row's
edge is drawn in proportion to its strength; or the mutual kNN graph
(:func:`mutual_adjacency`), a row's edge drawn uniformly among the rows
that count each other among their k nearest, and the row's edge term
weighted by its number of mutual neighbours (:func:`mutual_edge_weights`),
so that every mutual edge counts alike. In a fit with labels the graph is
intersected with them (:func:`split_cross_class_edges`): neighbours of two
different known classes are observed non-edges, one of which is drawn for
each row that has any. The neighbours are searched exactly (scikit-learn,
or matrix products on the GPU) or approximately (pynndescent) by
:func:`neighbor_graph`.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp
import torch

from ._checks import user_stacklevel

# Models pickled before the edge model moved to skddvi.edges name it here.
from .edges import EdgeModel  # noqa: F401

__all__ = [
    "METRICS",
    "METRIC_ALIASES",
    "brute_force_neighbors",
    "canonical_metric",
    "knn_adjacency",
    "membership_graph",
    "mutual_adjacency",
    "mutual_edge_weights",
    "neighbor_graph",
    "observed_graph",
    "split_cross_class_edges",
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
# Above this many rows, approximate neighbours from pynndescent when installed.
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
# Bisection steps for each row's bandwidth (UMAP's smooth_knn_dist takes 64).
_BISECTION_STEPS = 64


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

    Exact (scikit-learn) up to 20,000 rows, or beyond when pynndescent is not
    installed; approximate (pynndescent's NN-descent, as UMAP uses) above. On
    a CUDA ``device``, dense input of up to 1,000,000 rows gets exact
    neighbours by a blocked brute-force search there (matrix products and
    ``torch.topk``) for the Euclidean, cosine and correlation metrics.

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
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    n_groups, width = neighbors.shape
    out_indices = np.empty((n_groups, k), dtype=np.int64)
    out_distances = np.empty((n_groups, k))
    step = max(1, _TIE_ENTRIES // (width * k))
    for lo in range(0, n_groups, step):
        nbr = neighbors[lo : lo + step]
        offset = np.arange(k)
        valid = offset < counts[nbr][..., None]
        position = np.minimum(starts[nbr][..., None] + offset, len(members) - 1)
        index = np.where(valid, members[position], len(members)).reshape(len(nbr), -1)
        distance = np.where(valid, distances[lo : lo + step][..., None], np.inf)
        found_distances, found = _sorted_by_distance_then_index(
            distance.reshape(len(nbr), -1), index
        )
        out_indices[lo : lo + step], out_distances[lo : lo + step] = (
            found[:, :k],
            found_distances[:, :k],
        )
    return out_indices, out_distances


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


def knn_adjacency(indices: np.ndarray) -> sp.csr_matrix:
    """The directed k-nearest-neighbour graph with unit weights: row ``i`` has an
    edge to each of ``indices[i]``.

    Returns
    -------
    graph : csr_matrix of shape (n_samples, n_samples), float64
    """
    n, k = indices.shape
    indptr = np.arange(n + 1) * k
    return sp.csr_matrix((np.ones(n * k), indices.ravel(), indptr), shape=(n, n))


def mutual_adjacency(indices: np.ndarray) -> sp.csr_matrix:
    """The mutual k-nearest-neighbour graph with unit weights.

    Rows ``i`` and ``j`` share an edge when each is among the other's ``k``
    nearest neighbours. A row with no mutual neighbour keeps its directed
    kNN edges, so no row that has neighbours loses them all. Unlike UMAP's
    fuzzy union, which adds every reverse edge, this drops the one-way
    edges into hubs: rows near the centre of the data (in high dimensions,
    or after mean imputation) that are among the neighbours of many rows
    but count few of them among their own.

    Parameters
    ----------
    indices : ndarray of shape (n_samples, k)
        Each row's neighbours, as :func:`neighbor_graph` returns them.

    Returns
    -------
    graph : csr_matrix of shape (n_samples, n_samples), float64
        Symmetric except in the rows without a mutual neighbour.
    """
    return _mutual_graph_and_weights(indices)[0]


def _mutual_graph_and_weights(indices: np.ndarray) -> tuple[sp.csr_matrix, np.ndarray]:
    """:func:`mutual_adjacency` and :func:`mutual_edge_weights` from one pass."""
    directed = knn_adjacency(indices)
    directed.sum_duplicates()
    directed.data[:] = 1.0
    mutual = directed.multiply(directed.T).tocsr()
    mutual.eliminate_zeros()
    counts = np.diff(mutual.indptr)
    # Rows of the two terms are disjoint, and both hold only ones.
    graph = (mutual + sp.diags((counts == 0).astype(np.float64)) @ directed).tocsr()
    k = indices.shape[1]
    weights = np.maximum(counts, 1) * (np.log2(k + 1) / k if k else 1.0)
    return graph, weights


def mutual_edge_weights(indices: np.ndarray) -> np.ndarray:
    """Weight of each row's sampled edge when edges are drawn from
    :func:`mutual_adjacency`: ``m_i log2(k + 1) / k`` for a row with ``m_i``
    mutual neighbours (``m_i = 1`` for a row without any).

    A row's edge is drawn uniformly among its ``m_i`` mutual neighbours, so
    ``m_i`` times that edge's log-likelihood is an unbiased estimate of the
    log-likelihood of all the row's edges: with these weights every observed
    edge counts alike, as in UMAP's edge sampling, instead of every row.
    Each edge weighs ``log2(k + 1) / k``, the mean membership strength of an
    edge in UMAP's fuzzy graph (whose rows sum to ``log2(k + 1)``), so a row
    whose neighbours all count it back weighs what a row of UMAP's graph
    does, and at a given share of mutual neighbours the weights grow with
    ``k`` as ``log k``, not as ``k``. Rows in
    dense, clean neighbourhoods weigh more; rows whose neighbours do not
    count them back (as in graphs dominated by hubs) weigh less.

    Parameters
    ----------
    indices : ndarray of shape (n_samples, k)
        Each row's neighbours, as :func:`neighbor_graph` returns them.

    Returns
    -------
    weights : ndarray of shape (n_samples,), float64
    """
    return _mutual_graph_and_weights(indices)[1]


def observed_graph(
    X,
    n_neighbors: int,
    edge_weights: str,
    random_state: int | None,
    device: torch.device,
    labels: np.ndarray | None = None,
    metric: str = "euclidean",
    n_jobs: int = -1,
) -> tuple[np.ndarray | sp.csr_matrix, np.ndarray | None, sp.csr_matrix | None]:
    """The graph whose edges the model explains, each row's edge weight, and
    the observed non-edges.

    ``edge_weights`` is ``DDVIEmbedding``'s parameter: "uniform" gives the kNN
    indices, "fuzzy" :func:`membership_graph`, "mutual" :func:`mutual_adjacency`
    with :func:`mutual_edge_weights` (the others: None, every row alike).
    With ``labels`` (class indices, -1 for unlabelled rows) the graph is split
    by :func:`split_cross_class_edges` into its edges and its non-edges, and
    every row weighs alike: the labels and the class-partitioned prior, not
    rows weighted by their mutual neighbours, set the clusters of a fit with
    labels (results README). Without labels there are no non-edges (None).
    """
    fuzzy = edge_weights == "fuzzy"
    knn = neighbor_graph(X, n_neighbors, random_state, device, fuzzy, metric, n_jobs)
    weights = None
    if fuzzy:
        graph = membership_graph(*knn)
    elif edge_weights == "mutual":
        graph, weights = _mutual_graph_and_weights(knn)
    else:
        graph = knn
    if labels is None:
        return graph, weights, None
    kept, crossing = split_cross_class_edges(graph, labels)
    return kept, None, crossing


def split_cross_class_edges(
    graph: np.ndarray | sp.spmatrix, labels: np.ndarray
) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """Split a neighbour graph into the edges a semi-supervised fit keeps and
    those that join rows of two different known classes.

    The observed graph of a semi-supervised fit is the neighbour graph
    intersected with the labels: near neighbours of different classes are
    not pulled together, and are observed *non*-edges instead, so that the
    classes move apart where they touch. Edges with an unlabelled end (label
    -1) are kept. UMAP's supervised mode intersects its graph with the labels
    in the same way, softly (its cross-class edges keep ``exp(-5)`` of their
    strength).

    Parameters
    ----------
    graph : ndarray of shape (n_samples, k), or sparse matrix of shape (n_samples, n_samples)
        Neighbour indices (each listed neighbour weighs 1) or a weighted graph,
        as :func:`observed_graph` returns them.
    labels : ndarray of shape (n_samples,)
        Class index of each row, -1 for an unlabelled row.

    Returns
    -------
    kept, crossing : csr_matrix of shape (n_samples, n_samples), float64
        The edges within a class or with an unlabelled end, and the others.
    """
    graph = sp.csr_matrix(graph, dtype=float) if sp.issparse(graph) else knn_adjacency(graph)
    graph = graph.tocoo()
    a, b = labels[graph.row], labels[graph.col]
    keep = (a < 0) | (b < 0) | (a == b)
    parts = []
    for mask in (keep, ~keep):
        part = sp.csr_matrix(
            (graph.data[mask], (graph.row[mask], graph.col[mask])), shape=graph.shape
        )
        part.sum_duplicates()
        parts.append(part)
    return parts[0], parts[1]


def membership_graph(indices: np.ndarray, distances: np.ndarray) -> sp.csr_matrix:
    """UMAP's fuzzy neighbour graph: symmetric edge strengths in (0, 1].

    For each row ``i`` with neighbours ``j`` at distances ``d_ij``,
    ``w_ij = exp(-(d_ij - rho_i) / sigma_i)``, where ``rho_i`` is the distance
    to the nearest neighbour at a positive distance and ``sigma_i`` solves
    ``sum_j w_ij = log2(k + 1)`` (UMAP's ``smooth_knn_dist`` with
    ``local_connectivity=1``; its ``n_neighbors`` counts the row itself). The
    directed strengths ``A`` are symmetrised by the fuzzy union
    ``A + A.T - A * A.T``.

    Parameters
    ----------
    indices, distances : ndarray of shape (n_samples, k)
        Each row's neighbours and the distances to them, as
        ``neighbor_graph(..., return_distance=True)`` returns them.

    Returns
    -------
    graph : csr_matrix of shape (n_samples, n_samples), float64
    """
    n, k = indices.shape
    if k == 0:
        return sp.csr_matrix((n, n))
    directed = knn_adjacency(indices)
    directed.data = _memberships(np.asarray(distances, dtype=np.float64), np.log2(k + 1)).ravel()
    graph = (directed + directed.T - directed.multiply(directed.T)).tocsr()
    graph.eliminate_zeros()
    return graph


def _memberships(distances: np.ndarray, target: float) -> np.ndarray:
    """``exp(-(d - rho) / sigma)`` with each row's ``sigma`` found by bisection so
    that the row sums to ``target`` (vectorised over rows)."""
    positive = np.where(distances > 0, distances, np.inf)
    rho = positive.min(axis=1, keepdims=True)
    rho = np.where(np.isfinite(rho), rho, 0.0)
    excess = np.maximum(distances - rho, 0.0)
    low = np.zeros((len(distances), 1))
    high = np.full_like(low, np.inf)
    sigma = np.ones_like(low)
    for _ in range(_BISECTION_STEPS):
        too_wide = np.exp(-excess / sigma).sum(axis=1, keepdims=True) > target
        high = np.where(too_wide, sigma, high)
        low = np.where(too_wide, low, sigma)
        sigma = np.where(np.isinf(high), 2.0 * sigma, 0.5 * (low + high))
    # UMAP's floor: a bandwidth of at least 1e-3 of the row's mean distance.
    sigma = np.maximum(sigma, 1e-3 * distances.mean(axis=1, keepdims=True))
    sigma = np.where(sigma > 0, sigma, 1.0)
    return np.exp(-excess / sigma)


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
