"""Epochs and batch size on MNIST 70k: fit time, 10-NN accuracy, trustworthiness.

The measurement behind ``batch_size="auto"``: DDVIEmbedding (defaults
otherwise, seed 0) on all 70,000 MNIST images for each (epochs, batch size)
pair, after one untimed warm-up fit (CUDA start-up). 10-NN accuracy (5-fold)
and trustworthiness (k=10) on a 5,000-row subsample. Meant for a GPU (each
fit takes seconds there and minutes on a CPU).

Run from the repository root::

    python benchmarks/batch_size.py --output-suffix _gpu

Writes ``results/batch_size{suffix}.md``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine, markdown_table, timer, write
from datasets import load_mnist

from skddvi import DDVIEmbedding
from skddvi.metrics import knn_accuracy, trustworthiness

GRID = [(40, 1024), (20, 1024), (40, 2048), (20, 2048), (40, 4096), (80, 4096), (80, 2048)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--output-suffix", default="")
    args = parser.parse_args()
    X, y = load_mnist()
    sub = np.random.default_rng(0).permutation(len(X))[:5000]
    DDVIEmbedding(n_epochs=1, device=args.device).fit(X[:5000])  # warm-up, untimed
    rows = []
    for n_epochs, batch_size in GRID:
        model = DDVIEmbedding(
            n_epochs=n_epochs, batch_size=batch_size, random_state=0, device=args.device
        )
        with timer() as fit_time:
            Z = model.fit_transform(X)
        rows.append(
            [
                str(n_epochs),
                str(batch_size),
                str(n_epochs * -(-len(X) // batch_size)),
                f"{fit_time():.1f}",
                f"{knn_accuracy(Z[sub], y[sub]):.3f}",
                f"{trustworthiness(X[sub], Z[sub], n_neighbors=10):.3f}",
            ]
        )
        print(rows[-1], flush=True)
    command = " ".join(["python benchmarks/batch_size.py", *sys.argv[1:]])
    header = ["epochs", "batch", "steps", "fit s", "10-NN acc", "trust"]
    text = (
        "# Epochs and batch size on MNIST 70k\n\n"
        f"Machine: {machine()}.\n\nCommand: `{command}`.\n\n" + markdown_table(header, rows) + "\n"
    )
    write(f"batch_size{args.output_suffix}.md", text)
    print(text)


if __name__ == "__main__":
    main()
