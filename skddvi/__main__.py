"""The main job: embed the digits data set, print quality metrics, write a PNG.

Run ``python -m skddvi`` (or ``skddvi-digits``); ``--help`` lists the options.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from sklearn.datasets import load_digits

from . import DDVIEmbedding
from ._checks import resolve_device
from .metrics import cluster_embedding, cluster_purity, knn_accuracy, trustworthiness


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m skddvi",
        description="Embed scikit-learn's digits (1797 x 64) with DDVIEmbedding.",
    )
    parser.add_argument(
        "--output",
        default="ddvi_digits.png",
        help="figure to write (its extension picks the format: .png, .pdf, .svg, ...)",
    )
    parser.add_argument("--posterior", default="diffusion", choices=["diffusion", "gaussian"])
    parser.add_argument(
        "--n-epochs", type=_positive_int, default=None, help="default: from data size"
    )
    parser.add_argument(
        "--random-state", type=_seed, default=0, help="seed of the fit (default: 0)"
    )
    parser.add_argument(
        "--device", default="auto", help="cpu, cuda, cuda:1, ... (default: auto, CUDA if any)"
    )
    parser.add_argument(
        "--n-jobs",
        type=_n_jobs,
        default=None,
        help="CPU threads (-1: all cores; default: torch's setting)",
    )
    parser.add_argument("--verbose", action="store_true", help="show a progress bar")
    args = parser.parse_args(argv)
    # Everything that could fail after the fit is checked before it.
    problem = _output_problem(args.output) or _device_problem(args.device)
    if problem:
        parser.error(problem)

    from sklearn.metrics import normalized_mutual_info_score

    X, y = load_digits(return_X_y=True)
    model = DDVIEmbedding(
        posterior=args.posterior,
        n_epochs=args.n_epochs,
        random_state=args.random_state,
        device=args.device,
        n_jobs=args.n_jobs,
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


def _seed(text: str) -> int:
    value = int(text)
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(f"must be an int from 0 to 2**32 - 1, got {value}")
    return value


def _n_jobs(text: str) -> int:
    value = int(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be a non-zero int (-1: all cores)")
    return value


# argparse names the type in "invalid <name> value".
_positive_int.__name__ = "positive int"
_seed.__name__ = "seed"
_n_jobs.__name__ = "n_jobs"


def _output_problem(output: str) -> str | None:
    """Why the figure cannot be written to ``output``, or None."""
    path = Path(output)
    if path.is_dir():
        return f"--output {output}: a folder; give a file name such as ddvi_digits.png"
    folder = path.resolve().parent
    if not folder.is_dir():
        return f"--output {output}: its folder does not exist"
    if not _writable(folder):
        return f"--output {output}: its folder is not writable"
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
    except ImportError:
        return "the figure needs matplotlib: pip install 'skddvi[plot]'"
    # PGF needs a LaTeX installation (xelatex), which the check cannot vouch for.
    formats = set(FigureCanvasAgg.get_supported_filetypes()) - {"pgf"}
    if path.suffix.lower().lstrip(".") not in formats:
        return f"--output {output}: the extension must be one of ." + ", .".join(sorted(formats))
    return None


def _writable(folder: Path) -> bool:
    """Whether a file can be created in ``folder`` (tried: permissions alone
    do not tell, e.g. for root or read-only mounts)."""
    try:
        with tempfile.TemporaryFile(dir=folder):
            return True
    except OSError:
        return False


def _device_problem(device: str) -> str | None:
    try:
        resolve_device(device)
    except ValueError as error:
        return f"--device {device}: {error}"
    return None


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
