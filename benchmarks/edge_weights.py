"""How a row's observed edge is drawn (``edge_weights``), on real data.

DDVIEmbedding with its defaults, its neighbours searched among the features
(``graph_pca=None``), and each of three edge weightings: "uniform"
(one of the row's 15 nearest neighbours), "fuzzy" (UMAP's graph: edges
weighted by distance relative to the row's nearest neighbour and symmetrised
by a fuzzy union) and "mutual" (the mutual kNN graph, the default), on the
training rows of the splits of
``embedding_quality.py``: 10-NN accuracy (5-fold), trustworthiness (k=10, at
most 5,000 rows) and fit time, mean ± 95% CI over seeds. Two properties of
each set's graphs explain the differences: the hubness of the kNN graph (the
largest number of rows that count one row among their neighbours, as a
multiple of k) and, per variant, the label agreement of a drawn edge (the
chance that a row's drawn edge joins it to a row with the same label).

Run from the repository root (``--jobs 2``: two processes, one thread each)::

    python benchmarks/edge_weights.py [--seeds 2] [--datasets mnist,ehgdp] [--jobs 2]

Writes ``results/edge_weights.md``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import scipy.sparse as sp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine, markdown_table, mean_ci, one_thread, write
from ablation import evaluate
from embedding_quality import load, split

from skddvi.graph import knn_adjacency, membership_graph, mutual_adjacency
from skddvi.neighbors import neighbor_graph

VARIANTS = ("uniform", "fuzzy", "mutual")
K = 15  # DDVIEmbedding's default n_neighbors


def hubness(indices: np.ndarray) -> float:
    """Largest in-degree of the kNN graph over k (1 when no row is a hub)."""
    k = indices.shape[1]
    return float(np.bincount(indices.ravel(), minlength=len(indices)).max() / k)


def edge_agreement(graph: sp.csr_matrix, y: np.ndarray) -> float:
    """Chance that a row's drawn edge (in proportion to its weight) keeps its label."""
    coo = graph.tocoo()
    keep = coo.data * (y[coo.row] == y[coo.col])
    same = sp.csr_matrix((keep, (coo.row, coo.col)), shape=graph.shape)
    totals = np.asarray(graph.sum(axis=1)).ravel()
    agree = np.asarray(same.sum(axis=1)).ravel()
    has_edges = totals > 0
    return float(np.mean(agree[has_edges] / totals[has_edges]))


def graphs(X: np.ndarray) -> tuple[float, dict[str, sp.csr_matrix]]:
    """The kNN graph's hubness, and the graph each variant draws edges from."""
    indices, distances = neighbor_graph(X, K, return_distance=True)
    return hubness(indices), {
        "uniform": knn_adjacency(indices),
        "fuzzy": membership_graph(indices, distances),
        "mutual": mutual_adjacency(indices),
    }


def training_rows(name: str, mnist_train: int) -> tuple[np.ndarray, np.ndarray]:
    """The training rows of seed 0's split of ``embedding_quality.py``."""
    X, y = load(name)
    train, _ = split(name, X, y, mnist_train, np.random.default_rng(0))
    return np.asarray(X)[train], np.asarray(y)[train]


def run_one(name: str, variant: str, seed: int, mnist_train: int, pin: bool) -> dict:
    """One fit of one variant; ``pin``: on one thread (a worker of ``--jobs``)."""
    if pin:
        one_thread()
    X, y = training_rows(name, mnist_train)
    # The graph on the features (graph_pca=None), whose hubness the table gives.
    return evaluate({"edge_weights": variant, "graph_pca": None}, X, y, seed)


def main() -> None:
    from joblib import Parallel, delayed

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="digits,mnist,pbmc68k,ehgdp,iris")
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--mnist-train", type=int, default=10_000)
    parser.add_argument("--jobs", type=int, default=1, help="processes, one thread each")
    args = parser.parse_args()

    names = args.datasets.split(",")
    tasks = [(n, v, seed) for n in names for v in VARIANTS for seed in range(args.seeds)]
    pin = args.jobs != 1
    done = Parallel(n_jobs=args.jobs)(
        delayed(run_one)(*task, args.mnist_train, pin) for task in tasks
    )
    runs = dict(zip(tasks, done))
    rows = []
    for name in names:
        X, y = training_rows(name, args.mnist_train)
        hub, variant_graphs = graphs(X)
        for variant in VARIANTS:
            fits = [runs[name, variant, seed] for seed in range(args.seeds)]
            print(name, variant, fits, flush=True)
            rows.append(
                [
                    name,
                    f"{hub:.1f}",
                    variant,
                    f"{edge_agreement(variant_graphs[variant], y):.3f}",
                    mean_ci([r["knn"] for r in fits]),
                    mean_ci([r["trust"] for r in fits]),
                    f"{np.mean([r['fit'] for r in fits]):.1f}",
                ]
            )
    header = ["data", "hubness", "edge_weights", "edge agreement", "10-NN acc", "trust", "fit s"]
    command = " ".join(["python benchmarks/edge_weights.py", *sys.argv[1:]])
    text = (
        "# Edge weights: uniform kNN edges, UMAP's fuzzy graph, the mutual kNN graph\n\n"
        f"Machine: {machine()}{'; every fit on one thread' if pin else ''}.\n\n"
        f"Command: `{command}`. Mean ± 95% CI over {args.seeds} "
        "seeds; training rows of the splits of `embedding_quality.py` (MNIST: "
        f"{args.mnist_train} training images). Hubness: the largest number of rows that "
        f"count one row among their {K} nearest neighbours, divided by {K}. Edge agreement: "
        "the chance that a row's drawn edge joins it to a row with the same label (mean "
        "over rows with edges).\n\n" + markdown_table(header, rows) + "\n"
    )
    write("edge_weights.md", text)
    print(text)


if __name__ == "__main__":
    main()
