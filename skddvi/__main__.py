"""The main job: embed the digits data set, print quality metrics, write a PNG.

Run ``python -m skddvi`` (or ``skddvi-digits``); ``--help`` lists the options.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from sklearn.datasets import load_digits

from . import DDVIEmbedding
from .metrics import cluster_embedding, cluster_purity, knn_accuracy, trustworthiness


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m skddvi",
        description="Embed scikit-learn's digits (1797 x 64) with DDVIEmbedding.",
    )
    parser.add_argument("--output", default="ddvi_digits.png", help="PNG to write")
    parser.add_argument("--posterior", default="diffusion", choices=["diffusion", "gaussian"])
    parser.add_argument(
        "--n-epochs", type=_positive_int, default=None, help="default: from data size"
    )
    parser.add_argument("--random-state", type=int, default=0)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--verbose", action="store_true", help="show a progress bar")
    args = parser.parse_args(argv)
    if not Path(args.output).resolve().parent.is_dir():
        parser.error(f"--output {args.output}: its folder does not exist")

    from sklearn.metrics import normalized_mutual_info_score

    X, y = load_digits(return_X_y=True)
    model = DDVIEmbedding(
        posterior=args.posterior,
        n_epochs=args.n_epochs,
        random_state=args.random_state,
        device=args.device,
        verbose=args.verbose,
    )
    start = time.perf_counter()
    Z = model.fit_transform(X)
    seconds = time.perf_counter() - start
    clusters = cluster_embedding(Z, n_clusters=10)
    print(
        f"DDVIEmbedding on digits {X.shape}: {model.n_iter_} epochs on {model.device_} "
        f"in {seconds:.1f} s"
    )
    print(f"  trustworthiness (k=10)       {trustworthiness(X, Z, n_neighbors=10):.3f}")
    print(f"  10-NN accuracy (5-fold)      {knn_accuracy(Z, y):.3f}")
    print(f"  KMeans(10) NMI               {normalized_mutual_info_score(y, clusters):.3f}")
    print(f"  KMeans(10) purity            {cluster_purity(y, clusters):.3f}")
    print(f"  ELBO (score, nats per row)   {model.score(X):.2f}")
    _save_figure(Z, y, args.output, f"DDVIEmbedding of digits ({args.posterior} posterior)")
    print(f"wrote {args.output}")
    return 0


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive int, got {value}")
    return value


def _save_figure(Z, y, path: str, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .plot import plot_embedding

    fig, ax = plt.subplots(figsize=(6.5, 5.5))
    plot_embedding(Z, y, ax=ax, title=title)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


if __name__ == "__main__":
    raise SystemExit(main())
