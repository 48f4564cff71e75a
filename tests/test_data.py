"""Tests of the data movement helpers (CPU only)."""

import math

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from skddvi._data import (
    OUTLIER_FACTOR,
    DeviceRows,
    common_scale,
    feature_moments,
    host_batches,
    input_scaling,
)
from skddvi.graph import knn_adjacency, split_cross_class_edges

CPU = torch.device("cpu")


def _sparse(n=40, p=15, density=0.2, seed=0):
    X = sp.random(n, p, density=density, random_state=seed, format="csr", dtype=np.float64)
    X = X.tolil()
    X[[2, 7, 30], :] = 0.0  # rows without any nonzero
    X = X.tocsr()
    X.eliminate_zeros()
    assert X.has_canonical_format
    return X


def _index(n, size=60, seed=1):
    return torch.as_tensor(np.random.default_rng(seed).integers(0, n, size=size))


@pytest.mark.parametrize("fmt", ["csr", "csc", "coo"])
def test_device_rows_sparse_rows_equal_dense_rows(fmt):
    X = _sparse()
    assert X[[2, 7, 30]].nnz == 0
    rows = DeviceRows(X.asformat(fmt), CPU)
    index = torch.cat([_index(40), torch.tensor([2, 7, 30, 7, 0, 39])])
    got = rows.rows(index)
    assert got.dtype == torch.float32
    assert got.shape == (len(index), 15)
    expected = X.toarray().astype(np.float32)[index.numpy()]
    np.testing.assert_array_equal(got.numpy(), expected)


def test_device_rows_sparse_only_empty_rows_and_empty_index():
    X = _sparse()
    rows = DeviceRows(X, CPU)
    np.testing.assert_array_equal(rows.rows(torch.tensor([2, 30])).numpy(), np.zeros((2, 15)))
    assert rows.rows(torch.tensor([], dtype=torch.long)).shape == (0, 15)


def test_device_rows_dense_rows():
    X = np.random.default_rng(2).normal(size=(30, 4))
    rows = DeviceRows(X, CPU)
    assert (rows.n_samples, rows.n_features) == (30, 4)
    index = _index(30, 45)
    np.testing.assert_array_equal(rows.rows(index).numpy(), X.astype(np.float32)[index.numpy()])


def test_device_rows_shape_attributes_for_sparse():
    rows = DeviceRows(_sparse(), CPU)
    assert (rows.n_samples, rows.n_features) == (40, 15)


def test_device_rows_sums_duplicate_sparse_entries():
    data, indices, indptr = np.array([1.0, 2.0, 3.0]), np.array([0, 0, 1]), np.array([0, 3, 3])
    X = sp.csr_matrix((data, indices, indptr), shape=(2, 3))
    assert not X.has_canonical_format
    got = DeviceRows(X, CPU).rows(torch.tensor([0, 1]))
    np.testing.assert_array_equal(got.numpy(), X.toarray())  # [[3, 3, 0], [0, 0, 0]]


def _drawn_positions(rows, X, neighbors, index):
    got = rows.neighbor_rows(index, torch.Generator().manual_seed(0)).numpy()
    X32 = X.astype(np.float32)
    position = np.zeros(len(index), dtype=int)
    for n, (i, row) in enumerate(zip(index.tolist(), got)):
        match = [k for k, j in enumerate(neighbors[i]) if np.array_equal(X32[j], row)]
        assert len(match) == 1
        position[n] = match[0]
    return position


@pytest.mark.parametrize("as_sparse", [False, True], ids=["index array", "sparse graph"])
def test_neighbor_rows_returns_one_of_the_neighbours(as_sparse):
    """An (n, k) index array draws uniformly; so does a sparse graph with equal weights."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(25, 3))
    neighbors = np.stack(
        [rng.choice(np.delete(np.arange(25), i), 4, replace=False) for i in range(25)]
    )
    rows = DeviceRows(X, CPU, knn_adjacency(neighbors) if as_sparse else neighbors)
    index = torch.arange(25).repeat(80)
    position = _drawn_positions(rows, X, neighbors, index)
    # equal weights: the neighbour is drawn uniformly among the four
    np.testing.assert_allclose(np.bincount(position, minlength=4) / len(index), 0.25, atol=0.03)


def test_neighbor_rows_are_drawn_in_proportion_to_the_weights():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(30, 2))
    neighbors = np.stack([np.delete(np.arange(30), i)[rng.permutation(29)[:3]] for i in range(30)])
    weights = np.tile([0.1, 0.3, 0.6], (30, 1))
    graph = knn_adjacency(neighbors)
    graph.data = weights.ravel()
    rows = DeviceRows(X, CPU, graph)
    index = torch.arange(30).repeat(200)
    position = _drawn_positions(rows, X, neighbors, index)
    np.testing.assert_allclose(
        np.bincount(position, minlength=3) / len(index), [0.1, 0.3, 0.6], atol=0.02
    )


@pytest.mark.parametrize("u", [0.0, np.nextafter(1.0, 0.0)])
def test_neighbor_draws_at_the_ends_of_the_unit_interval_stay_in_their_row(monkeypatch, u):
    """Keys of consecutive rows touch at integers, and ``i + u`` can round up
    to ``i + 1``: a draw must still pick one of row ``i``'s own edges."""
    X = np.arange(8.0)[:, None]
    neighbors = np.array([[1, 2], [0, 2], [3, 4], [2, 4], [5, 6], [4, 6], [7, 0], [6, 0]])
    rows = DeviceRows(X, CPU, knn_adjacency(neighbors))
    monkeypatch.setattr(torch, "rand", lambda n, **kw: torch.full((n,), u, dtype=kw["dtype"]))
    got = rows.neighbor_rows(torch.arange(8), None).numpy().ravel()
    first, last = np.sort(neighbors, axis=1).T  # a row's edges, in column order
    expected = first if u == 0 else last
    np.testing.assert_array_equal(got, expected)


def test_neighbor_rows_of_an_isolated_row_is_the_row_itself():
    X = np.arange(3.0)[:, None]
    graph = sp.csr_matrix(([1.0, 1.0], ([0, 1], [1, 0])), shape=(3, 3))  # row 2 has no edge
    rows = DeviceRows(X, CPU, graph)
    got = rows.neighbor_rows(torch.tensor([2, 2, 0, 1]), torch.Generator()).numpy().ravel()
    np.testing.assert_array_equal(got, [2.0, 2.0, 1.0, 0.0])


def test_negative_graph_weights_are_refused():
    graph = sp.csr_matrix(([1.0, -1.0], ([0, 1], [1, 0])), shape=(2, 2))
    with pytest.raises(ValueError, match="non-negative"):
        DeviceRows(np.zeros((2, 1)), CPU, graph)


def test_neighbor_rows_with_sparse_data():
    X = _sparse()
    neighbors = np.tile(np.array([[0, 1]]), (40, 1))
    rows = DeviceRows(X, CPU, knn_adjacency(neighbors))
    got = rows.neighbor_rows(torch.arange(40), torch.Generator().manual_seed(0)).numpy()
    dense = X.toarray().astype(np.float32)
    for row in got:
        assert np.array_equal(row, dense[0]) or np.array_equal(row, dense[1])


@pytest.mark.parametrize(
    "graph", [None, sp.csr_matrix((10, 10)), np.empty((10, 0), dtype=np.int64)]
)
def test_neighbor_rows_without_graph_is_none(graph):
    rows = DeviceRows(np.ones((10, 2)), CPU, graph)
    assert rows.graph is None
    assert rows.neighbor_rows(torch.arange(3), torch.Generator()) is None


@pytest.mark.parametrize(("n", "batch_size"), [(10, 3), (12, 4), (5, 8), (1, 1)])
def test_batches_cover_every_row_exactly_once(n, batch_size):
    rows = DeviceRows(np.zeros((n, 2)), CPU)
    batches = list(rows.batches(batch_size, torch.Generator().manual_seed(0)))
    assert len(batches) == math.ceil(n / batch_size)
    assert all(len(b) == batch_size for b in batches[:-1])
    assert 1 <= len(batches[-1]) <= batch_size
    np.testing.assert_array_equal(np.sort(torch.cat(batches).numpy()), np.arange(n))


@pytest.mark.parametrize(("n", "batch_size"), [(10, 3), (12, 4), (5, 5), (1, 1)])
def test_full_batches_have_one_size_and_cover_every_row(n, batch_size):
    """The CUDA-graph path needs one batch size: the last batch is filled from the first."""
    rows = DeviceRows(np.zeros((n, 2)), CPU)
    batches = list(rows.batches(batch_size, torch.Generator().manual_seed(0), full=True))
    assert len(batches) == math.ceil(n / batch_size)
    assert all(len(b) == batch_size for b in batches)
    order = torch.cat(batches)
    np.testing.assert_array_equal(np.unique(order.numpy()), np.arange(n))
    torch.testing.assert_close(order[n:], order[: len(order) - n])  # the filler: the first rows


def test_batches_are_shuffled_and_reproducible():
    rows = DeviceRows(np.zeros((50, 2)), CPU)
    a = torch.cat(list(rows.batches(16, torch.Generator().manual_seed(1))))
    b = torch.cat(list(rows.batches(16, torch.Generator().manual_seed(1))))
    c = torch.cat(list(rows.batches(16, torch.Generator().manual_seed(2))))
    assert torch.equal(a, b)
    assert not torch.equal(a, c)
    assert not torch.equal(a, torch.arange(50))


@pytest.mark.parametrize("batch_size", [1, 7, 40, 100])
def test_host_batches_dense(batch_size):
    X = np.random.default_rng(4).normal(size=(40, 3))
    blocks = list(host_batches(X, batch_size))
    assert [start for start, _ in blocks] == list(range(0, 40, batch_size))
    np.testing.assert_array_equal(np.vstack([b for _, b in blocks]), X)


@pytest.mark.parametrize("batch_size", [6, 40])
def test_host_batches_densify_sparse_blocks(batch_size):
    X = _sparse()
    blocks = list(host_batches(X, batch_size))
    assert [start for start, _ in blocks] == list(range(0, 40, batch_size))
    for start, block in blocks:
        assert isinstance(block, np.ndarray)
        np.testing.assert_array_equal(block, X[start : start + batch_size].toarray())
    np.testing.assert_array_equal(np.vstack([b for _, b in blocks]), X.toarray())


@pytest.mark.parametrize("chunk_size", [1, 7, 50, 65536])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_feature_moments_dense(chunk_size, dtype):
    X = (np.random.default_rng(5).normal(size=(50, 4)) * [1, 10, 0.1, 3] + [0, 5, -2, 100]).astype(
        dtype
    )
    mean, var = feature_moments(X, chunk_size=chunk_size)
    assert mean.dtype == np.float64 and var.dtype == np.float64
    assert mean.shape == (4,) and var.shape == (4,)
    reference = X.astype(np.float64)
    np.testing.assert_allclose(mean, reference.mean(0), rtol=1e-12)
    np.testing.assert_allclose(var, reference.var(0), rtol=1e-10)


def test_feature_moments_dense_large_offset_is_accurate():
    X = 1e6 + np.random.default_rng(6).normal(size=(1000, 2))
    _, var = feature_moments(X, chunk_size=64)
    np.testing.assert_allclose(var, X.var(0), rtol=1e-8)


@pytest.mark.parametrize("fmt", ["csr", "csc", "coo"])
def test_feature_moments_sparse(fmt):
    X = _sparse()
    mean, var = feature_moments(X.asformat(fmt))
    dense = X.toarray()
    np.testing.assert_allclose(mean, dense.mean(0), rtol=1e-12)
    np.testing.assert_allclose(var, dense.var(0), rtol=1e-9, atol=1e-15)
    assert np.all(var >= 0)


def test_feature_moments_constant_feature_has_zero_variance():
    X = np.column_stack([np.full(20, 3.0), np.arange(20.0)])
    _, var = feature_moments(X, chunk_size=3)
    assert var[0] == 0.0
    _, var_sparse = feature_moments(sp.csr_matrix(X))
    assert var_sparse[0] == pytest.approx(0.0, abs=1e-12)


def _scaling_of(X):
    mean, var = feature_moments(X)
    return mean, var, input_scaling(X, mean, var)


def test_input_scaling_without_outliers_is_the_plain_moments():
    X = np.random.default_rng(7).normal(size=(300, 6)) * [1, 2, 3, 1, 1, 5] + 40
    mean, var, scaling = _scaling_of(X)
    assert scaling.center is mean  # the very same numbers: fits are unchanged
    assert scaling.scale == common_scale(var)
    distance = np.linalg.norm(X - mean, axis=1) / scaling.scale
    assert scaling.radius == pytest.approx(OUTLIER_FACTOR * np.median(distance))
    assert distance.max() < scaling.radius


@pytest.mark.parametrize("value", [1e3, 1e6, -1e9])
def test_input_scaling_leaves_outlying_rows_out(value):
    X = np.random.default_rng(8).normal(size=(200, 5))
    X[3] = value
    _, _, scaling = _scaling_of(X)
    rest = np.delete(X, 3, axis=0)
    np.testing.assert_allclose(scaling.center, rest.mean(0), rtol=1e-10)
    assert scaling.scale == pytest.approx(np.sqrt(rest.var(0).mean()), rel=1e-10)
    assert np.linalg.norm(X[3] - scaling.center) / scaling.scale > scaling.radius
    assert np.all(np.linalg.norm(rest - scaling.center, axis=1) / scaling.scale < scaling.radius)


def test_input_scaling_of_sparse_rows_matches_dense():
    X = _sparse(n=200, p=10, density=0.3).tolil()
    X[5, :] = 1e5
    X = X.tocsr()
    dense = _scaling_of(X.toarray())[2]
    sparse = _scaling_of(X)[2]
    np.testing.assert_allclose(sparse.center, dense.center, rtol=1e-9, atol=1e-12)
    assert sparse.scale == pytest.approx(dense.scale, rel=1e-9)
    assert sparse.radius == pytest.approx(dense.radius, rel=1e-9)


def test_input_scaling_keeps_the_moments_when_many_rows_would_be_left_out():
    """70% of wine's rows replaced by one non-integer row: each pass drew the
    centre onto the duplicates and left more rows out, until the duplicates'
    rounding noise set the scale (1.6e-14)."""
    from sklearn.datasets import load_wine

    X = load_wine().data.copy()
    X[: int(0.7 * len(X))] = X[len(X) // 2]
    mean, var, scaling = _scaling_of(X)
    assert scaling.center is mean and scaling.scale == common_scale(var)
    assert scaling.radius == np.inf


def test_input_scaling_keeps_the_moments_when_most_rows_sit_on_the_centre():
    X = np.zeros((50, 3))
    X[:3] = [[1.0, 2.0, 3.0], [1e4, 0.0, 0.0], [0.0, -5.0, 0.0]]
    mean, var, scaling = _scaling_of(X)
    assert scaling.center is mean and scaling.scale == common_scale(var)
    assert scaling.radius == np.inf


def test_edge_weights_are_gathered_for_the_batch():
    neighbors = np.tile(np.array([[1], [0]]), (5, 1))
    weights = np.arange(10, dtype=np.float64)
    rows = DeviceRows(np.zeros((10, 2)), CPU, neighbors, edge_weights=weights)
    got = rows.edge_weights(torch.tensor([3, 0, 9, 3]))
    assert got.dtype == torch.float32
    np.testing.assert_array_equal(got.numpy(), [3, 0, 9, 3])
    assert DeviceRows(np.zeros((10, 2)), CPU, neighbors).edge_weights(torch.arange(2)) is None
    # No graph, no edge term to weigh.
    assert (
        DeviceRows(np.zeros((10, 2)), CPU, edge_weights=weights).edge_weights(torch.arange(2))
        is None
    )


def test_non_edge_rows_draw_a_crossing_neighbour_and_mask_rows_without_one():
    X = np.arange(12.0).reshape(6, 2)
    indices = np.array([[1, 2], [0, 2], [3, 1], [2, 4], [5, 3], [4, 3]])
    labels = np.array([0, 0, 1, 1, -1, 1])
    kept, crossing = split_cross_class_edges(indices, labels)
    rows = DeviceRows(X, CPU, kept, labels, non_edges=crossing)
    index = torch.arange(6).repeat(20)
    got, has_one = rows.non_edge_rows(index, torch.Generator().manual_seed(0))
    # Rows 0, 1, 2 have a neighbour of another known class; 3, 4, 5 have none.
    expected_mask = torch.tensor([1.0, 1.0, 1.0, 0.0, 0.0, 0.0]).repeat(20)
    torch.testing.assert_close(has_one, expected_mask)
    drawn = got[:, 0].long() // 2
    allowed = {0: {2}, 1: {2}, 2: {1}}
    for i, j in zip(index.tolist(), drawn.tolist()):
        assert j in allowed.get(i, {i})
    assert DeviceRows(X, CPU, kept).non_edge_rows(index, None) is None


def test_device_rows_subtract_the_offset_in_float64():
    X = np.random.default_rng(0).normal(size=(50, 3)) + 1e7
    offset = X.mean(axis=0)
    rows = DeviceRows(X, CPU, offset=offset).rows(torch.arange(50))
    assert rows.dtype == torch.float32
    np.testing.assert_allclose(rows.numpy(), X - offset, rtol=1e-6, atol=1e-6)


def test_device_rows_refuse_values_beyond_float32_and_offsets_of_sparse_rows():
    with pytest.raises(ValueError, match="too large for float32"):
        DeviceRows(np.array([[1e39], [0.0]]), CPU)
    with pytest.raises(ValueError, match="too large for float32"):
        DeviceRows(sp.csr_matrix(np.array([[1e39], [0.0]])), CPU)
    with pytest.raises(ValueError, match="Sparse rows take no offset"):
        DeviceRows(_sparse(), CPU, offset=np.ones(15))
