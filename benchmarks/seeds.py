"""DDVIEmbedding (defaults) against umap-learn over several splits and seeds.

``embedding_quality.py`` is one run (seed 0); this script repeats its split and
evaluation for seeds ``0 .. n-1`` (each seed draws its own held-out rows and
seeds both methods) and reports, per data set, each method's mean ± 95%
interval and the paired difference DDVIEmbedding minus UMAP (same split, same
seed) for:

- 10-NN accuracy (5-fold) and trustworthiness (k=10) of the training embedding;
- the held-out gap: trustworthiness of the held-out rows' embedding
  (``transform``) minus that of as many training rows.

Besides the five sets of ``embedding_quality.py`` it runs two that no default
was chosen on, standardised (as one would give them to UMAP): scikit-learn's
wine (178 x 13) and breast cancer (569 x 30).

Run from the repository root (one process per core, one thread each)::

    python benchmarks/seeds.py --seeds 5 --jobs 2

Writes ``results/seeds.md``.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine, markdown_table, mean_ci, one_thread, run_over_seeds, write

SETS = "iris,wine,breast_cancer,digits,pbmc68k,ehgdp,mnist"
METRICS = {"knn": "10-NN acc", "trust": "trust", "gap": "held-out gap"}


def load(name: str):
    """``(X, y)`` of a set of ``embedding_quality.py``, or a standardised sklearn set."""
    if name in ("wine", "breast_cancer"):
        from sklearn import datasets
        from sklearn.preprocessing import StandardScaler

        X, y = getattr(datasets, f"load_{name}")(return_X_y=True)
        return StandardScaler().fit_transform(X), y
    import embedding_quality

    return embedding_quality.load(name)


def run_one(name: str, seed: int, mnist_train: int) -> dict:
    """Both methods on one split of one set: ``{method: {metric: value}}``."""
    import umap
    from embedding_quality import evaluate, split

    from skddvi import DDVIEmbedding

    one_thread()
    X, y = load(name)
    train, test = split(name, X, y, mnist_train, np.random.default_rng(seed))
    factories = {
        "DDVIEmbedding": lambda: DDVIEmbedding(random_state=seed),
        "UMAP": lambda: umap.UMAP(random_state=seed),
    }
    rows = {}
    for method, factory in factories.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            row, _ = evaluate(factory, X[train], y[train], X[test], np.random.default_rng(seed))
        rows[method] = {
            "knn": row["knn"],
            "trust": float(row["trust"]),
            "gap": float(row["trust_heldout"] - row["trust_same_n"]),
        }
    print(name, seed, rows, flush=True)
    return rows


def summarise(results: dict, names: list[str]) -> str:
    header = ["data", "method", *METRICS.values()]
    table = []
    for name in names:
        runs = results[name]
        for method in ("DDVIEmbedding", "UMAP"):
            values = [mean_ci([r[method][m] for r in runs]) for m in METRICS]
            table.append([name, method, *values])
        diffs = [mean_ci([r["DDVIEmbedding"][m] - r["UMAP"][m] for r in runs]) for m in METRICS]
        table.append([name, "difference (paired)", *diffs])
    return markdown_table(header, table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default=SETS)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--mnist-train", type=int, default=10_000)
    parser.add_argument("--jobs", type=int, default=1, help="processes, one thread each")
    args = parser.parse_args()

    names = args.datasets.split(",")
    results = run_over_seeds(run_one, names, args.seeds, args.jobs, args.mnist_train)

    command = " ".join(["python benchmarks/seeds.py", *sys.argv[1:]])
    text = (
        "# DDVIEmbedding (defaults) against UMAP over seeds\n\n"
        f"Machine: {machine()}; every fit on one thread.\n\nCommand: `{command}`.\n\n"
        f"Seeds 0 to {args.seeds - 1}: each draws its own split (20% of rows held out; "
        f"MNIST: {args.mnist_train} training images, the 10,000 test images held out) and "
        "seeds both methods (umap-learn and DDVIEmbedding with their defaults). Mean ± 95% "
        "interval over the seeds; 'difference (paired)' is DDVIEmbedding minus UMAP on the "
        "same split. 10-NN accuracy (5-fold) and trustworthiness (k=10, at most 5,000 rows) "
        "of the training embedding; 'held-out gap' is the trustworthiness of the held-out "
        "rows' embedding (`transform`) minus that of as many training rows. wine and "
        "breast_cancer are standardised; no default was chosen on them.\n\n"
        + summarise(results, names)
        + "\n"
    )
    write("seeds.md", text)
    print(text)


if __name__ == "__main__":
    main()
