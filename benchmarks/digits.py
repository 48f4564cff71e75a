"""DDVIEmbedding beside UMAP, t-SNE and PCA on scikit-learn's digits (1797 x 64).

Writes ``results/digits.md`` (a table, mean ± 95% CI over seeds) and
``results/digits.png`` (the seed-0 embeddings). Run from the repository root::

    python benchmarks/digits.py            # 3 seeds, about 10 minutes on 2 cores
    python benchmarks/digits.py --device cuda --output-suffix _gpu

Columns: trustworthiness (k=10), 10-NN accuracy (5-fold), NMI of KMeans(10)
against the digit labels, the ELBO (``score``, nats per row; DDVI models
only), fit time and the time to transform 10,000 rows (resampled digits).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.manifold import TSNE
from sklearn.metrics import normalized_mutual_info_score

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import RESULTS, machine, markdown_table, mean_ci, timer, write

from skddvi import DDVIEmbedding
from skddvi.metrics import cluster_embedding, knn_accuracy, trustworthiness


def methods(device: str):
    """name -> factory(seed), in table order."""
    table = {
        "DDVIEmbedding (diffusion, defaults)": lambda s: DDVIEmbedding(
            random_state=s, device=device
        ),
        "DDVIEmbedding (gaussian = AEVB)": lambda s: DDVIEmbedding(
            posterior="gaussian", random_state=s, device=device
        ),
        "DDVIEmbedding (diffusion, plain model: graph_weight=0)": lambda s: DDVIEmbedding(
            graph_weight=0.0, random_state=s, device=device
        ),
        "DDVIEmbedding (gaussian, plain model: graph_weight=0)": lambda s: DDVIEmbedding(
            posterior="gaussian", graph_weight=0.0, random_state=s, device=device
        ),
    }
    try:
        import umap

        table["UMAP (umap-learn defaults)"] = lambda s: umap.UMAP(random_state=s)
    except ImportError:
        print("umap-learn is not installed: no UMAP row", file=sys.stderr)
    table["t-SNE (scikit-learn defaults)"] = lambda s: TSNE(random_state=s)
    table["PCA"] = lambda s: PCA(2, random_state=s)
    return table


def run_one(factory, seed, X, y, X_new):
    model = factory(seed)
    with timer() as fit_time:
        Z = model.fit_transform(X)
    row = {
        "trust": trustworthiness(X, Z, n_neighbors=10),
        "knn": knn_accuracy(Z, y),
        "nmi": normalized_mutual_info_score(y, cluster_embedding(Z, 10)),
        "fit": fit_time(),
    }
    if hasattr(model, "score_samples") and isinstance(model, DDVIEmbedding):
        row["elbo"] = model.score(X)
    if hasattr(model, "transform") and not isinstance(model, TSNE):
        with timer() as transform_time:
            model.transform(X_new)
        row["transform"] = transform_time()
    return row, Z


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--output-suffix", default="")
    args = parser.parse_args()

    X, y = load_digits(return_X_y=True)
    X_new = X[np.random.default_rng(0).integers(len(X), size=10_000)]
    results, embeddings = {}, {}
    for name, factory in methods(args.device).items():
        rows = []
        for seed in range(args.seeds):
            row, Z = run_one(factory, seed, X, y, X_new)
            rows.append(row)
            embeddings.setdefault(name, Z)
            print(name, seed, {k: round(v, 4) for k, v in row.items()}, flush=True)
        results[name] = rows

    def cell(rows, key, fmt=mean_ci):
        values = [r[key] for r in rows if key in r]
        return fmt(values) if values else "n/a"

    def seconds(values):
        return f"{np.mean(values):.2f}"

    header = [
        "method",
        "trustworthiness",
        "10-NN accuracy",
        "KMeans NMI",
        "ELBO",
        "fit s",
        "transform 10k s",
    ]
    table = [
        [
            name,
            cell(r, "trust"),
            cell(r, "knn"),
            cell(r, "nmi"),
            cell(r, "elbo", lambda v: mean_ci(v).replace(".000", "")),
            cell(r, "fit", seconds),
            cell(r, "transform", seconds),
        ]
        for name, r in results.items()
    ]
    suffix = args.output_suffix
    text = (
        f"# Digits (1797 x 64): DDVIEmbedding beside UMAP, t-SNE and PCA\n\n"
        f"Machine: {machine()}.\n\n"
        f"Command: `python benchmarks/digits.py --seeds {args.seeds} --device {args.device}"
        f"{' --output-suffix ' + suffix if suffix else ''}`. Mean ± 95% CI over "
        f"{args.seeds} seeds; times are means.\n\n"
        + markdown_table(header, table)
        + "\n\nTrustworthiness with k=10; 10-NN accuracy with 5 stratified folds; NMI of "
        "KMeans(10, n_init=10) against the digit labels; ELBO = `score` (nats per row, "
        "KL weight 1); transform: 10,000 resampled digits rows.\n"
    )
    path = write(f"digits{suffix}.md", text)
    _figure(embeddings, y, RESULTS / f"digits{suffix}.png")
    print(text)
    print(f"wrote {path}")


def _figure(embeddings, y, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from skddvi.plot import plot_embedding

    n = len(embeddings)
    cols = min(n, 4)
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 4 * rows), squeeze=False)
    for ax, (name, Z) in zip(axes.flat, embeddings.items()):
        plot_embedding(Z, y, ax=ax, title=name.replace(" (", "\n("), point_size=3)
        ax.get_legend().remove()
    for ax in axes.flat[n:]:
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    main()
