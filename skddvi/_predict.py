"""``predict``, ``predict_proba`` and ``fit_predict`` of the estimator.

Two meanings, one interface: after a semi-supervised fit (``fit(X, y)``) they
give labels, from the classifier :mod:`skddvi._labels` chose at the end of the
fit (``label_source_``); otherwise, with a grouped prior, the group of prior
components (cluster) with the highest responsibility for a row's embedding.
The methods exist only where they mean something (``available_if``), so
``hasattr(model, "predict")`` is False for a plain Gaussian prior.
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, validate_data

from ._checks import has_class_labels
from ._labels import label_source, map_classifier, selection_rows

__all__ = ["GroupPredictionMixin"]

_GROUPED_PRIORS = ("mixture", "pinwheel", "swiss_roll", "square")


class GroupPredictionMixin:
    """Clusters and labels for :class:`~skddvi.DDVIEmbedding` (see the module docstring)."""

    def _has_groups(self) -> bool:
        """Whether the fitted prior (or, unfitted, the ``prior`` parameter) has
        groups of components (clusters, classes) to predict."""
        return _is_grouped(self.prior_ if hasattr(self, "prior_") else self.prior)

    def _can_fit_predict(self) -> bool:
        """Whether a refit can predict: the ``prior`` parameter has groups, or
        the last fit had labels (a Gaussian prior with labels has one group
        per class; :meth:`fit_predict` then needs ``y`` again)."""
        return _is_grouped(self.prior) or hasattr(self, "classes_")

    def _fit_label_classifier(self, X, codes: np.ndarray, seed: int) -> None:
        """Choose and fit the classifier of a fit with labels (``codes``: class
        indices, -1 unlabelled): ``label_source_`` and ``label_classifier_``."""
        self.label_classifier_ = None
        if self.module_.graph is None:  # the paper's plain model keeps its q(l | x)
            self.label_source_ = "encoder"
            return
        labelled = codes >= 0
        rows = selection_rows(codes, seed)
        self.label_source_ = label_source(self.embedding_[rows], X[rows], codes[rows], seed)
        if self.label_source_ == "embedding":
            self.label_classifier_ = map_classifier(self.embedding_[labelled], codes[labelled])

    @available_if(_has_groups)
    def predict_proba(self, X):
        """Probability of each cluster or class for each row.

        After a semi-supervised fit, columns in the order of ``classes_``: with
        ``label_source_ == "embedding"`` the vote of the 10 labelled training
        rows nearest to the row's embedding (weighted by inverse distance;
        ``label_classifier_``), with ``"encoder"`` the classifier
        ``q(l | x)``. Otherwise: the responsibilities of the prior's groups
        (``prior="mixture"``: its components; the pinwheel: its arms; the swiss
        roll and square: their segments) for the row's embedding. A labelled
        training row lies at distance 0 from itself, so the vote gives it its
        own label (as ``q(l | x)``, trained on it, mostly does).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_clusters_or_classes)
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, accept_sparse="csr", dtype=[np.float64, np.float32])
        if hasattr(self, "classes_"):
            if self.label_classifier_ is not None:
                return self.label_classifier_.predict_proba(self._embed(X)).astype(np.float64)
            return self._map_rows(
                X, lambda m, x: m.class_log_proba(x).exp(), len(self.classes_), np.float64
            )
        return self._map_rows(
            X,
            lambda m, x: torch.softmax(m.prior.group_log_prob(m.embed(x)), dim=-1),
            self.prior_.n_groups,
            np.float64,
        )

    @available_if(_has_groups)
    def predict(self, X):
        """Cluster (unsupervised fit) or label (semi-supervised fit) of each row.

        The cluster is the prior group with the highest responsibility for the
        row's embedding; the label is the most probable class of
        :meth:`predict_proba`.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        labels : ndarray of shape (n_samples,)
        """
        best = self.predict_proba(X).argmax(axis=1)
        return self.classes_[best] if hasattr(self, "classes_") else best

    @available_if(_can_fit_predict)
    def fit_predict(self, X, y=None):
        """Fit, then :meth:`predict` the training rows.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,), default=None
            Labels for a semi-supervised fit (see :meth:`fit`). With the
            default Gaussian prior the method exists only after a fit with
            labels (``hasattr`` is False before, as for any estimator that
            cannot cluster); ``fit(X, y).predict(X)`` works from the start.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
        """
        if not _is_grouped(self.prior) and not has_class_labels(y):
            grouped = ", ".join(_GROUPED_PRIORS)
            raise ValueError(
                "fit_predict without labels (y None, all -1, or a continuous target) needs a "
                f"prior with groups ({grouped} or an object with group_log_prob and "
                f"n_groups), got prior={self.prior!r}; pass y to fit with labels, or set "
                "prior='mixture'."
            )
        return self.fit(X, y).predict(X)


def _is_grouped(prior) -> bool:
    """Whether ``prior`` (a name or an object) has groups of components."""
    if isinstance(prior, str):
        return prior in _GROUPED_PRIORS
    return hasattr(prior, "group_log_prob") and hasattr(prior, "n_groups")
