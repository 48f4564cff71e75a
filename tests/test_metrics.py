"""Tests of the embedding metrics and the GridSearchCV scorers."""

import numpy as np
import pytest
from sklearn.datasets import make_blobs
from sklearn.decomposition import PCA
from sklearn.manifold import trustworthiness as sk_trustworthiness
from sklearn.metrics import adjusted_rand_score
from sklearn.model_selection import GridSearchCV

from skddvi.metrics import (
    cluster_embedding,
    cluster_purity,
    clustering_scorer,
    knn_accuracy,
    knn_scorer,
    trustworthiness,
    trustworthiness_scorer,
)


@pytest.fixture(scope="module")
def blobs():
    """Three well-separated blobs in 5-D (centres 20 apart, unit spread)."""
    centers = np.array([[0.0] * 5, [20.0] + [0.0] * 4, [0.0, 20.0, 0.0, 0.0, 0.0]])
    X, y = make_blobs(n_samples=150, centers=centers, cluster_std=1.0, random_state=0)
    return X, y


def test_cluster_purity_hand_made_example():
    labels_true = [0, 0, 0, 1, 1, 2]
    labels_pred = [0, 0, 1, 1, 1, 1]
    # cluster 0 holds {0, 0} (majority 2), cluster 1 holds {0, 1, 1, 2} (majority 2)
    assert cluster_purity(labels_true, labels_pred) == pytest.approx(4 / 6)


def test_cluster_purity_perfect_and_single_cluster():
    y = np.array([0, 0, 1, 1, 1, 2, 2, 2, 2])
    assert cluster_purity(y, (y + 1) % 3) == 1.0  # renamed clusters
    assert cluster_purity(y, np.zeros_like(y)) == pytest.approx(4 / 9)
    assert cluster_purity(y, np.arange(len(y))) == 1.0  # one row per cluster


def test_cluster_purity_is_not_symmetric():
    a = [0, 0, 1, 1]
    b = [0, 0, 0, 0]
    assert cluster_purity(a, b) == 0.5
    assert cluster_purity(b, a) == 1.0


def test_knn_accuracy_on_separated_blobs(blobs):
    X, y = blobs
    assert knn_accuracy(X, y) == 1.0


def test_knn_accuracy_on_random_labels_is_near_chance(blobs):
    X, _ = blobs
    y_random = np.random.default_rng(0).integers(0, 3, len(X))
    assert knn_accuracy(X, y_random, n_neighbors=5, cv=3) < 0.5


@pytest.mark.parametrize("method", ["kmeans", "gmm"])
def test_cluster_embedding_recovers_blobs(blobs, method):
    X, y = blobs
    labels = cluster_embedding(X[:, :2], 3, method=method)
    assert labels.shape == (len(X),)
    assert len(np.unique(labels)) == 3
    assert adjusted_rand_score(y, labels) == 1.0


def test_cluster_embedding_is_reproducible(blobs):
    X, _ = blobs
    a = cluster_embedding(X, 5, random_state=3)
    b = cluster_embedding(X, 5, random_state=3)
    np.testing.assert_array_equal(a, b)


def test_cluster_embedding_rejects_unknown_method(blobs):
    X, _ = blobs
    with pytest.raises(ValueError, match="spectral"):
        cluster_embedding(X, 3, method="spectral")


@pytest.mark.parametrize("metric", ["nmi", "ari", "purity", "completeness"])
@pytest.mark.parametrize("method", ["kmeans", "gmm"])
def test_clustering_scorer_with_fitted_pca(blobs, metric, method):
    X, y = blobs
    pca = PCA(n_components=2).fit(X)
    scorer = clustering_scorer(n_clusters=3, method=method, metric=metric)
    assert scorer.__name__ == f"{method}_{metric}"
    assert scorer(pca, X, y) == pytest.approx(1.0)


def test_clustering_scorer_penalises_wrong_labels(blobs):
    X, _ = blobs
    pca = PCA(n_components=2).fit(X)
    y_random = np.random.default_rng(1).integers(0, 3, len(X))
    assert clustering_scorer(3, metric="nmi")(pca, X, y_random) < 0.2


def test_knn_scorer_with_fitted_pca(blobs):
    X, y = blobs
    pca = PCA(n_components=2).fit(X)
    scorer = knn_scorer(n_neighbors=5, cv=3)
    assert scorer.__name__ == "knn5_accuracy"
    assert scorer(pca, X, y) == 1.0
    assert scorer(pca, X, y) == knn_accuracy(pca.transform(X), y, 5, 3)


@pytest.mark.parametrize("marker", [-1, "-1"])
def test_label_scorers_leave_out_unlabelled_rows(blobs, marker):
    """Rows marked -1 (as in a semi-supervised fit) are not a class to score against."""
    X, y = blobs
    pca = PCA(n_components=2).fit(X)
    y_partial = y.astype(type(marker)).astype(object)
    unlabelled = np.random.default_rng(0).random(len(y)) < 0.8
    y_partial[unlabelled] = marker
    y_partial = y_partial.astype(type(marker))
    for scorer in (clustering_scorer(3), clustering_scorer(3, metric="ari"), knn_scorer(5, cv=3)):
        assert scorer(pca, X, y_partial) == pytest.approx(1.0)  # -1 as a class: about 0.1
    y_none = np.full(len(y), marker)
    with pytest.raises(ValueError, match="every label of y is -1"):
        knn_scorer()(pca, X, y_none)


def test_label_scorers_without_labels_say_so(blobs):
    X, _ = blobs
    pca = PCA(n_components=2).fit(X)
    for scorer in (clustering_scorer(3), knn_scorer()):
        with pytest.raises(TypeError, match=r"labels y.*trustworthiness_scorer"):
            scorer(pca, X)


def test_trustworthiness_scorer_with_fitted_pca(blobs):
    X, y = blobs
    pca = PCA(n_components=2).fit(X)
    scorer = trustworthiness_scorer(n_neighbors=7)
    assert scorer.__name__ == "trustworthiness7"
    expected = sk_trustworthiness(X, pca.transform(X), n_neighbors=7)
    assert scorer(pca, X, y) == pytest.approx(expected)
    assert scorer(pca, X) == pytest.approx(expected)
    assert 0.5 < expected <= 1.0
    assert trustworthiness is sk_trustworthiness


def test_trustworthiness_scorer_prefers_more_components():
    X = np.random.default_rng(2).normal(size=(120, 6)) * [5, 4, 3, 2, 1, 0.5]
    scorer = trustworthiness_scorer(n_neighbors=5)
    one = scorer(PCA(n_components=1).fit(X), X)
    five = scorer(PCA(n_components=5).fit(X), X)
    assert five > one


def test_scorers_inside_grid_search(blobs):
    X, y = blobs
    search = GridSearchCV(
        PCA(), {"n_components": [1, 2]}, scoring=knn_scorer(n_neighbors=5, cv=2), cv=2
    )
    search.fit(X, y)
    assert search.best_score_ == pytest.approx(1.0)
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))


def test_clustering_scorer_rejects_invalid_options():
    with pytest.raises(ValueError, match="metric"):
        clustering_scorer(3, metric="accuracy")
    with pytest.raises(ValueError, match="method"):
        clustering_scorer(3, method="dbscan")


def test_knn_accuracy_caps_neighbours_at_small_training_folds(blobs):
    # 15 labelled rows in 5 folds: 12 training rows a fold, fewer than 20
    # neighbours (scikit-learn's classifier fails, cross_val_score gave NaN).
    X, y = blobs
    rows = np.concatenate([np.flatnonzero(y == c)[:5] for c in range(3)])
    capped = knn_accuracy(X[rows], y[rows], n_neighbors=20)
    assert capped == knn_accuracy(X[rows], y[rows], n_neighbors=12)
    assert np.isfinite(capped)


def test_knn_accuracy_needs_a_class_as_large_as_cv(blobs):
    X, y = blobs
    rows = np.concatenate([np.flatnonzero(y == c)[:3] for c in range(2)])
    with pytest.raises(ValueError, match=r"cv=5.*largest has 3.*Lower cv"):
        knn_accuracy(X[rows], y[rows])
    assert knn_accuracy(X[rows], y[rows], n_neighbors=1, cv=3) == 1.0


def test_trustworthiness_scorer_on_a_small_test_fold(blobs):
    X, _ = blobs
    pca = PCA(n_components=2).fit(X)
    scorer = trustworthiness_scorer(n_neighbors=10)
    expected = sk_trustworthiness(X[:15], pca.transform(X[:15]), n_neighbors=7)
    assert scorer(pca, X[:15]) == pytest.approx(expected)
    with pytest.raises(ValueError, match="at least 3 rows"):
        scorer(pca, X[:2])
