"""What the estimator's parameters resolve to for a given X (skddvi._resolve)."""

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA

from skddvi._resolve import graph_rows, resolve_batch_size, resolve_graph_pca, resolve_n_epochs


def test_n_epochs_none_is_chosen_from_data_size():
    assert resolve_n_epochs(7, "auto", 100) == 7
    assert resolve_n_epochs(None, "auto", 1024) == 600  # one batch an epoch: the step floor
    assert resolve_n_epochs(None, "auto", 1025) == 500  # two batches: the cap
    # Small batches give a small set enough steps at the capped 500 epochs.
    assert resolve_n_epochs(None, 64, 500) == 500
    assert resolve_n_epochs(None, 100, 100_000) == 40
    assert resolve_n_epochs(None, "auto", 6_000) == 500
    assert resolve_n_epochs(None, "auto", 8_000) == 375  # 3 million rows
    assert resolve_n_epochs(None, "auto", 10_000) == 300
    assert resolve_n_epochs(None, "auto", 20_000) == 150
    assert resolve_n_epochs(None, "auto", 70_000) == 43
    # Beyond the step floor, rows visited, not steps: the batch size does not
    # change the epochs.
    assert resolve_n_epochs(None, 64, 20_000) == 150


def test_n_epochs_none_on_cuda_sees_large_sets_twice_as_often():
    assert resolve_n_epochs(None, "auto", 70_000, cuda=True) == 80  # the CUDA floor
    assert resolve_n_epochs(None, "auto", 10**6, cuda=True) == 80
    assert resolve_n_epochs(None, "auto", 40_000, cuda=True) == 80  # 75 on the CPU
    # Below 37,500 rows the 3 million row visits already ask for 80 or more.
    for n_samples in (1797, 10_000, 20_000, 37_500):
        assert resolve_n_epochs(None, "auto", n_samples, cuda=True) == resolve_n_epochs(
            None, "auto", n_samples
        )
    assert resolve_n_epochs(5, "auto", 70_000, cuda=True) == 5


@pytest.mark.parametrize(
    ("n_samples", "expected"),
    [(500, 500), (1797, 1024), (32_767, 1024), (32_768, 2048), (70_000, 4096), (10**7, 8192)],
)
def test_auto_batch_size_on_cuda_keeps_16_steps_per_epoch(n_samples, expected):
    assert resolve_batch_size("auto", n_samples, cuda=True) == expected
    assert resolve_batch_size(300, n_samples, cuda=True) == min(300, n_samples)


@pytest.mark.parametrize(
    ("n_samples", "expected"),
    [(500, 500), (1797, 1024), (65_535, 1024), (65_536, 2048), (70_000, 2048), (10**7, 8192)],
)
def test_auto_batch_size_keeps_32_steps_per_epoch(n_samples, expected):
    assert resolve_batch_size("auto", n_samples) == expected
    assert resolve_batch_size(300, n_samples) == min(300, n_samples)


def test_graph_rows_are_the_leading_principal_components():
    X = load_digits().data
    np.testing.assert_allclose(graph_rows(X, 10, seed=0), PCA(10, random_state=0).fit_transform(X))
    assert graph_rows(X, None, seed=0) is X


def test_graph_pca_auto_takes_50_components_of_wide_data_for_euclidean_distances():
    assert resolve_graph_pca("auto", "euclidean", (1000, 101)) == 50
    assert resolve_graph_pca("auto", "euclidean", (1000, 100)) is None  # not wide
    assert resolve_graph_pca("auto", "euclidean", (50, 784)) is None  # 50 rows: all of X
    for metric in ("manhattan", "cosine", "hamming", "jaccard"):
        assert resolve_graph_pca("auto", metric, (1000, 784)) is None  # the metric chosen


def test_graph_pca_keeps_an_int_below_the_rank_bound_and_refuses_set_metrics():
    assert resolve_graph_pca(None, "euclidean", (1000, 784)) is None
    assert resolve_graph_pca(20, "cosine", (1000, 784)) == 20
    assert resolve_graph_pca(64, "euclidean", (1000, 64)) is None  # all features
    assert resolve_graph_pca(30, "euclidean", (30, 64)) is None  # as many as rows
    for metric in ("hamming", "jaccard"):
        with pytest.raises(ValueError, match=f"graph_pca=20 .* metric='{metric}'"):
            resolve_graph_pca(20, metric, (1000, 784))
