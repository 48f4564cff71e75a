"""Quality metrics of embeddings, and scorers for ``GridSearchCV``.

The metrics compare an embedding with labels (k-NN accuracy, cluster purity,
NMI of a clustering of the embedding) or with the data (trustworthiness,
re-exported from scikit-learn). The scorer factories return callables with
scikit-learn's scorer signature ``scorer(estimator, X, y)``: they embed ``X``
with ``estimator.transform`` (any fitted transformer or pipeline) and score
the embedding against ``y``. Rows labelled -1 (unlabelled, as in a
semi-supervised ``fit(X, y)``) are left out of the label scores.

Examples
--------
>>> from sklearn.model_selection import GridSearchCV
>>> from skddvi import DDVIEmbedding
>>> from skddvi.metrics import clustering_scorer
>>> search = GridSearchCV(
...     DDVIEmbedding(n_epochs=5),
...     {"kl_weight": [0.05, 0.1]},
...     scoring=clustering_scorer(n_clusters=10),
... )
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from sklearn.cluster import KMeans
from sklearn.manifold import trustworthiness
from sklearn.metrics import (
    adjusted_rand_score,
    completeness_score,
    normalized_mutual_info_score,
)
from sklearn.metrics.cluster import contingency_matrix
from sklearn.mixture import GaussianMixture
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.utils.validation import column_or_1d

from ._checks import unlabelled_rows

__all__ = [
    "cluster_embedding",
    "cluster_purity",
    "clustering_scorer",
    "knn_accuracy",
    "knn_scorer",
    "trustworthiness",
    "trustworthiness_scorer",
]

_CLUSTER_SCORES: dict[str, Callable[[np.ndarray, np.ndarray], float]] = {
    "nmi": normalized_mutual_info_score,
    "ari": adjusted_rand_score,
    "completeness": completeness_score,
}


def cluster_purity(labels_true, labels_pred) -> float:
    """Fraction of rows whose cluster's majority label is their own label.

    Parameters
    ----------
    labels_true : array-like of shape (n_samples,)
    labels_pred : array-like of shape (n_samples,)

    Returns
    -------
    purity : float in (0, 1]
    """
    table = contingency_matrix(labels_true, labels_pred)
    return float(table.max(axis=0).sum() / table.sum())


_CLUSTER_SCORES["purity"] = cluster_purity


def knn_accuracy(X_embedded, y, n_neighbors: int = 10, cv: int = 5, random_state=0) -> float:
    """Cross-validated accuracy of a k-nearest-neighbour classifier in the embedding.

    Parameters
    ----------
    X_embedded : array-like of shape (n_samples, n_components)
    y : array-like of shape (n_samples,)
    n_neighbors : int, default=10
        Capped at the number of rows of the smallest training fold (a few
        labelled rows, as in a semi-supervised search).
    cv : int, default=5
        Number of stratified, shuffled folds; at most the number of rows of
        the largest class.
    random_state : int or None, default=0
        Seed of the fold split.

    Returns
    -------
    accuracy : float
        Mean accuracy over the folds.
    """
    y = column_or_1d(y)
    largest = int(np.unique(y, return_counts=True)[1].max()) if len(y) else 0
    if largest < cv:
        raise ValueError(
            f"knn_accuracy with cv={cv} folds needs a class with at least {cv} rows; the "
            f"largest has {largest}. Lower cv, or label more rows."
        )
    folds = StratifiedKFold(n_splits=cv, shuffle=True, random_state=random_state)
    n_train = len(y) - -(-len(y) // cv)  # rows of the smallest training fold
    classifier = KNeighborsClassifier(n_neighbors=min(n_neighbors, n_train))
    scores = cross_val_score(classifier, X_embedded, y, cv=folds, error_score="raise")
    return float(scores.mean())


def cluster_embedding(X_embedded, n_clusters: int, method: str = "kmeans", random_state=0):
    """Cluster an embedding with KMeans or a full-covariance Gaussian mixture.

    Parameters
    ----------
    X_embedded : array-like of shape (n_samples, n_components)
    n_clusters : int
    method : {"kmeans", "gmm"}, default="kmeans"
    random_state : int or None, default=0

    Returns
    -------
    labels : ndarray of shape (n_samples,)
    """
    if method == "kmeans":
        model = KMeans(n_clusters=n_clusters, n_init=10, random_state=random_state)
    elif method == "gmm":
        model = GaussianMixture(
            n_components=n_clusters,
            covariance_type="full",
            n_init=10,
            reg_covar=1e-2,
            random_state=random_state,
        )
    else:
        raise ValueError(f"method must be 'kmeans' or 'gmm', got {method!r}.")
    return model.fit_predict(X_embedded)


def clustering_scorer(
    n_clusters: int, method: str = "kmeans", metric: str = "nmi", random_state=0
) -> Callable:
    """Scorer that clusters the embedding and compares the clusters with ``y``.

    Parameters
    ----------
    n_clusters : int
        Number of clusters.
    method : {"kmeans", "gmm"}, default="kmeans"
    metric : {"nmi", "ari", "purity", "completeness"}, default="nmi"
    random_state : int or None, default=0

    Returns
    -------
    scorer : callable ``scorer(estimator, X, y) -> float``
        Clusters the embedding of every row of ``X`` and scores the clusters
        of the labelled rows (``y`` other than -1) against their labels.
    """
    if metric not in _CLUSTER_SCORES:
        raise ValueError(f"metric must be one of {sorted(_CLUSTER_SCORES)}, got {metric!r}.")
    if method not in ("kmeans", "gmm"):
        raise ValueError(f"method must be 'kmeans' or 'gmm', got {method!r}.")

    def scorer(estimator, X, y=None) -> float:
        y, labelled = _labelled_rows(y, scorer.__name__)
        labels = cluster_embedding(estimator.transform(X), n_clusters, method, random_state)
        return float(_CLUSTER_SCORES[metric](y[labelled], labels[labelled]))

    scorer.__name__ = f"{method}_{metric}"
    return scorer


def knn_scorer(n_neighbors: int = 10, cv: int = 5, random_state=0) -> Callable:
    """Scorer: cross-validated k-NN accuracy of ``y`` in the embedding of ``X``.

    Parameters
    ----------
    n_neighbors, cv, random_state
        As in :func:`knn_accuracy`.

    Returns
    -------
    scorer : callable ``scorer(estimator, X, y) -> float``
        The accuracy among the labelled rows (``y`` other than -1).
    """

    def scorer(estimator, X, y=None) -> float:
        y, labelled = _labelled_rows(y, scorer.__name__)
        X_embedded = estimator.transform(X)[labelled]
        return knn_accuracy(X_embedded, y[labelled], n_neighbors, cv, random_state)

    scorer.__name__ = f"knn{n_neighbors}_accuracy"
    return scorer


def _labelled_rows(y, name: str) -> tuple[np.ndarray, np.ndarray]:
    """``y`` as a 1-D array and the mask of its rows with a label (not -1);
    a ``TypeError`` without ``y``."""
    if y is None:
        raise TypeError(
            f"The {name} scorer compares the embedding with labels y, and none were "
            "passed; pass y, or score without labels with trustworthiness_scorer()."
        )
    y = column_or_1d(y)
    labelled = ~unlabelled_rows(y)
    if not labelled.any():
        raise ValueError(f"The {name} scorer needs labelled rows; every label of y is -1.")
    return y, labelled


def trustworthiness_scorer(n_neighbors: int = 10) -> Callable:
    """Scorer: trustworthiness of the embedding of ``X`` (``y`` is ignored).

    Neighbours in the data are those of ``X`` as the scorer receives it: for a
    pipeline such as ``make_pipeline(StandardScaler(), DDVIEmbedding())``,
    those of the unscaled rows, not of the scaled rows the embedding was fitted
    on. Score the embedding step on its own input to measure what it kept.

    Parameters
    ----------
    n_neighbors : int, default=10
        Capped at ``(n_samples - 1) // 2`` for a test fold of fewer than
        ``2 * n_neighbors + 1`` rows (scikit-learn's bound); a fold of fewer
        than 3 rows is a ``ValueError``.

    Returns
    -------
    scorer : callable ``scorer(estimator, X, y=None) -> float``
    """

    def scorer(estimator, X, y=None) -> float:
        n_samples = X.shape[0] if hasattr(X, "shape") else len(X)
        if n_samples < 3:
            raise ValueError(f"trustworthiness needs at least 3 rows, got {n_samples}.")
        k = min(n_neighbors, (n_samples - 1) // 2)
        return float(trustworthiness(X, estimator.transform(X), n_neighbors=k))

    scorer.__name__ = f"trustworthiness{n_neighbors}"
    return scorer
