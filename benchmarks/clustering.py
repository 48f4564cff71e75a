"""Clustering the embedding: DDVIEmbedding against UMAP, with UMAP's clustering recipe.

umap-learn's documentation ("Using UMAP for Clustering") embeds with
``n_neighbors=30, min_dist=0.0`` and clusters the embedding with HDBSCAN. For
each set and seed, both methods embed the training rows of the seed's split
(that of ``seeds.py``: 20% held out), once with their defaults and once with that recipe,
and the table gives, against the labels:

- ``KMeans ARI`` / ``KMeans AMI``: KMeans (k = number of labels, ``n_init=10``);
- ``HDBSCAN ARI`` / ``HDBSCAN AMI``: scikit-learn's HDBSCAN
  (``min_samples=10``, ``min_cluster_size`` 2.5% of the rows, at least 10),
  with the rows it leaves as noise counted as one more cluster;
- ``clustered``: the share of rows HDBSCAN assigns to a cluster.

Run from the repository root (one process per core, one thread each)::

    python benchmarks/clustering.py --seeds 5 --jobs 2

Writes ``results/clustering.md``.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine, one_thread, rows_table, run_over_seeds, write

SETS = "digits,pbmc68k"
SETTINGS = {"defaults": {}, "clustering recipe": {"n_neighbors": 30, "min_dist": 0.0}}
COLUMNS = {
    "kmeans_ari": "KMeans ARI",
    "kmeans_ami": "KMeans AMI",
    "hdbscan_ari": "HDBSCAN ARI",
    "hdbscan_ami": "HDBSCAN AMI",
    "clustered": "clustered",
}


def run_one(name: str, seed: int) -> dict:
    """Both methods, both settings, on one split: ``{row: {column: value}}``."""
    import umap
    from embedding_quality import split
    from seeds import load
    from sklearn.cluster import HDBSCAN, KMeans
    from sklearn.metrics import adjusted_mutual_info_score, adjusted_rand_score

    from skddvi import DDVIEmbedding

    one_thread()
    X, y = load(name)
    train, _ = split(name, X, y, 10_000, np.random.default_rng(seed))
    X, y = X[train], y[train]
    k = len(np.unique(y))
    factories = {
        "DDVIEmbedding": lambda **p: DDVIEmbedding(random_state=seed, **p),
        "UMAP": lambda **p: umap.UMAP(random_state=seed, **p),
    }
    rows = {}
    for setting, params in SETTINGS.items():
        for method, factory in factories.items():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                Z = np.asarray(factory(**params).fit_transform(X), dtype=np.float64)
            kmeans = KMeans(k, n_init=10, random_state=seed).fit_predict(Z)
            size = max(10, int(0.025 * len(Z)))
            hdbscan = HDBSCAN(min_samples=10, min_cluster_size=size).fit_predict(Z)
            rows[f"{method} ({setting})"] = {
                "kmeans_ari": adjusted_rand_score(y, kmeans),
                "kmeans_ami": adjusted_mutual_info_score(y, kmeans),
                "hdbscan_ari": adjusted_rand_score(y, hdbscan),
                "hdbscan_ami": adjusted_mutual_info_score(y, hdbscan),
                "clustered": float(np.mean(hdbscan >= 0)),
            }
    print(name, seed, rows, flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default=SETS, help="comma-separated")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=1, help="processes, one thread each")
    args = parser.parse_args()

    names = args.datasets.split(",")
    results = run_over_seeds(run_one, names, args.seeds, args.jobs)
    command = " ".join(["python benchmarks/clustering.py", *sys.argv[1:]])
    text = (
        "# Clustering the embedding: DDVIEmbedding against UMAP\n\n"
        f"Machine: {machine()}; every fit on one thread.\n\nCommand: `{command}`.\n\n"
        f"Seeds 0 to {args.seeds - 1}: the training rows of each seed's split (that of "
        "`seeds.py`), both methods seeded alike, with their defaults and with umap-learn's "
        "clustering recipe (`n_neighbors=30, min_dist=0.0`). Mean ± 95% interval over the "
        "seeds. KMeans: k = number of labels, `n_init=10`. HDBSCAN: scikit-learn's, "
        "`min_samples=10`, `min_cluster_size` 2.5% of the rows (at least 10); its noise "
        "rows count as one more cluster in ARI and AMI, and 'clustered' is the share of rows "
        "in a cluster.\n\n" + rows_table(results, names, COLUMNS, "method (setting)") + "\n"
    )
    write("clustering.md", text)
    print(text)


if __name__ == "__main__":
    main()
