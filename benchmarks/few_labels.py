"""Semi-supervised fits of digits with few labels: ``predict`` against the map.

For each (labels, prior) setting and seed: digits with 100 rows labelled
(drawn by the seed, or the first 100 rows as in earlier README examples), the
rest -1. Prints the accuracy on the unlabelled rows of ``predict`` (the
classifier ``q(l | x)``), of a 10-NN classifier of the labelled rows'
embeddings in the same fit's map, and of the same 10-NN classifier in the map
of a fit without labels. The README's "Clusters and labels" quotes it.

Run from the repository root (one torch thread a fit, one fit at a time,
one to two minutes a line)::

    python benchmarks/few_labels.py
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from sklearn.datasets import load_digits
from sklearn.neighbors import KNeighborsClassifier

from skddvi import DDVIEmbedding


def _labelled(n_rows: int, split: str, seed: int) -> np.ndarray:
    if split == "first":
        return np.arange(100)
    return np.random.default_rng(seed).choice(n_rows, 100, replace=False)


def _knn(Z: np.ndarray, y: np.ndarray, labelled: np.ndarray, unlabelled: np.ndarray) -> float:
    classifier = KNeighborsClassifier(10).fit(Z[labelled], y[labelled])
    return float((classifier.predict(Z[unlabelled]) == y[unlabelled]).mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=2)
    args = parser.parse_args()
    X, y = load_digits(return_X_y=True)
    for split, prior in (("random", "gaussian"), ("first", "pinwheel")):
        for seed in range(args.seeds):
            labelled = _labelled(len(y), split, seed)
            y_partial = np.full_like(y, -1)
            y_partial[labelled] = y[labelled]
            unlabelled = y_partial == -1
            start = time.perf_counter()
            model = DDVIEmbedding(prior=prior, random_state=seed, n_jobs=1).fit(X, y_partial)
            predicted = float((model.predict(X)[unlabelled] == y[unlabelled]).mean())
            in_map = _knn(model.embedding_, y, labelled, unlabelled)
            plain = DDVIEmbedding(random_state=seed, n_jobs=1).fit(X).embedding_
            print(
                f"100 labels ({split}), prior={prior}, seed {seed}: predict {predicted:.3f}, "
                f"10-NN in its map {in_map:.3f}, in an unlabelled fit's map "
                f"{_knn(plain, y, labelled, unlabelled):.3f} "
                f"({time.perf_counter() - start:.0f} s)",
                flush=True,
            )


if __name__ == "__main__":
    main()
