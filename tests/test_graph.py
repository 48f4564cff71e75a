"""Tests of the neighbour graph and the edge model."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from sklearn.neighbors import NearestNeighbors

from skddvi import DDVIEmbedding
from skddvi import neighbors as neighbors_module
from skddvi._build import build_model
from skddvi.edges import EdgeModel, edge_log_likelihood, gather_rows, kernel_params
from skddvi.graph import (
    knn_adjacency,
    membership_graph,
    mutual_adjacency,
    mutual_edge_weights,
    observed_graph,
    split_cross_class_edges,
)
from skddvi.neighbors import METRICS, brute_force_neighbors, neighbor_graph, unit_norm_rows
from skddvi.priors import GaussianPrior

# (spread, min_dist) -> (a, b) from umap.umap_.find_ab_params (umap-learn 0.5).
UMAP_AB = {
    (1.0, 0.001): (1.929073395935085, 0.7915045334274393),
    (1.0, 0.1): (1.5769434602697652, 0.8950608778515733),
    (1.0, 0.25): (1.1214363422305684, 1.057499876683671),
    (1.0, 0.5): (0.5830300203414425, 1.3341669924314914),
    (1.0, 0.8): (0.23206272701293237, 1.6812316033251284),
    (2.0, 0.1): (0.5446605399418663, 0.8420554268341789),
    (1.5, 1.0): (0.10344762210398999, 1.524163451283489),
}


@pytest.mark.parametrize(("spread", "min_dist"), list(UMAP_AB), ids=str)
def test_kernel_params_match_umap(spread, min_dist):
    a, b = kernel_params(min_dist, spread)
    assert isinstance(a, float) and isinstance(b, float)
    expected_a, expected_b = UMAP_AB[spread, min_dist]
    assert a == pytest.approx(expected_a, abs=0.01)
    assert b == pytest.approx(expected_b, abs=0.01)


def test_kernel_params_default_spread_is_one():
    assert kernel_params(0.1) == pytest.approx(kernel_params(0.1, 1.0))
    a, b = kernel_params(0.1)
    assert a == pytest.approx(1.577, abs=0.01)
    assert b == pytest.approx(0.895, abs=0.01)


@pytest.mark.parametrize(("min_dist", "spread"), [(0.1, 2.0), (0.3, 0.5), (0.0, 3.0)])
def test_spread_only_rescales_the_kernel(min_dist, spread):
    """1 / (1 + a (d / spread)^(2b)) at (min_dist / spread, 1) is the kernel at
    (min_dist, spread): a scales by spread^(-2b), b stays."""
    a, b = kernel_params(min_dist, spread)
    a_unit, b_unit = kernel_params(min_dist / spread, 1.0)
    assert b == pytest.approx(b_unit, rel=1e-4)
    assert a == pytest.approx(a_unit * spread ** (-2 * b_unit), rel=1e-4)


@pytest.mark.parametrize("spread", [0.01, 0.05, 0.1, 100.0])
def test_kernel_params_fit_the_curve_at_small_and_large_spreads(spread):
    """Fitted directly, spread <= 0.1 ended at a < 0 or b < 0 (a NaN loss or an
    edge probability growing with distance)."""
    min_dist = 0.1 * spread
    a, b = kernel_params(min_dist, spread)
    assert a > 0 and b == pytest.approx(kernel_params(0.1)[1], rel=1e-6)
    x = np.linspace(0, 3 * spread, 300)
    target = np.where(x < min_dist, 1.0, np.exp(-(x - min_dist) / spread))
    assert np.abs(1 / (1 + a * x ** (2 * b)) - target).max() < 0.1


@pytest.mark.parametrize("spread", [1e-200, 1e-320])
def test_a_spread_too_far_from_one_is_a_value_error(spread):
    """a = a_1 * spread^(-2b) overflowed to inf, and the fit then blamed the
    learning rate for its NaN loss."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy overflow warning first
        with pytest.raises(ValueError, match=r"spread=.* too far from 1"):
            kernel_params(0.0, spread)


def test_kernel_params_are_monotone_in_min_dist():
    params = np.array([kernel_params(m) for m in (0.01, 0.1, 0.3, 0.6, 0.9)])
    assert np.all(np.diff(params[:, 0]) < 0)  # a decreases
    assert np.all(np.diff(params[:, 1]) > 0)  # b increases


# ------------------------------------------------------------- neighbor_graph


def _sklearn_neighbors(X, k):
    idx = NearestNeighbors(n_neighbors=k + 1).fit(X).kneighbors(X)[1]
    return [set(row) - {i} for i, row in enumerate(idx)]


@pytest.mark.parametrize("k", [1, 5, 12])
def test_neighbor_graph_matches_sklearn(k):
    X = np.random.default_rng(0).normal(size=(120, 5))
    graph = neighbor_graph(X, k)
    assert graph.shape == (120, k)
    assert graph.dtype == np.int64
    assert not np.any(graph == np.arange(120)[:, None])
    for i, (row, expected) in enumerate(zip(graph, _sklearn_neighbors(X, k))):
        # sklearn asked for k + 1 finds self and k others (no ties in random data).
        assert len(expected) == k
        assert len(set(row)) == k
        assert set(row) == expected, i


@pytest.mark.parametrize("block_entries", [2**28, 7 * 120])
def test_brute_force_neighbors_match_sklearn_in_blocks(monkeypatch, block_entries):
    """The device search (run here on the CPU), in one block and in blocks of 7 rows."""
    monkeypatch.setattr(neighbors_module, "_BLOCK_ENTRIES", block_entries)
    X = np.random.default_rng(0).normal(size=(120, 5))
    found = brute_force_neighbors(X, 6, torch.device("cpu"))
    expected = NearestNeighbors(n_neighbors=6).fit(X).kneighbors(X)[1]
    np.testing.assert_array_equal(found, expected)


@pytest.mark.parametrize("gather_entries", [2**24, 6 * 5 * 4])
def test_brute_force_distances_match_sklearn_in_blocks(monkeypatch, gather_entries):
    monkeypatch.setattr(neighbors_module, "_GATHER_ENTRIES", gather_entries)
    X = np.random.default_rng(0).normal(size=(90, 5))
    found, distances = brute_force_neighbors(X, 6, torch.device("cpu"), return_distance=True)
    expected_distances, expected = NearestNeighbors(n_neighbors=6).fit(X).kneighbors(X)
    np.testing.assert_array_equal(found, expected)
    assert distances.dtype == np.float64
    np.testing.assert_allclose(distances, expected_distances, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("n", [50, pytest.param(25_000, marks=pytest.mark.slow)])
def test_neighbor_graph_returns_the_distances_to_the_neighbours(n):
    """Both the exact search and, above 20,000 rows, NN-descent where pynndescent
    is installed (its first call compiles for about a minute)."""
    X = np.random.default_rng(2).normal(size=(n, 4))
    indices, distances = neighbor_graph(X, 5, random_state=0, return_distance=True)
    np.testing.assert_array_equal(indices, neighbor_graph(X, 5, random_state=0))
    assert distances.shape == (n, 5) and distances.dtype == np.float64
    measured = np.linalg.norm(X[indices] - X[:, None], axis=-1)
    np.testing.assert_allclose(distances, measured, rtol=1e-5)
    assert np.all(np.diff(distances, axis=1) >= 0)


def test_neighbor_graph_is_sorted_by_distance():
    X = np.random.default_rng(1).normal(size=(60, 3))
    graph = neighbor_graph(X, 6)
    dist = np.linalg.norm(X[graph] - X[:, None], axis=-1)
    assert np.all(np.diff(dist, axis=1) >= 0)
    # and they are the nearest: every other row is at least as far as the k-th neighbour
    full = np.linalg.norm(X[:, None] - X[None], axis=-1)
    np.fill_diagonal(full, np.inf)
    np.testing.assert_allclose(np.sort(full, axis=1)[:, :6], dist, rtol=1e-12)


def test_neighbor_graph_excludes_self_with_duplicate_rows():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(40, 3)) * 10
    X[[3, 17, 29]] = X[3]  # three identical rows
    X[[5, 8]] = X[5]  # and a pair
    graph = neighbor_graph(X, 2)
    assert not np.any(graph == np.arange(40)[:, None])
    for i in (3, 17, 29):
        assert set(graph[i]) == {3, 17, 29} - {i}
    assert graph[5, 0] == 8 and graph[8, 0] == 5


def test_neighbor_graph_excludes_self_when_many_duplicates():
    """Five copies with k = 2: self may be pushed beyond the k + 1 returned; still excluded."""
    X = np.vstack([np.zeros((5, 2)), np.random.default_rng(3).normal(size=(10, 2)) + 5])
    graph = neighbor_graph(X, 2)
    for i in range(5):
        assert i not in graph[i]
        assert set(graph[i]) <= set(range(5))


@pytest.mark.parametrize("n", [2, 5, 9])
def test_neighbor_graph_caps_n_neighbors(n):
    X = np.random.default_rng(4).normal(size=(n, 3))
    graph = neighbor_graph(X, 50)
    assert graph.shape == (n, n - 1)
    for i, row in enumerate(graph):
        assert set(row) == set(range(n)) - {i}


def test_neighbor_graph_single_row_is_empty():
    graph = neighbor_graph(np.ones((1, 3)), 5)
    assert graph.shape == (1, 0)
    assert graph.dtype == np.int64


@pytest.mark.parametrize("fmt", ["csr", "csc", "coo"])
def test_neighbor_graph_accepts_sparse_input(fmt):
    dense = sp.random(80, 20, density=0.3, random_state=5, format="csr").toarray()
    graph = neighbor_graph(sp.csr_matrix(dense).asformat(fmt), 4)
    expected = neighbor_graph(dense, 4)
    assert graph.shape == (80, 4)
    for row, other in zip(graph, expected):
        assert set(row) == set(other)


def _metric_data(metric):
    """Rows without ties: continuous for most metrics, genotype-like counts in
    {0, 1, 2} (200 of them) for the metrics that count differences."""
    rng = np.random.default_rng(3)
    if metric in ("hamming", "jaccard"):
        return rng.binomial(2, 0.3, size=(100, 200)).astype(float)
    return rng.gamma(2.0, size=(100, 6))  # positive, as canberra and braycurtis expect


def test_exact_neighbours_break_ties_by_index_whatever_the_threads():
    """Whole-number data has many rows at equal distances; scikit-learn orders
    them by how its threads split the work, the graph by index."""
    from threadpoolctl import threadpool_limits

    X = np.random.default_rng(0).integers(0, 3, size=(300, 6)).astype(float)
    found = []
    for threads in (1, 2):
        with threadpool_limits(threads):
            found.append(neighbor_graph(X, 10, return_distance=True))
    np.testing.assert_array_equal(found[0][0], found[1][0])
    indices, distances = found[0]
    steps = np.diff(distances, axis=1)
    assert np.all(steps >= 0)
    assert np.all(np.diff(indices, axis=1)[steps == 0] > 0)  # ties in index order
    # No row at the k-th distance is left out for one of a larger index.
    full = np.sqrt(((X[:, None] - X[None]) ** 2).sum(-1))
    np.fill_diagonal(full, np.inf)
    for row, (near, far) in enumerate(zip(indices, distances)):
        at_kth = far == far[-1]
        tied = np.flatnonzero(np.isclose(full[row], far[-1], rtol=1e-12, atol=1e-12))
        assert set(near[at_kth]) == set(tied[: at_kth.sum()])


@pytest.mark.parametrize("metric", ["euclidean", "manhattan", "chebyshev"])
def test_identical_rows_are_searched_once_with_the_same_graph(metric):
    """Groups of copies go through one search of the distinct rows; the graph is
    the one the search of every row gives (ties by index), copies first."""
    rng = np.random.default_rng(0)
    X = rng.integers(0, 3, size=(600, 4)).astype(float)  # 81 distinct rows
    X[:200] = X[7]
    for k in (1, 5, 40):
        expected = neighbors_module._kneighbors_ties_by_index(
            neighbors_module._exact_search(X, k, metric, 1), X, k
        )
        found = neighbors_module._exact_neighbors(X, k, metric, 1)
        np.testing.assert_array_equal(found[0], expected[0])
        np.testing.assert_array_equal(found[1], expected[1])


def test_half_identical_rows_take_no_quadratic_search():
    """Each copy asked for as many candidates as it had copies: 10,000 rows,
    half one row, took 21 to 32 s (scikit-learn's search alone: 1.5 s)."""
    import time

    X = np.random.default_rng(0).normal(size=(10_000, 10))
    X[:5000] = X[0]
    start = time.perf_counter()
    indices = neighbor_graph(X, 15, n_jobs=1)
    assert time.perf_counter() - start < 10.0
    np.testing.assert_array_equal(indices[0], np.arange(1, 16))  # copies, by index
    np.testing.assert_array_equal(indices[4999], np.arange(15))


def test_sparse_cosine_puts_rows_of_zeros_together_as_dense_does():
    X = np.random.default_rng(0).poisson(0.5, (300, 30)).astype(float)
    X[100:120] = 0
    for rows in (X, sp.csr_matrix(X)):
        indices, distances = neighbor_graph(rows, 5, return_distance=True, metric="cosine")
        np.testing.assert_array_equal(indices[100], [101, 102, 103, 104, 105])
        np.testing.assert_array_equal(distances[100], 0.0)
        assert not np.isin(indices[:100], np.arange(100, 120)).any()  # 1 from other rows


def test_neighbor_graph_takes_a_dataframe():
    pd = pytest.importorskip("pandas")
    X = np.array([[0.0, 1], [0, 1], [2, 3], [4, 5], [1, 1]])
    frame = pd.DataFrame(X, columns=["a", "b"])
    for metric in ("euclidean", "braycurtis"):
        np.testing.assert_array_equal(
            neighbor_graph(frame, 2, metric=metric), neighbor_graph(X, 2, metric=metric)
        )


def test_braycurtis_on_negative_values_warns():
    X = np.random.default_rng(0).normal(size=(50, 4))
    with pytest.warns(UserWarning, match="braycurtis.*non-negative"):
        neighbor_graph(X, 5, metric="braycurtis")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        neighbor_graph(np.abs(X), 5, metric="braycurtis")


@pytest.mark.parametrize("metric", [m for m in METRICS if m != "hellinger"])
def test_neighbor_graph_with_a_metric_matches_sklearn(metric):
    X = _metric_data(metric)
    indices, distances = neighbor_graph(X, 5, return_distance=True, metric=metric)
    search = NearestNeighbors(n_neighbors=5, metric=metric)
    # kneighbors() without X: each row's 5 nearest other rows
    expected_distances, expected = search.fit(X != 0 if metric == "jaccard" else X).kneighbors()
    assert not np.any(indices == np.arange(len(X))[:, None])
    np.testing.assert_allclose(distances, expected_distances, rtol=1e-10, atol=1e-12)
    # The sets may differ only among rows tied at the k-th distance.
    for row, other, near in zip(indices, expected, distances):
        assert set(row[near < near[-1]]) <= set(other)


@pytest.mark.slow
@pytest.mark.parametrize("metric", ["manhattan", "cosine"])
def test_neighbor_graph_with_a_metric_above_the_exact_limit(metric):
    """NN-descent where pynndescent is installed (else the exact search): the
    distances it reports are the metric's, nearest first."""
    X = np.random.default_rng(2).normal(size=(25_000, 4))
    indices, distances = neighbor_graph(X, 5, random_state=0, return_distance=True, metric=metric)
    if metric == "manhattan":
        measured = np.abs(X[indices] - X[:, None]).sum(-1)
    else:
        unit = X / np.linalg.norm(X, axis=1, keepdims=True)
        measured = 1.0 - np.einsum("ikf,if->ik", unit[indices], unit)
    np.testing.assert_allclose(distances, measured, rtol=1e-4, atol=1e-6)
    assert np.all(np.diff(distances, axis=1) >= 0)


def test_metrics_find_different_neighbours():
    X = _metric_data("euclidean")
    graphs = {m: neighbor_graph(X, 5, metric=m) for m in ("euclidean", "cosine", "chebyshev")}
    assert not np.array_equal(graphs["euclidean"], graphs["cosine"])
    assert not np.array_equal(graphs["euclidean"], graphs["chebyshev"])


@pytest.mark.parametrize("metric", ["cosine", "correlation"])
def test_unit_norm_metrics_rank_as_euclidean_on_unit_rows(metric):
    """Cosine and correlation are searched (by every search, the CUDA one
    included, run here on the CPU) as Euclidean distances between unit rows."""
    X = np.random.default_rng(4).normal(size=(150, 7))
    unit = unit_norm_rows(X, centre=metric == "correlation")
    found, distances = brute_force_neighbors(unit, 6, torch.device("cpu"), return_distance=True)
    expected_distances, expected = (
        NearestNeighbors(n_neighbors=6, metric=metric).fit(X).kneighbors(X)
    )
    np.testing.assert_array_equal(found, expected)
    np.testing.assert_allclose(distances**2 / 2, expected_distances, atol=1e-6)


def test_cosine_puts_a_zero_row_at_distance_one():
    X = np.random.default_rng(4).normal(size=(60, 5))
    X[10] = 0.0
    indices, distances = neighbor_graph(X, 59, return_distance=True, metric="cosine")
    np.testing.assert_allclose(distances[10], 1.0)
    np.testing.assert_allclose(distances[indices == 10], 1.0)  # from every other row


def test_unit_norm_rows():
    X = np.array([[3.0, 4.0], [0.0, 0.0], [1.0, 3.0]])
    np.testing.assert_allclose(
        unit_norm_rows(X), [[0.6, 0.8, 0], [0, 0, 1], [0.1**0.5, 0.9**0.5, 0]]
    )
    centred = unit_norm_rows(X, centre=True)
    np.testing.assert_allclose(centred[[0, 2]], [[-(0.5**0.5), 0.5**0.5, 0]] * 2)


def test_neighbor_graph_with_cosine_accepts_sparse_input():
    dense = sp.random(80, 20, density=0.3, random_state=5, format="csr").toarray()
    dense[dense.sum(1) == 0, 0] = 1.0
    graph = neighbor_graph(sp.csr_matrix(dense), 4, metric="cosine")
    np.testing.assert_array_equal(graph, neighbor_graph(dense, 4, metric="cosine"))


def _hellinger(p, q):
    """UMAP's Hellinger distance (umap.distances.hellinger), written out."""
    if p.sum() == 0 and q.sum() == 0:
        return 0.0
    if p.sum() == 0 or q.sum() == 0:
        return 1.0
    return np.sqrt(max(1.0 - np.sqrt(p * q).sum() / np.sqrt(p.sum() * q.sum()), 0.0))


@pytest.mark.parametrize("sparse_input", [False, True])
def test_hellinger_neighbours_and_distances_are_umaps(sparse_input):
    X = np.random.default_rng(6).poisson(1.0, size=(120, 12)).astype(float)
    X[[4, 9]] = 0.0  # rows of zeros: 0 apart, 1 from every other row
    expected_distances, expected = (
        NearestNeighbors(n_neighbors=6, metric=_hellinger, algorithm="brute").fit(X).kneighbors()
    )
    data = sp.csr_matrix(X) if sparse_input else X
    indices, distances = neighbor_graph(data, 6, return_distance=True, metric="hellinger")
    np.testing.assert_allclose(distances, expected_distances, atol=1e-12)
    # The sets may differ only among rows tied at the k-th distance.
    for row, other, near in zip(indices, expected, distances):
        assert set(row[near < near[-1]]) <= set(other)
    assert distances[4, 0] == 0.0 and indices[4, 0] == 9
    with pytest.raises(ValueError, match="needs non-negative X"):
        neighbor_graph(-data, 6, metric="hellinger")


@pytest.mark.parametrize(("alias", "metric"), [("l2", "euclidean"), ("l1", "manhattan")])
def test_metric_aliases_find_the_same_neighbours(alias, metric):
    X = _metric_data("euclidean")
    found = neighbor_graph(X, 5, return_distance=True, metric=alias)
    expected = neighbor_graph(X, 5, return_distance=True, metric=metric)
    for a, b in zip(found, expected):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("sparse_input", [False, True])
def test_sqeuclidean_has_the_euclidean_neighbours_at_squared_distances(sparse_input):
    X = _metric_data("euclidean")
    data = sp.csr_matrix(X) if sparse_input else X
    indices, distances = neighbor_graph(data, 5, return_distance=True, metric="sqeuclidean")
    expected, expected_distances = neighbor_graph(X, 5, return_distance=True)
    np.testing.assert_array_equal(indices, expected)
    np.testing.assert_allclose(distances, expected_distances**2, rtol=1e-10)


def test_neighbor_graph_rejects_unknown_and_sparse_only_metrics():
    X = np.random.default_rng(0).normal(size=(20, 3))
    with pytest.raises(ValueError, match=r"metric must be one of.*'minkowsky'"):
        neighbor_graph(X, 3, metric="minkowsky")
    with pytest.raises(ValueError, match="metric='correlation' needs dense X"):
        neighbor_graph(sp.csr_matrix(X), 3, metric="correlation")


# ----------------------------------------------------------- membership_graph


def _directed_strengths(X, indices):
    """UMAP's smooth_knn_dist, one row at a time with a scalar root finder."""
    from scipy.optimize import brentq

    def gap(sigma, excess):
        return np.exp(-excess / sigma).sum() - np.log2(indices.shape[1] + 1)

    out = np.zeros(indices.shape)
    for i, row in enumerate(indices):
        d = np.linalg.norm(X[row] - X[i], axis=1)
        excess = np.maximum(d - d[d > 0].min(), 0.0)
        sigma = brentq(gap, 1e-12, 1e6, args=(excess,), xtol=1e-14)
        out[i] = np.exp(-excess / sigma)
    return out


def _random_points(n=60, p=5, seed=8):
    return np.random.default_rng(seed).normal(size=(n, p))


def _membership_graph(X, k):
    return membership_graph(*neighbor_graph(X, k, return_distance=True))


def test_membership_graph_matches_a_row_by_row_computation():
    X = _random_points()
    indices = neighbor_graph(X, 6)
    strengths = _directed_strengths(X, indices)
    n = len(X)
    directed = sp.csr_matrix(
        (strengths.ravel(), indices.ravel(), np.arange(0, 6 * n + 1, 6)), shape=(n, n)
    ).toarray()
    expected = directed + directed.T - directed * directed.T
    np.testing.assert_allclose(_membership_graph(X, 6).toarray(), expected, atol=1e-9)


def test_knn_adjacency_has_a_unit_edge_to_each_neighbour():
    indices = np.array([[1, 2], [2, 0], [0, 1], [0, 2]])
    graph = knn_adjacency(indices)
    expected = np.array([[0, 1, 1, 0], [1, 0, 1, 0], [1, 1, 0, 0], [1, 0, 1, 0]])
    np.testing.assert_array_equal(graph.toarray(), expected)


def test_knn_adjacency_without_neighbours_is_empty():
    graph = knn_adjacency(np.empty((1, 0), dtype=np.int64))
    assert graph.shape == (1, 1) and graph.nnz == 0


def _has_mutual_neighbour(indices):
    directed = knn_adjacency(indices)
    return directed.multiply(directed.T).tocsr().getnnz(axis=1) > 0


def test_mutual_adjacency_keeps_two_way_edges_and_rescues_lonely_rows():
    # 0, 1, 2 count each other; 3 counts 0 and 1, and nobody counts 3.
    indices = np.array([[1, 2], [2, 0], [0, 1], [0, 1]])
    expected = np.array([[0, 1, 1, 0], [1, 0, 1, 0], [1, 1, 0, 0], [1, 1, 0, 0]])
    np.testing.assert_array_equal(mutual_adjacency(indices).toarray(), expected)


def test_mutual_adjacency_drops_one_way_edges_into_a_hub():
    # Two clusters in 50 dimensions and, between them, a point (like a row of
    # mean-imputed values) nearer to every other point than they are to each
    # other: it is among the neighbours of nearly every row, and counts 10.
    rng = np.random.default_rng(0)
    centre = np.full(50, 5 / np.sqrt(50))
    clusters = np.vstack([rng.normal(-centre, 1.0, (30, 50)), rng.normal(centre, 1.0, (30, 50))])
    X = np.vstack([np.zeros(50), clusters])
    indices = neighbor_graph(X, 10)
    assert np.bincount(indices.ravel())[0] >= 50
    graph = mutual_adjacency(indices)
    counts_hub = (indices == 0).any(axis=1)
    counted_by_hub = np.isin(np.arange(61), indices[0])
    # an edge into the hub survives when it is mutual, or when its row has no mutual edge
    expected = counts_hub & (counted_by_hub | ~_has_mutual_neighbour(indices))
    np.testing.assert_array_equal(graph[:, [0]].toarray().ravel() > 0, expected)
    assert expected.sum() < 20  # of the 50+ rows that count the hub
    assert (graph - knn_adjacency(indices)).max() <= 0  # every edge is a kNN edge of its row
    assert graph.getnnz(axis=1).min() >= 1  # no row left without an edge


def test_mutual_adjacency_is_symmetric_with_unit_weights():
    X = _random_points(80, 3)
    indices = neighbor_graph(X, 10)
    graph = mutual_adjacency(indices)
    paired = _has_mutual_neighbour(indices)
    mutual = graph[paired][:, paired]
    assert abs(mutual - mutual.T).max() == 0
    assert set(graph.data) == {1.0} and graph.diagonal().max() == 0.0


def test_mutual_adjacency_without_neighbours_is_empty():
    graph = mutual_adjacency(np.empty((2, 0), dtype=np.int64))
    assert graph.shape == (2, 2) and graph.nnz == 0


def test_mutual_edge_weights_count_mutual_neighbours_at_umaps_mean_strength():
    # 0, 1, 2 count each other (two mutual neighbours each); 3 counts 0 and 1,
    # nobody counts 3: it weighs as one edge. Each edge: log2(k + 1) / k.
    indices = np.array([[1, 2], [2, 0], [0, 1], [0, 1]])
    expected = np.array([2, 2, 2, 1]) * np.log2(3) / 2
    np.testing.assert_allclose(mutual_edge_weights(indices), expected)


def test_mutual_edge_weights_match_the_rows_of_the_mutual_graph():
    indices = neighbor_graph(_random_points(80, 3), 10)
    paired = _has_mutual_neighbour(indices)
    counts = mutual_adjacency(indices).getnnz(axis=1)
    weights = mutual_edge_weights(indices) * 10 / np.log2(11)
    np.testing.assert_allclose(weights[paired], counts[paired])
    np.testing.assert_allclose(weights[~paired], 1.0)


def test_mutual_edge_weights_grow_as_log_k():
    # Uniform points: about the same share of neighbours is mutual at any k, so
    # the mean weight follows log2(k + 1) (x 2.2 from k = 5 to 50), not k (x 10).
    X = _random_points(500, 2)
    means = [mutual_edge_weights(neighbor_graph(X, k)).mean() for k in (5, 15, 50)]
    assert means[0] < means[1] < means[2] < 2.5 * means[0]
    assert means[2] / means[0] == pytest.approx(np.log2(51) / np.log2(6), rel=0.15)


def test_mutual_edge_weights_without_neighbours_are_finite():
    weights = mutual_edge_weights(np.empty((2, 0), dtype=np.int64))
    np.testing.assert_array_equal(weights, [1.0, 1.0])


def test_membership_graph_is_symmetric_with_strengths_in_unit_interval():
    X = _random_points(80, 3)
    graph = _membership_graph(X, 10)
    assert sp.isspmatrix_csr(graph) and graph.shape == (80, 80)
    assert abs(graph - graph.T).max() < 1e-12
    assert graph.data.min() > 0 and graph.data.max() <= 1.0
    assert graph.diagonal().max() == 0.0
    # each row's nearest neighbour has full strength
    nearest = neighbor_graph(X, 1)[:, 0]
    np.testing.assert_allclose(graph[np.arange(80), nearest].A1, 1.0)


def test_membership_graph_matches_umap():
    umap_ = pytest.importorskip("umap.umap_")
    X = _random_points(100, 4, seed=9)
    indices = neighbor_graph(X, 7)
    with_self = np.hstack([np.arange(100)[:, None], indices])
    dists = np.linalg.norm(X[with_self] - X[:, None], axis=2)
    expected, _, _ = umap_.fuzzy_simplicial_set(
        X, 8, 0, "euclidean", knn_indices=with_self, knn_dists=dists.astype(np.float32)
    )
    got = _membership_graph(X, 7)
    np.testing.assert_allclose(got.toarray(), expected.toarray(), atol=1e-4)


def test_membership_graph_of_sparse_input_equals_dense():
    dense = sp.random(50, 12, density=0.4, random_state=2, format="csr").toarray()
    got = _membership_graph(sp.csr_matrix(dense), 5).toarray()
    np.testing.assert_allclose(got, _membership_graph(dense, 5).toarray())


def test_membership_graph_of_duplicate_rows_is_finite():
    X = np.repeat(np.eye(3), 4, axis=0)  # 3 points, each 4 times
    graph = _membership_graph(X, 5)
    assert np.all(np.isfinite(graph.data)) and graph.data.min() > 0


def test_membership_graph_without_neighbours_is_empty():
    graph = _membership_graph(np.ones((1, 3)), 5)
    assert graph.shape == (1, 1) and graph.nnz == 0


# -------------------------------------------------------------- edge kernel


def _edge_formula(z, zn, zneg, a, b, scale):
    """log p(e = 1) + sum log p(e = 0) with p = 1 / (1 + a (d^2 + 1e-3)^b), d = dist / scale."""

    def p_edge(u, v):
        d2 = np.sum((u - v) ** 2, axis=-1) / scale**2
        return 1.0 / (1.0 + a * (d2 + 1e-3) ** b)

    return np.log(p_edge(z, zn)) + np.log(1.0 - p_edge(z[:, None], zneg)).sum(-1)


@pytest.mark.parametrize(("a", "b", "scale"), [(1.577, 0.895, 1.0), (0.58, 1.33, 0.2)])
def test_edge_log_likelihood_matches_the_formula(a, b, scale):
    rng = np.random.default_rng(6)
    z, zn = rng.normal(size=(2, 25, 2))
    zn = z + 0.3 * zn
    zneg = rng.normal(size=(25, 5, 2)) * 2
    got = edge_log_likelihood(
        torch.from_numpy(z), torch.from_numpy(zn), torch.from_numpy(zneg), a, b, scale
    )
    assert got.shape == (25,)
    np.testing.assert_allclose(got.numpy(), _edge_formula(z, zn, zneg, a, b, scale), rtol=1e-10)


def test_edge_log_likelihood_prefers_close_neighbours_and_far_negatives():
    a, b = kernel_params(0.1)
    z = torch.zeros(1, 2)
    near, far = torch.tensor([[0.05, 0.0]]), torch.tensor([[3.0, 0.0]])
    neg_near, neg_far = near[:, None], far[:, None]
    assert edge_log_likelihood(z, near, neg_far, a, b, 1.0) > edge_log_likelihood(
        z, far, neg_far, a, b, 1.0
    )
    assert edge_log_likelihood(z, near, neg_far, a, b, 1.0) > edge_log_likelihood(
        z, near, neg_near, a, b, 1.0
    )


def test_edge_log_likelihood_is_finite_for_coincident_points():
    a, b = kernel_params(0.1)
    z = torch.zeros(3, 2, requires_grad=True)
    value = edge_log_likelihood(z, z, z[:, None].expand(3, 4, 2), a, b, 0.2)
    assert torch.isfinite(value).all()
    value.sum().backward()
    assert torch.isfinite(z.grad).all()


def test_edge_model_uses_umap_kernel_params():
    model = EdgeModel(0.25, 0.2, 5)
    assert (model.a, model.b) == pytest.approx(UMAP_AB[1.0, 0.25], abs=0.01)
    assert model.scale == 0.2
    assert model.n_negatives == 5


def test_edge_model_log_likelihood_shape_finiteness_and_gradient():
    model = EdgeModel(0.1, 0.5, 4)
    gen = torch.Generator().manual_seed(0)
    z = torch.randn(32, 2, generator=gen, requires_grad=True)
    zn = (z.detach() + 0.1 * torch.randn(32, 2, generator=gen)).requires_grad_(True)
    value = model.log_likelihood(z, zn, torch.Generator().manual_seed(1))
    assert value.shape == (32,)
    assert torch.isfinite(value).all()
    assert (value < 0).all()
    value.sum().backward()
    assert z.grad.abs().sum() > 0 and zn.grad.abs().sum() > 0


def test_gather_rows_backward_is_reproducible_across_threads():
    """Repeated indices into a pool of 8,192 rows (a batch of 4,096 and its
    neighbours): the gradient is bitwise the same on every run with the
    threads torch has, and equals one thread's, in index order. Advanced
    indexing gave six different gradients in six runs on two threads."""
    gen = torch.Generator().manual_seed(0)
    pool = torch.randn(8192, 2, generator=gen)
    index = torch.randint(8192, (4096, 5), generator=gen)
    weights = torch.randn(4096, 5, 2, generator=gen)

    def gradient(fn):
        leaf = pool.clone().requires_grad_(True)
        (fn(leaf, index) * weights).sum().backward()
        return leaf.grad

    grads = [gradient(gather_rows) for _ in range(4)]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        serial = gradient(lambda rows, i: rows[i])
    finally:
        torch.set_num_threads(threads)
    for grad in grads:
        assert torch.equal(grad, serial)
    np.testing.assert_array_equal(gather_rows(pool, index).numpy(), pool[index].numpy())


def test_seeded_fit_at_batch_4096_is_reproducible():
    """A seeded CPU fit whose batch draws its negatives from 8,192 rows gives
    the same embedding twice (it did not before gather_rows)."""
    X = np.random.default_rng(0).normal(size=(4200, 5))
    params = dict(
        n_epochs=2, batch_size=4096, hidden_dims=(16,), n_steps=2, random_state=0, n_neighbors=5
    )
    first = DDVIEmbedding(**params).fit_transform(X)
    second = DDVIEmbedding(**params).fit_transform(X)
    np.testing.assert_array_equal(first, second)


def test_edge_model_negatives_come_from_the_batch():
    """Reproduce the negatives with the same generator and compare with the formula."""
    model = EdgeModel(0.1, 0.5, 3)
    gen = torch.Generator().manual_seed(0)
    z = torch.randn(10, 2, generator=gen, dtype=torch.float64)
    zn = torch.randn(10, 2, generator=gen, dtype=torch.float64)
    value = model.log_likelihood(z, zn, torch.Generator().manual_seed(5))
    pool = torch.cat([z, zn])
    pick = torch.randint(20, (10, 3), generator=torch.Generator().manual_seed(5))
    expected = _edge_formula(
        z.numpy(), zn.numpy(), pool[pick].numpy(), model.a, model.b, model.scale
    )
    np.testing.assert_allclose(value.numpy(), expected, rtol=1e-10)
    again = model.log_likelihood(z, zn, torch.Generator().manual_seed(5))
    assert torch.equal(value, again)


@pytest.mark.parametrize("edge_weights", ["uniform", "fuzzy", "mutual"])
def test_observed_graph_weighs_rows_only_for_mutual_edges(edge_weights):
    X = _random_points(80, 3)
    graph, weights, non_edges = observed_graph(X, 10, edge_weights, 0, torch.device("cpu"))
    assert non_edges is None
    indices = neighbor_graph(X, 10)
    if edge_weights == "uniform":
        np.testing.assert_array_equal(graph, indices)
    elif edge_weights == "fuzzy":
        expected = membership_graph(*neighbor_graph(X, 10, return_distance=True))
        assert abs(graph - expected).max() == 0
    else:
        assert abs(graph - mutual_adjacency(indices)).max() == 0
        np.testing.assert_allclose(weights, mutual_edge_weights(indices))
        assert len(np.unique(weights)) > 1
    assert (weights is None) == (edge_weights != "mutual")


@pytest.mark.parametrize("edge_weights", ["uniform", "fuzzy", "mutual"])
def test_observed_graph_with_labels_splits_off_the_cross_class_edges(edge_weights):
    X = _random_points(80, 3)
    labels = np.random.default_rng(1).integers(-1, 3, len(X))
    plain, _, _ = observed_graph(X, 10, edge_weights, 0, torch.device("cpu"))
    graph, weights, non_edges = observed_graph(X, 10, edge_weights, 0, torch.device("cpu"), labels)
    kept, crossing = split_cross_class_edges(plain, labels)
    assert abs(graph - kept).max() == 0 and abs(non_edges - crossing).max() == 0
    assert non_edges.nnz > 0
    assert weights is None


def _small_model(p):
    """A diffusion model with the graph term, ``p`` features, for the graph-term tests."""
    return build_model(
        n_features=p,
        prior=GaussianPrior(2),
        posterior="diffusion",
        n_steps=3,
        hidden_dims=(8,),
        likelihood="gaussian",
        sleep="none",
        mean=np.zeros(p),
        variance=np.ones(p),
        seed=0,
        min_dist=0.1,
    )


def test_row_edge_weights_weigh_each_rows_graph_term():
    n, p = 6, 4
    model = _small_model(p)
    x, x_neighbor = torch.randn(n, p), torch.randn(n, p)
    z = model.posterior.rsample(model.features(x), torch.zeros(n, model.posterior.noise_dim))[0]

    def graph_term(edge_weight):  # the same neighbour noise and negatives each time
        return model._graph(z, x_neighbor, torch.Generator().manual_seed(0), edge_weight)

    unweighted = graph_term(None)
    torch.testing.assert_close(graph_term(torch.ones(n)), unweighted)
    torch.testing.assert_close(graph_term(torch.full((n,), 2.0)), 2 * unweighted)
    # Linear in the weights: each row's term counts by its own weight.
    weight = torch.tensor([0.0, 1.0, 2.0, 0.5, 3.0, 1.0])
    per_row = torch.stack([graph_term(torch.eye(n)[i]) for i in range(n)])
    torch.testing.assert_close(graph_term(weight), (weight * per_row).sum())
    torch.testing.assert_close(per_row.sum(), unweighted)


def test_split_cross_class_edges_of_knn_indices():
    indices = np.array([[1, 2], [0, 3], [3, 0], [2, 1]])
    labels = np.array([0, 0, 1, -1])
    kept, crossing = split_cross_class_edges(indices, labels)
    assert sorted(zip(*kept.nonzero())) == [(0, 1), (1, 0), (1, 3), (2, 3), (3, 1), (3, 2)]
    assert sorted(zip(*crossing.nonzero())) == [(0, 2), (2, 0)]
    assert abs(kept + crossing - knn_adjacency(indices)).max() == 0


def test_split_cross_class_edges_keeps_weights_and_unlabelled_ends():
    X = _random_points(50, 3)
    graph = _membership_graph(X, 8)
    labels = np.random.default_rng(0).integers(-1, 3, len(X))
    kept, crossing = split_cross_class_edges(graph, labels)
    assert abs(kept + crossing - graph).max() == 0
    for part, across in ((kept, False), (crossing, True)):
        rows, cols = part.nonzero()
        a, b = labels[rows], labels[cols]
        assert np.array_equal((a >= 0) & (b >= 0) & (a != b), np.full(len(rows), across))
    assert crossing.nnz > 0
    # Without labels (all -1) nothing crosses.
    kept, crossing = split_cross_class_edges(graph, np.full(len(X), -1))
    assert crossing.nnz == 0 and abs(kept - graph).max() == 0


def test_non_edge_log_likelihood_matches_the_formula_and_pushes_apart():
    model = EdgeModel(0.1, 0.5, 3)
    z = torch.tensor([[0.0, 0.0], [1.0, 1.0]], dtype=torch.float64)
    other = torch.tensor([[0.3, 0.0], [1.0, 3.0]], dtype=torch.float64, requires_grad=True)
    value = model.non_edge_log_likelihood(z, other)
    d2 = ((z - other.detach()) ** 2).sum(-1).numpy() / 0.5**2
    expected = np.log(1.0 - 1.0 / (1.0 + model.a * (d2 + 1e-3) ** model.b))
    np.testing.assert_allclose(value.detach().numpy(), expected, rtol=1e-10)
    value.sum().backward()
    # Ascending the log-likelihood moves each row's non-neighbour away from it.
    assert ((other.grad * (other.detach() - z)).sum(-1) > 0).all()


def test_non_edges_add_their_term_only_to_the_rows_that_have_one():
    n, p = 6, 4
    model = _small_model(p)
    x, x_neighbor, x_other = torch.randn(n, p), torch.randn(n, p), torch.randn(n, p)
    z = model.posterior.rsample(model.features(x), torch.zeros(n, model.posterior.noise_dim))[0]

    def graph_term(mask):
        generator = torch.Generator().manual_seed(0)
        non_edge = None if mask is None else (x_other, mask)
        return model._graph(z, x_neighbor, generator, None, non_edge)

    torch.testing.assert_close(graph_term(torch.zeros(n)), graph_term(None))
    # With every row masked in, the term adds -mean log p(e = 0) of the pairs:
    # the neighbour's draw comes first from the generator, then the other rows'.
    generator = torch.Generator().manual_seed(0)
    model._latent(x_neighbor, generator)
    model.graph.log_likelihood(z, z, generator)  # the negatives' draws
    z_other = model._latent(x_other, generator)
    far = model.graph.non_edge_log_likelihood(z, z_other)
    torch.testing.assert_close(graph_term(torch.ones(n)), graph_term(None) - far.mean())


def test_rows_pynndescent_leaves_short_are_searched_exactly():
    """pynndescent gives index -1 where it finds no neighbour (all-zero rows
    under the Jaccard distance), which crashed the graph's sparse algebra."""
    from skddvi.neighbors import _fill_missing

    X = (np.random.default_rng(0).random((200, 12)) < 0.3).astype(float)
    X[:3] = 0
    exact, exact_distances = neighbor_graph(X, 5, metric="jaccard", return_distance=True)
    # neighbor_graph drops self; _fill_missing works on the k + 1 with self.
    with_self = np.hstack([np.arange(200)[:, None], exact])
    distances = np.hstack([np.zeros((200, 1)), exact_distances])
    broken = with_self.copy()
    broken[:3, 2:] = -1
    indices, found = _fill_missing(X != 0, broken, distances, 6, "jaccard", 1)
    assert indices.min() >= 0
    np.testing.assert_array_equal(indices[3:], with_self[3:])
    for row in range(3):  # the two other all-zero rows first, at distance 0
        assert set(indices[row, :3]) == {0, 1, 2}
        np.testing.assert_array_equal(found[row, :3], 0.0)


@pytest.mark.slow
def test_jaccard_above_the_exact_limit_with_all_zero_rows_fits():
    pytest.importorskip("pynndescent")
    from skddvi import DDVIEmbedding

    X = (np.random.default_rng(0).random((25_000, 30)) < 0.3).astype(float)
    X[:3] = 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # pynndescent's warning is handled, not passed on
        Z = DDVIEmbedding(metric="jaccard", n_epochs=1, random_state=0, n_jobs=1).fit_transform(X)
    assert np.isfinite(Z).all()


def test_the_search_is_still_importable_from_skddvi_graph():
    """It moved to skddvi.neighbors; code that imported it from skddvi.graph works."""
    from skddvi import graph, neighbors

    for name in ("METRICS", "canonical_metric", "neighbor_graph", "unit_norm_rows"):
        assert getattr(graph, name) is getattr(neighbors, name)
