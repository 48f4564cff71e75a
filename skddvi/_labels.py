"""Which classifier labels rows after a fit with labels.

Two classifiers can label rows after ``fit(X, y)``:

- ``"encoder"``: ``q(l | x)``, linear in the encoder's features and trained on
  the labelled rows beside the model (the paper's semi-supervised classifier);
- ``"embedding"``: a vote of the labelled rows nearest in the embedding
  (:data:`N_NEIGHBORS` of them, weighted by inverse distance), which follows
  the map's clusters and arms, and so the unlabelled rows' structure.

With few labels ``q(l | x)`` overfits them and the map's vote is ahead (digits
with a tenth labelled: 0.98 against 0.89); where the map does not separate
the classes (unstandardised wine, whose neighbour graph one feature rules:
0.68 against 0.84) it is behind. :func:`label_source` tells the two apart
from the labelled rows alone (of the classes with two rows or more): the
map's vote, each row left out of it, against a cross-validated logistic
regression of the standardised data (the data's own evidence for the
classes, which the map may not show; a stand-in for ``q(l | x)``, which fits
its training rows), each on at most :data:`MAX_ROWS` labelled rows. Ties go
to the map.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

__all__ = ["MAX_ROWS", "N_NEIGHBORS", "label_source", "map_classifier", "selection_rows"]

N_NEIGHBORS = 10
MAX_ROWS = 2000
_FOLDS = 5


def map_classifier(Z_labelled: np.ndarray, codes: np.ndarray) -> KNeighborsClassifier:
    """The labelled rows' vote in the embedding: a fitted k-NN classifier of
    their embeddings ``Z_labelled`` and class indices ``codes``."""
    return _vote(min(N_NEIGHBORS, len(codes))).fit(Z_labelled, codes)


def _vote(k: int) -> KNeighborsClassifier:
    return KNeighborsClassifier(n_neighbors=k, weights="distance")


def selection_rows(codes: np.ndarray, seed: int) -> np.ndarray:
    """Indices of the labelled rows (``codes >= 0``) the choice reads: all, or
    :data:`MAX_ROWS` of them drawn with ``seed``."""
    labelled = np.flatnonzero(codes >= 0)
    if len(labelled) <= MAX_ROWS:
        return labelled
    return np.sort(np.random.default_rng(seed).choice(labelled, MAX_ROWS, replace=False))


def label_source(Z: np.ndarray, X, codes: np.ndarray, seed: int) -> str:
    """``"embedding"`` or ``"encoder"`` (see the module docstring).

    ``Z`` and ``X`` are the embeddings and rows (dense or sparse) of labelled
    rows, ``codes`` their class indices.
    """
    # A class of one row can be neither left out nor split into folds: the
    # comparison reads the classes of two rows or more.
    counts = np.bincount(codes)
    kept = counts[codes] >= 2
    Z, X, codes = Z[kept], X[kept], codes[kept]
    counts = counts[counts >= 2]
    if len(counts) < 2:
        return "embedding"  # nothing to compare: fewer than two such classes
    folds = min(_FOLDS, int(counts.min()))
    in_map = _left_out_map_accuracy(Z, codes)
    return "embedding" if in_map >= _linear_accuracy(X, codes, folds, seed) else "encoder"


def _left_out_map_accuracy(Z: np.ndarray, codes: np.ndarray) -> float:
    """Accuracy of each row's vote by its nearest other rows (scikit-learn's
    ``predict(None)``: a row is not its own neighbour)."""
    vote = _vote(min(N_NEIGHBORS, len(codes) - 1)).fit(Z, codes)
    return float(np.mean(vote.predict(None) == codes))


def _linear_accuracy(X, codes: np.ndarray, folds: int, seed: int) -> float:
    """Cross-validated accuracy of a logistic regression of the standardised
    rows ``X`` (scaled only, not centred, when sparse)."""
    split = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    scaler = StandardScaler(with_mean=not sp.issparse(X))
    model = make_pipeline(scaler, LogisticRegression())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        scores = cross_val_score(model, X, codes, cv=split, error_score="raise")
    return float(scores.mean())
