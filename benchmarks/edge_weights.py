"""Uniform kNN edges against UMAP's fuzzy graph (``edge_weights``), on real data.

DDVIEmbedding with its defaults and with ``edge_weights="fuzzy"`` (edges
weighted by distance relative to each row's nearest neighbour and
symmetrised, as UMAP's graph), on the training rows of the splits of
``embedding_quality.py``: 10-NN accuracy (5-fold), trustworthiness (k=10, at
most 5,000 rows), the hubness of the kNN graph (the largest number of rows
that count one row among their neighbours, as a multiple of k), and fit time.
Mean ± 95% CI over seeds.

Run from the repository root::

    python benchmarks/edge_weights.py [--seeds 2] [--datasets mnist,ehgdp]

Writes ``results/edge_weights.md``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine, markdown_table, mean_ci, write
from ablation import evaluate
from embedding_quality import load, split

from skddvi.graph import neighbor_graph

VARIANTS = ("uniform", "fuzzy")


def hubness(X, k: int = 15) -> float:
    """Largest in-degree of the kNN graph over k (1 when no row is a hub)."""
    return float(np.bincount(neighbor_graph(X, k).ravel(), minlength=X.shape[0]).max() / k)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="digits,mnist,pbmc68k,ehgdp,iris")
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--mnist-train", type=int, default=10_000)
    args = parser.parse_args()

    rows = []
    for name in args.datasets.split(","):
        X, y = load(name)
        train, _ = split(name, X, y, args.mnist_train, np.random.default_rng(0))
        X, y = np.asarray(X)[train], np.asarray(y)[train]
        hub = hubness(X)
        for variant in VARIANTS:
            runs = [evaluate({"edge_weights": variant}, X, y, seed) for seed in range(args.seeds)]
            print(name, variant, runs, flush=True)
            rows.append(
                [
                    name,
                    f"{hub:.1f}",
                    variant,
                    mean_ci([r["knn"] for r in runs]),
                    mean_ci([r["trust"] for r in runs]),
                    f"{np.mean([r['fit'] for r in runs]):.1f}",
                ]
            )
    header = ["data", "hubness", "edge_weights", "10-NN acc", "trust", "fit s"]
    command = " ".join(["python benchmarks/edge_weights.py", *sys.argv[1:]])
    text = (
        "# Edge weights: uniform kNN edges against UMAP's fuzzy graph\n\n"
        f"Machine: {machine()}.\n\nCommand: `{command}`. Mean ± 95% CI over {args.seeds} "
        "seeds; training rows of the splits of `embedding_quality.py` (MNIST: "
        f"{args.mnist_train} training images). Hubness: the largest number of rows that "
        "count one row among their 15 nearest neighbours, divided by 15.\n\n"
        + markdown_table(header, rows)
        + "\n"
    )
    write("edge_weights.md", text)
    print(text)


if __name__ == "__main__":
    main()
