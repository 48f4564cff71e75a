"""Epochs and batch size on MNIST 70k: fit time, 10-NN accuracy, trustworthiness.

The measurement behind ``batch_size="auto"`` and ``n_epochs=None`` for large
sets (on CUDA: 80 epochs of 4096 rows here; on the CPU: 43 of 2048):
DDVIEmbedding (defaults otherwise) on all 70,000 MNIST images for each
(epochs, batch size) pair,
after one untimed warm-up fit (CUDA start-up). 10-NN accuracy (5-fold) and
trustworthiness (k=10) on a 5,000-row subsample (the same rows for every fit
of a seed). Meant for a GPU (each fit takes seconds there and minutes on a
CPU).

``--seeds N`` repeats every pair for seeds 0 to N-1 (each seed draws the
subsample and seeds the fit) and reports mean ± 95% interval; ``--umap`` adds
umap-learn (defaults, one untimed warm-up fit first) on every seed, and the
paired difference of each pair against it; ``--grid`` replaces the pairs.

Run from the repository root::

    python benchmarks/batch_size.py --output-suffix _gpu
    python benchmarks/batch_size.py --seeds 3 --umap --grid 40x2048,80x4096,80x2048 \
        --output-suffix _seeds_gpu

Writes ``results/batch_size{suffix}.md``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine, markdown_table, mean_ci, timer, write
from datasets import load_mnist

from skddvi import DDVIEmbedding
from skddvi.metrics import knn_accuracy, trustworthiness

GRID = [(40, 1024), (20, 1024), (40, 2048), (20, 2048), (40, 4096), (80, 4096), (80, 2048)]


def _grid(text: str) -> list[tuple[int, int]]:
    """``"40x2048,80x4096"`` as ``[(40, 2048), (80, 4096)]``."""
    return [tuple(int(v) for v in item.split("x")) for item in text.split(",") if item]


def _quality(Z: np.ndarray, X: np.ndarray, y: np.ndarray, sub: np.ndarray) -> dict:
    return {
        "knn": knn_accuracy(Z[sub], y[sub]),
        "trust": trustworthiness(X[sub], Z[sub], n_neighbors=10),
    }


def _fit_ddvi(X, n_epochs: int, batch_size: int, seed: int, device: str):
    model = DDVIEmbedding(
        n_epochs=n_epochs, batch_size=batch_size, random_state=seed, device=device
    )
    with timer() as fit_time:
        Z = model.fit_transform(X)
    return Z, fit_time()


def _fit_umap(X):
    import umap

    # Unseeded, as speed.py runs it: a seeded umap-learn runs on one thread.
    with timer() as fit_time:
        Z = umap.UMAP().fit_transform(X)
    return Z, fit_time()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--output-suffix", default="")
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--grid", default=None, help="pairs EPOCHSxBATCH, comma-separated")
    parser.add_argument("--umap", action="store_true", help="add umap-learn on every seed")
    args = parser.parse_args()
    grid = GRID if args.grid is None else _grid(args.grid)
    X, y = load_mnist()
    DDVIEmbedding(n_epochs=1, device=args.device).fit(X[:5000])  # warm-up, untimed
    if args.umap:
        _fit_umap(X[:5000])  # warm-up (numba compilation), untimed
    runs: dict[str, list[dict]] = {}
    for seed in range(args.seeds):
        sub = np.random.default_rng(seed).permutation(len(X))[:5000]
        for n_epochs, batch_size in grid:
            Z, seconds = _fit_ddvi(X, n_epochs, batch_size, seed, args.device)
            result = {**_quality(Z, X, y, sub), "fit": seconds}
            runs.setdefault(f"{n_epochs}x{batch_size}", []).append(result)
            print(seed, n_epochs, batch_size, result, flush=True)
        if args.umap:
            Z, seconds = _fit_umap(X)
            runs.setdefault("umap", []).append({**_quality(Z, X, y, sub), "fit": seconds})
            print(seed, "umap", runs["umap"][-1], flush=True)
    rows = []
    for n_epochs, batch_size in grid:
        results = runs[f"{n_epochs}x{batch_size}"]
        steps = n_epochs * -(-len(X) // batch_size)
        rows.append(
            [str(n_epochs), str(batch_size), str(steps)]
            + [_summary([r[key] for r in results], key) for key in ("fit", "knn", "trust")]
        )
        if args.umap:
            diffs = [
                _summary([r[key] - u[key] for r, u in zip(results, runs["umap"])], key)
                for key in ("knn", "trust")
            ]
            rows[-1] += diffs
    if args.umap:
        umap_runs = runs["umap"]
        umap_row = [_summary([r[key] for r in umap_runs], key) for key in ("fit", "knn", "trust")]
        rows.append(["umap-learn", "", "", *umap_row, "", ""])
    command = " ".join(["python benchmarks/batch_size.py", *sys.argv[1:]])
    header = ["epochs", "batch", "steps", "fit s", "10-NN acc", "trust"]
    if args.umap:
        header += ["10-NN minus UMAP (paired)", "trust minus UMAP (paired)"]
    seeds = "seed 0" if args.seeds == 1 else f"seeds 0 to {args.seeds - 1}, mean ± 95% interval"
    text = (
        "# Epochs and batch size on MNIST 70k\n\n"
        f"Machine: {machine()}.\n\nCommand: `{command}`.\n\n"
        f"DDVIEmbedding (defaults otherwise; {seeds}) on all 70,000 images; 10-NN accuracy "
        "(5-fold) and trustworthiness (k=10) on 5,000 rows drawn by the seed.\n\n"
        + markdown_table(header, rows)
        + "\n"
    )
    write(f"batch_size{args.output_suffix}.md", text)
    print(text)


def _summary(values: list[float], key: str) -> str:
    if key == "fit":
        return f"{np.mean(values):.1f}"
    return mean_ci(values)


if __name__ == "__main__":
    main()
