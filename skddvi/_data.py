"""Data movement and statistics: training rows on the device, host batches for
inference, and the per-feature moments and outlier-robust input scaling the
model is built from."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import torch
from torch import Tensor

__all__ = [
    "DeviceRows",
    "InputScaling",
    "common_scale",
    "feature_moments",
    "host_batches",
    "input_scaling",
]


class DeviceRows:
    """Training rows (and their neighbour graph, its row weights, observed
    non-edges and labels, if any) kept on the device; minibatches are index
    slices there.

    Dense input is copied once as float32, as ``X - offset`` computed in
    float64 (``offset``: one value per feature, or None for none), so that
    features far from zero keep their digits. Sparse input stays sparse on
    the device (CSR arrays, no offset) and each minibatch is densified by a
    vectorised gather, so the whole matrix is never dense.

    Raises
    ------
    ValueError
        If a value does not fit in float32.
    """

    def __init__(
        self,
        X: np.ndarray | sp.spmatrix,
        device: torch.device,
        graph: np.ndarray | sp.spmatrix | None = None,
        labels: np.ndarray | None = None,
        edge_weights: np.ndarray | None = None,
        non_edges: sp.spmatrix | None = None,
        offset: np.ndarray | None = None,
    ) -> None:
        self.n_samples, self.n_features = X.shape
        self.device = device
        self.graph = _edge_sampler(graph, device)
        self._edge_weights = (
            None
            if edge_weights is None or self.graph is None
            else torch.as_tensor(edge_weights, dtype=torch.float32, device=device)
        )
        self._non_edges = None if self.graph is None else _edge_sampler(non_edges, device)
        self._labels = (
            None if labels is None else torch.as_tensor(labels, dtype=torch.long, device=device)
        )
        if sp.issparse(X):
            X = sp.csr_matrix(X)
            X.sum_duplicates()  # repeated entries add up, as in scipy's toarray
            self._dense = None
            self._indptr = torch.as_tensor(X.indptr.astype(np.int64), device=device)
            self._indices = torch.as_tensor(X.indices.astype(np.int64), device=device)
            if offset is not None and np.any(offset):
                raise ValueError("Sparse rows take no offset.")
            self._values = torch.as_tensor(_float32(X.data), device=device)
        else:
            self._dense = torch.as_tensor(_float32(X, offset), device=device)

    def rows(self, index: Tensor) -> Tensor:
        """Dense float32 rows ``X[index]``, shape ``(len(index), p)``."""
        if self._dense is not None:
            return self._dense[index]
        start, stop = self._indptr[index], self._indptr[index + 1]
        counts = stop - start
        row = torch.repeat_interleave(torch.arange(len(index), device=self.device), counts)
        first = torch.cumsum(counts, 0) - counts
        pos = torch.repeat_interleave(start - first, counts) + torch.arange(
            int(counts.sum()), device=self.device
        )
        out = torch.zeros(len(index), self.n_features, device=self.device, dtype=self._values.dtype)
        out[row, self._indices[pos]] = self._values[pos]
        return out

    def labels(self, index: Tensor) -> Tensor | None:
        """Class indices of the rows in ``index`` (-1: unlabelled), or None."""
        return None if self._labels is None else self._labels[index]

    def neighbor_rows(self, index: Tensor, generator: torch.Generator | None) -> Tensor | None:
        """One graph neighbour of each row in ``index``, drawn with probability
        proportional to the edge weights (None without a graph)."""
        if self.graph is None:
            return None
        return self.rows(self.graph.sample(index, generator))

    def non_edge_rows(
        self, index: Tensor, generator: torch.Generator | None
    ) -> tuple[Tensor, Tensor] | None:
        """One observed non-edge neighbour of each row in ``index`` and a 0/1
        mask of the rows that have one (None without non-edges)."""
        if self._non_edges is None:
            return None
        other = self._non_edges.sample(index, generator)
        return self.rows(other), (other != index).to(torch.float32)

    def edge_weights(self, index: Tensor) -> Tensor | None:
        """Weight of the edge term of each row in ``index`` (None: all 1)."""
        return None if self._edge_weights is None else self._edge_weights[index]

    @property
    def is_dense(self) -> bool:
        """Whether the rows are stored dense (sparse rows are gathered per batch)."""
        return self._dense is not None

    def batches(
        self, batch_size: int, generator: torch.Generator, full: bool = False
    ) -> Iterator[Tensor]:
        """Index tensors of a shuffled pass over the rows.

        The last batch may be short; with ``full=True`` it is filled up with
        rows from the start of the pass, so that every batch has ``batch_size``
        rows (and every row is still seen at least once).
        """
        order = torch.randperm(self.n_samples, generator=generator, device=self.device)
        short = -self.n_samples % batch_size
        if full and short:
            order = torch.cat([order, order[:short]])
        return iter(order.split(batch_size))


def chunk_rows(X, entries: int = 2**24, max_rows: int = 65536) -> int:
    """Rows of ``X`` per chunk of float64 work: at most ``max_rows`` and about
    ``entries`` values (128 MiB of float64 by default), so that wide data gets
    smaller chunks, not larger temporaries."""
    width = X.shape[1] if X.ndim > 1 else 1
    return max(1, min(max_rows, entries // max(1, width)))


def _float32(
    X: np.ndarray, offset: np.ndarray | None = None, chunk_size: int | None = None
) -> np.ndarray:
    """``X - offset`` (in float64, chunk by chunk) as a new float32 array."""
    chunk_size = chunk_size or chunk_rows(X)
    out = np.empty(X.shape, dtype=np.float32)
    with np.errstate(over="ignore"):
        for i in range(0, X.shape[0], chunk_size):
            block = np.asarray(X[i : i + chunk_size], dtype=np.float64)
            out[i : i + chunk_size] = block if offset is None else block - offset
    if not np.isfinite(out).all():
        raise ValueError(
            "X has values too large for float32, the precision of training "
            f"(more than {np.finfo(np.float32).max:.3g} in magnitude after centring); "
            "rescale X, for example with StandardScaler."
        )
    return out


def _edge_sampler(graph, device: torch.device):
    """A sampler of one neighbour per row: uniform over the columns of an
    ``(n_samples, k)`` index array, or weighted by a sparse graph; None for no
    graph or one without edges."""
    if graph is None or graph.shape[1] == 0 or (sp.issparse(graph) and graph.nnz == 0):
        return None
    if sp.issparse(graph):
        return _WeightedNeighbors(graph, device)
    return _UniformNeighbors(graph, device)


class _UniformNeighbors:
    """Draws one of each row's ``k`` listed neighbours, each alike."""

    def __init__(self, indices: np.ndarray, device: torch.device) -> None:
        self._indices = torch.as_tensor(indices, dtype=torch.long, device=device)

    def sample(self, index: Tensor, generator: torch.Generator | None) -> Tensor:
        k = self._indices.shape[1]
        pick = torch.randint(k, (len(index),), generator=generator, device=index.device)
        return self._indices[index, pick]


class _WeightedNeighbors:
    """Draws one neighbour of each row with probability proportional to the
    weights of a sparse graph's row, for a whole batch at once.

    Each edge's key is its row index plus the cumulative share of the row's
    weight up to and including it, so a row's keys lie in ``(i, i + 1]``; a
    draw for row ``i`` is the first key above ``i + u``, ``u ~ U[0, 1)``
    (one ``searchsorted``, no host round trip). Rows without edges are their
    own neighbour.
    """

    def __init__(self, graph: sp.spmatrix, device: torch.device) -> None:
        graph = sp.csr_matrix(graph, dtype=np.float64)
        graph.sum_duplicates()
        if graph.nnz and graph.data.min() < 0:
            raise ValueError("graph weights must be non-negative")
        graph.eliminate_zeros()
        isolated = np.flatnonzero(np.diff(graph.indptr) == 0)
        if len(isolated):
            loops = sp.csr_matrix((np.ones(len(isolated)), (isolated, isolated)), shape=graph.shape)
            graph = (graph + loops).tocsr()
        rows = np.repeat(np.arange(graph.shape[0]), np.diff(graph.indptr))
        cumulative = np.cumsum(graph.data)
        before = np.concatenate([[0.0], cumulative])[graph.indptr[:-1]]
        totals = cumulative[graph.indptr[1:] - 1] - before
        share = (cumulative - before[rows]) / totals[rows]
        share[graph.indptr[1:] - 1] = 1.0  # exactly, whatever the rounding
        self._keys = torch.as_tensor(rows + share, dtype=torch.float64, device=device)
        self._last = torch.as_tensor(graph.indptr[1:] - 1, dtype=torch.long, device=device)
        self._targets = torch.as_tensor(graph.indices.astype(np.int64), device=device)

    def sample(self, index: Tensor, generator: torch.Generator | None) -> Tensor:
        u = torch.rand(len(index), generator=generator, device=index.device, dtype=torch.float64)
        position = torch.searchsorted(self._keys, index.to(torch.float64) + u, right=True)
        # u can round to 1 when added to a large index: stay inside the row.
        return self._targets[torch.minimum(position, self._last[index])]


def host_batches(X: np.ndarray | sp.spmatrix, batch_size: int) -> Iterator[tuple[int, np.ndarray]]:
    """``(start, dense block)`` over consecutive rows; sparse blocks are densified one at a time."""
    for start in range(0, X.shape[0], batch_size):
        block = X[start : start + batch_size]
        yield start, block.toarray() if sp.issparse(block) else block


def feature_moments(
    X: np.ndarray | sp.spmatrix, chunk_size: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Per-feature mean and variance (float64), in row chunks; sparse input stays sparse.

    The chunks are 65,536 rows up to 1,024 features and fewer above (the
    chunks set the order of the sums, so they stay as they were for the data
    of earlier results)."""
    # Values whose squares overflow give an infinite variance, which the
    # caller reports (check_float32_scale); numpy's warning would come first.
    with np.errstate(over="ignore", invalid="ignore"):
        if sp.issparse(X):
            X = sp.csr_matrix(X, dtype=np.float64)
            mean = np.asarray(X.mean(axis=0)).ravel()
            mean_sq = np.asarray(X.multiply(X).mean(axis=0)).ravel()
            return mean, np.maximum(mean_sq - mean**2, 0.0)
        n = X.shape[0]
        chunk_size = chunk_size or chunk_rows(X, 2**26)
        rows = range(0, n, chunk_size)
        mean = sum(X[i : i + chunk_size].sum(axis=0, dtype=np.float64) for i in rows) / n
        sq = sum(((X[i : i + chunk_size] - mean) ** 2).sum(axis=0) for i in rows)
    return mean, sq / n


def common_scale(variance: np.ndarray) -> float:
    """One scale for all features: the root of their mean variance (1 if all are constant)."""
    total_var = float(np.mean(variance))
    return float(np.sqrt(total_var)) if total_var > 0 else 1.0


# A row further from the centre than this many times the median row's distance
# is an outlier for the encoder's input scaling. No row of the benchmarks' sets
# is past 5 (breast cancer's furthest: 4.7; MNIST's: 1.7), so there it changes nothing.
OUTLIER_FACTOR = 10.0
_MAX_PASSES = 5
# Outliers are a few rows (data-entry errors, fill values): where more than
# this fraction of the rows (and more than one) would be left out, the rows
# far from the median are structure, not errors, and the plain moments stay.
# Without the cap, many duplicate rows drew the centre onto themselves pass
# after pass until they alone set the scale (1e-14 on wine with 70% of its
# rows one row).
MAX_OUTLIER_FRACTION = 0.05


@dataclass(frozen=True)
class InputScaling:
    """How the encoder reads a row: ``(x - center) / scale``, shrunk onto ``radius``."""

    center: np.ndarray
    scale: float
    radius: float


def input_scaling(
    X: np.ndarray | sp.spmatrix, mean: np.ndarray, variance: np.ndarray
) -> InputScaling:
    """The encoder's input scaling, robust to a few outlying rows.

    Rows further from the centre than :data:`OUTLIER_FACTOR` times the median
    row's distance (in units of the common scale) are left out of the centre
    and scale, which are recomputed until no other row is left out; the
    radius is that multiple of the median distance. Without such rows this
    is the training mean and :func:`common_scale` of ``variance``, and no
    row is shrunk. Without it, one row at 1e6 among rows of unit spread sets
    a scale at which the encoder cannot tell the others apart, and they
    embed on one point. When over half the rows sit on the centre (no median
    distance), or more than :data:`MAX_OUTLIER_FRACTION` of the rows would be
    left out, the plain moments are kept and nothing is shrunk.
    """
    plain = InputScaling(mean, common_scale(variance), np.inf)
    center, var = mean, variance
    keep = np.ones(X.shape[0], dtype=bool)
    max_left_out = max(1, int(MAX_OUTLIER_FRACTION * X.shape[0]))
    for _ in range(_MAX_PASSES):
        scale = common_scale(var)
        distance = _row_distances(X, center) / scale
        median = float(np.median(distance))
        if not median > 0:
            return plain
        scaling = InputScaling(center, scale, OUTLIER_FACTOR * median)
        inside = distance <= scaling.radius
        if np.count_nonzero(~inside) > max_left_out:
            return plain
        if np.array_equal(inside, keep):
            break
        keep = inside
        center, var = feature_moments(X[keep])
    return scaling


def _row_distances(
    X: np.ndarray | sp.spmatrix, center: np.ndarray, chunk_size: int | None = None
) -> np.ndarray:
    """Euclidean distance of each row from ``center`` (float64), in row chunks."""
    chunk_size = chunk_size or chunk_rows(X)
    if sp.issparse(X):
        X = sp.csr_matrix(X, dtype=np.float64)
        sq = np.asarray(X.multiply(X).sum(axis=1)).ravel() - 2 * (X @ center) + center @ center
        return np.sqrt(np.maximum(sq, 0.0))
    parts = [
        np.sqrt(((X[i : i + chunk_size] - center) ** 2).sum(axis=1))
        for i in range(0, X.shape[0], chunk_size)
    ]
    return np.concatenate(parts) if parts else np.zeros(0)
