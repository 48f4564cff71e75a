"""Optional matplotlib helpers (``pip install skddvi[plot]``)."""

from __future__ import annotations

import numpy as np

__all__ = ["plot_embedding"]


def plot_embedding(embedding, labels=None, *, ax=None, title=None, point_size=None):
    """Scatter a 2-D embedding, coloured by ``labels``.

    Parameters
    ----------
    embedding : array-like of shape (n_samples, 2)
    labels : array-like of shape (n_samples,), default=None
        Categories to colour by (any hashable values, of mixed types too),
        with a legend when there are at most 20 of them (beyond 20 the
        colours repeat).
    ax : matplotlib Axes, default=None
        Axes to draw on; a new figure when None.
    title : str, default=None
    point_size : float, default=None
        Marker size; chosen from the number of points when None.

    Returns
    -------
    ax : matplotlib Axes
    """
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("plot_embedding needs matplotlib: pip install 'skddvi[plot]'") from exc
    embedding = np.asarray(embedding)
    if embedding.ndim != 2 or embedding.shape[1] != 2:
        raise ValueError(f"embedding must have shape (n_samples, 2), got {embedding.shape}.")
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 6))
    n = max(len(embedding), 1)
    size = point_size if point_size is not None else float(np.clip(3e4 / n, 0.5, 20))
    if labels is None:
        ax.scatter(embedding[:, 0], embedding[:, 1], s=size, linewidths=0)
    else:
        labels = _label_array(labels)
        if len(labels) != len(embedding):
            raise ValueError(
                f"labels has {len(labels)} values but the embedding {len(embedding)} rows."
            )
        classes, codes = _categories(labels)
        cmap = plt.get_cmap("tab10" if len(classes) <= 10 else "tab20")
        for k, label in enumerate(classes):
            mask = codes == k
            ax.scatter(
                embedding[mask, 0],
                embedding[mask, 1],
                s=size,
                linewidths=0,
                color=cmap(k % cmap.N),
                label=str(label),
            )
        if 0 < len(classes) <= 20:
            ax.legend(
                markerscale=(12 / size) ** 0.5 if 0 < size < 12 else 1.0,
                fontsize="small",
                frameon=False,
                loc="center left",
                bbox_to_anchor=(1.0, 0.5),
            )
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_aspect("equal", adjustable="datalim")
    if title:
        ax.set_title(title)
    return ax


def _label_array(labels) -> np.ndarray:
    """``labels`` as a 1-D array: a column of labels (one-element lists or
    tuples included) is flattened, but tuples of other lengths stay one
    (hashable) label per row, which ``np.asarray`` would turn into a 2-D
    array or refuse."""
    if isinstance(labels, (list, tuple)) and any(
        isinstance(label, tuple) and len(label) != 1 for label in labels
    ):
        return np.fromiter(labels, dtype=object, count=len(labels))
    return np.asarray(labels).ravel()


def _categories(labels: np.ndarray) -> tuple[list, np.ndarray]:
    """The distinct labels, sorted, and each row's index among them. Codes,
    not ``labels == label``: NaN labels (one class) would match nothing.
    Labels of mixed types, which numpy cannot sort, sort by type, then value."""
    try:
        classes, codes = np.unique(labels, return_inverse=True)
        return list(classes), codes.ravel()
    except TypeError:
        keys = sorted(set(labels.tolist()), key=lambda v: (type(v).__name__, str(v)))
        index = {key: k for k, key in enumerate(keys)}
        return keys, np.array([index[v] for v in labels.tolist()], dtype=np.intp)
