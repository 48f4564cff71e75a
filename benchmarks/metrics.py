"""The neighbour graph's ``metric``: DDVIEmbedding against umap-learn, each given it.

For each set, metric and seed (the split of ``embedding_quality.py``), both
methods with their defaults and the same ``metric`` embed the training rows,
both searching the neighbours among the features (``graph_pca=None``);
the table gives 10-NN accuracy (5-fold) and trustworthiness (k=10, at most
5,000 rows) measured with that metric in the input space (with the Euclidean
one too), and the fit time. Mean ± 95% interval over the seeds.

Run from the repository root (one process per core, one thread each)::

    python benchmarks/metrics.py --seeds 2 --jobs 2
    python benchmarks/metrics.py --datasets ehgdp --metrics euclidean,manhattan \
        --seeds 2 --jobs 2 --output metrics_ehgdp.md
    python benchmarks/metrics.py --datasets digits --metrics hellinger \
        --seeds 2 --jobs 2 --output metrics_hellinger.md

Writes ``results/metrics.md`` (or ``--output``).
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine, markdown_table, mean_ci, one_thread, write

SETS = "digits,pbmc68k"
METRICS = "euclidean,cosine,correlation,manhattan"
COLUMNS = {
    "knn": "10-NN acc",
    "trust": "trust (metric)",
    "trust_euclidean": "trust (Euclidean)",
    "fit": "fit s",
}


def run_one(name: str, metric: str, seed: int) -> dict:
    """Both methods on one split of one set with one metric: ``{method: {column: value}}``."""
    import umap
    from embedding_quality import TRUST_ROWS, split
    from seeds import load
    from sklearn.manifold import trustworthiness

    from skddvi import DDVIEmbedding
    from skddvi.metrics import knn_accuracy

    one_thread()
    X, y = load(name)
    rng = np.random.default_rng(seed)
    train, _ = split(name, X, y, 10_000, rng)
    X, y = X[train], y[train]
    sub = rng.permutation(len(X))[:TRUST_ROWS]
    factories = {
        # Both search the features themselves: graph_pca="auto" would search
        # 50 principal components of the wide sets when metric="euclidean".
        "DDVIEmbedding": lambda: DDVIEmbedding(metric=metric, graph_pca=None, random_state=seed),
        "UMAP": lambda: umap.UMAP(metric=metric, random_state=seed),
    }
    rows = {}
    for method, factory in factories.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            start = time.perf_counter()
            Z = np.asarray(factory().fit_transform(X))
            fit = time.perf_counter() - start
        X_ranked, ranked_by = _ranked_rows(X[sub], metric)
        rows[method] = {
            "knn": knn_accuracy(Z, y),
            "trust": float(trustworthiness(X_ranked, Z[sub], n_neighbors=10, metric=ranked_by)),
            "trust_euclidean": float(trustworthiness(X[sub], Z[sub], n_neighbors=10)),
            "fit": fit,
        }
    print(name, metric, seed, rows, flush=True)
    return rows


def _ranked_rows(X, metric: str):
    """Rows and a scikit-learn metric that rank neighbours as ``metric`` does:
    Hellinger (not in scikit-learn) ranks as the Euclidean distance between
    the square roots of the rows' shares."""
    if metric != "hellinger":
        return X, metric
    from skddvi.neighbors import hellinger_rows

    return hellinger_rows(X), "euclidean"


def summarise(results: dict) -> str:
    table = []
    for (name, metric), runs in results.items():
        for method in ("DDVIEmbedding", "UMAP"):
            values = [mean_ci([r[method][c] for r in runs]) for c in COLUMNS if c != "fit"]
            fit = np.mean([r[method]["fit"] for r in runs])
            table.append([name, metric, method, *values, f"{fit:.1f}"])
    return markdown_table(["data", "metric", "method", *COLUMNS.values()], table)


def main() -> None:
    from joblib import Parallel, delayed

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default=SETS, help="comma-separated")
    parser.add_argument("--metrics", default=METRICS, help="comma-separated")
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--jobs", type=int, default=1, help="processes, one thread each")
    parser.add_argument("--output", default="metrics.md", help="file name under results/")
    args = parser.parse_args()

    keys = [(n, m) for n in args.datasets.split(",") for m in args.metrics.split(",")]
    tasks = [(n, m, s) for n, m in keys for s in range(args.seeds)]
    done = Parallel(n_jobs=args.jobs)(delayed(run_one)(*task) for task in tasks)
    results = {key: [] for key in keys}
    for (name, metric, _), rows in zip(tasks, done):
        results[name, metric].append(rows)

    command = " ".join(["python benchmarks/metrics.py", *sys.argv[1:]])
    text = (
        "# The neighbour graph's metric: DDVIEmbedding against UMAP\n\n"
        f"Machine: {machine()}; every fit on one thread.\n\nCommand: `{command}`.\n\n"
        f"Seeds 0 to {args.seeds - 1}: the training rows of each seed's split (that of "
        "`embedding_quality.py`, 20% of rows held out); both methods with their defaults "
        "and the same `metric`, seeded alike. Mean ± 95% interval over the seeds. 10-NN "
        "accuracy (5-fold) of the embedding; trustworthiness (k=10, at most 5,000 rows) "
        "with the metric in the input space, and with the Euclidean distance; mean fit "
        "time.\n\n" + summarise(results) + "\n"
    )
    write(args.output, text)
    print(text)


if __name__ == "__main__":
    main()
