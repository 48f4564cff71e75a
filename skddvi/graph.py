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
each row that has any. The neighbours come from
:func:`skddvi.neighbors.neighbor_graph`.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import torch

# Models pickled before the edge model moved to skddvi.edges name it here.
from .edges import EdgeModel  # noqa: F401

# The search, here before it moved to skddvi.neighbors (imported from here).
from .neighbors import (  # noqa: F401
    METRIC_ALIASES,
    METRICS,
    brute_force_neighbors,
    canonical_metric,
    check_metric,
    hellinger_rows,
    neighbor_graph,
    unit_norm_rows,
)

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

# Bisection steps for each row's bandwidth (UMAP's smooth_knn_dist takes 64).
_BISECTION_STEPS = 64


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
