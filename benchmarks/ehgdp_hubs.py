"""Who the hubs of eHGDP's kNN graph are: rows with many mean-imputed genotypes.

eHGDP stores allele counts (whole numbers) with missing genotypes, which
``datasets.load_ehgdp`` fills with the column mean, so an imputed entry is the
only kind that is not a whole number. A row with many imputed entries sits
near the centre of the data and among the nearest neighbours of most other
rows. On the training rows of ``edge_weights.py`` (the split of
``embedding_quality.py``) this prints, for the rows with the largest
in-degree in the 15-NN graph, their in-degree and imputed share, the
correlation of the two over all rows, and how often a row's neighbours share
its region; ``--metric manhattan`` does the same for that graph.

Run from the repository root::

    python benchmarks/ehgdp_hubs.py [--metric manhattan]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from embedding_quality import load, split

from skddvi.neighbors import neighbor_graph

K = 15


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--metric", default="euclidean", help="of the neighbour graph")
    metric = parser.parse_args().metric
    X, y = load("ehgdp")
    train, _ = split("ehgdp", X, y, 0, np.random.default_rng(0))
    X, y = np.asarray(X, dtype=np.float64)[train], y[train]
    neighbors = neighbor_graph(X, K, metric=metric)
    in_degree = np.bincount(neighbors.ravel(), minlength=len(X))
    imputed = (np.abs(X - np.round(X)) > 1e-4).mean(axis=1)
    print(f"{len(X)} training rows; imputed share per row: median {np.median(imputed):.3f}")
    print("row | in-degree (of 15-NN lists) | imputed share")
    for row in np.argsort(in_degree)[::-1][:5]:
        print(f"{row} | {in_degree[row]} | {imputed[row]:.3f}")
    r = np.corrcoef(in_degree, imputed)[0, 1]
    print(f"Pearson correlation of in-degree and imputed share over all rows: {r:.2f}")
    agreement = (y[neighbors] == y[:, None]).mean()
    print(f"{metric} graph: a row's {K} neighbours share its region at {agreement:.3f}")


if __name__ == "__main__":
    main()
