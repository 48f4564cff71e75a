"""What each ingredient of the defaults buys: one change at a time from the defaults.

Each row is ``DDVIEmbedding(<defaults>, <one change>)``; the columns are the
quality measures of ``embedding_quality.py`` on each data set (mean over seeds),
so a row that drops below the defaults shows what that ingredient contributes.
The plain model of the paper is the ``graph_weight=0`` row. Run from the
repository root::

    python benchmarks/ablation.py                       # digits and iris, 3 seeds
    python benchmarks/ablation.py --datasets digits,mnist --mnist-train 5000

Writes ``results/ablation{suffix}.md``.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np
from sklearn.metrics import normalized_mutual_info_score

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine, markdown_table, timer, write
from datasets import LOADERS

from skddvi import DDVIEmbedding
from skddvi.metrics import cluster_embedding, knn_accuracy, trustworthiness

#: row name -> the parameters changed from the defaults
VARIANTS = {
    "defaults": {},
    "graph_weight=0 (the paper's plain model)": {"graph_weight": 0.0},
    "graph_weight=0.3": {"graph_weight": 0.3},
    "graph_weight=3": {"graph_weight": 3.0},
    'edge_weights="uniform" (every kNN edge)': {"edge_weights": "uniform"},
    'edge_weights="fuzzy" (UMAP memberships)': {"edge_weights": "fuzzy"},
    "kl_weight=1 (no down-weighting)": {"kl_weight": 1.0},
    "kl_weight=0.1": {"kl_weight": 0.1},
    "kl_weight=0.001": {"kl_weight": 0.001},
    "kl_warmup=0": {"kl_warmup": 0.0},
    'prior="mixture" (learned, n_clusters=10)': {"prior": "mixture", "n_clusters": 10},
    'sleep="full", sleep_weight=0.1': {"sleep": "full"},
    'posterior="gaussian" (AEVB)': {"posterior": "gaussian"},
    "n_steps=10 (the earlier default)": {"n_steps": 10},
    "n_steps=20": {"n_steps": 20},
    "learning_rate=1e-2 (the earlier default)": {"learning_rate": 1e-2},
    "learning_rate=1e-3 (the paper's)": {"learning_rate": 1e-3},
    "n_epochs=300 (digits: the earlier 300-epoch cap; iris: 300 instead of 600)": {"n_epochs": 300},
    "batch_size=256": {"batch_size": 256},
    "hidden_dims=(128,)": {"hidden_dims": (128,)},
}

TRUST_ROWS = 5000


def load(name: str, mnist_train: int):
    if name == "mnist":
        X, y = LOADERS["mnist"]()
        keep = np.random.default_rng(0).permutation(60_000)[:mnist_train]
        return X[keep], y[keep]
    if name == "ehgdp":
        return LOADERS[name]("region")
    return LOADERS[name]()


def evaluate(params: dict, X, y, seed: int) -> dict:
    model = DDVIEmbedding(random_state=seed, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with timer() as fit_time:
            Z = model.fit_transform(X)
    sub = np.random.default_rng(seed).permutation(len(X))[:TRUST_ROWS]
    return {
        "knn": knn_accuracy(Z, y),
        "trust": trustworthiness(X[sub], Z[sub], n_neighbors=10),
        "nmi": normalized_mutual_info_score(y, cluster_embedding(Z, len(np.unique(y)))),
        "elbo": model.score(X),
        "fit": fit_time(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="digits,iris")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--mnist-train", type=int, default=5000)
    parser.add_argument("--variants", default=None, help="comma-separated row numbers")
    parser.add_argument("--output-suffix", default="")
    args = parser.parse_args()

    names = args.datasets.split(",")
    variants = list(VARIANTS.items())
    if args.variants:
        variants = [variants[int(i)] for i in args.variants.split(",")]
    data = {name: load(name, args.mnist_train) for name in names}
    means = {}
    for label, params in variants:
        for name, (X, y) in data.items():
            rows = [evaluate(params, X, y, seed) for seed in range(args.seeds)]
            means[label, name] = {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}
            print(label, name, {k: round(v, 4) for k, v in means[label, name].items()}, flush=True)

    header = ["change from the defaults"]
    for name in names:
        header += [f"{name} 10-NN", f"{name} trust", f"{name} NMI", f"{name} ELBO", f"{name} fit s"]
    table = []
    for label, _ in variants:
        row = [label]
        for name in names:
            m = means[label, name]
            row += [f"{m['knn']:.3f}", f"{m['trust']:.3f}", f"{m['nmi']:.3f}"]
            row += [f"{m['elbo']:.1f}", f"{m['fit']:.1f}"]
        table.append(row)
    command = " ".join(["python benchmarks/ablation.py", *sys.argv[1:]])
    text = (
        "# Ablation: what each ingredient of DDVIEmbedding's defaults buys\n\n"
        f"Machine: {machine()}.\n\n"
        f"Command: `{command}`. Each row changes one parameter from the defaults; "
        f"cells are means over {args.seeds} seeds. 10-NN accuracy (5-fold), "
        "trustworthiness (k=10, at most 5,000 rows), NMI of KMeans (k = number of labels), "
        "ELBO = `score` on the training rows (nats per row, KL weight 1), fit seconds.\n\n"
        + markdown_table(header, table)
        + "\n"
    )
    path = write(f"ablation{args.output_suffix}.md", text)
    print(text)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
