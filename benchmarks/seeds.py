"""DDVIEmbedding (defaults) against umap-learn over several splits and seeds.

``embedding_quality.py`` is one run (seed 0); this script repeats its split and
evaluation for seeds ``0 .. n-1`` (each seed draws its own held-out rows and
seeds both methods) and reports, per data set, each method's mean ± 95%
interval and the paired difference DDVIEmbedding minus UMAP (same split, same
seed) for:

- 10-NN accuracy (5-fold) and trustworthiness (k=10) of the training embedding;
- the held-out gap: trustworthiness of the held-out rows' embedding
  (``transform``) minus that of as many training rows.

Besides the five sets of ``embedding_quality.py`` it runs two that no default
was chosen on, standardised (as one would give them to UMAP): scikit-learn's
wine (178 x 13) and breast cancer (569 x 30). ``OTHER_SETS`` are more sets no
default was chosen on, each a shape of data the others lack: manifolds (S-curve,
Swiss roll, circles, moons), separated blobs in 20 dimensions, data without
low-dimensional structure (a 10-dimensional Gaussian, sklearn's
``make_classification``) and a small standardised table (diabetes).

Run from the repository root (one process per core, one thread each)::

    python benchmarks/seeds.py --seeds 5 --jobs 2
    python benchmarks/seeds.py --datasets other --seeds 3 --jobs 2 --output other_sets.md
    python benchmarks/seeds.py --datasets ehgdp,pbmc68k,mnist --pca 50 --jobs 2 --output pca.md
    python benchmarks/seeds.py --datasets ehgdp,pbmc68k,mnist --ddvi graph_pca=50 --jobs 2 \
        --output graph_pca.md

``--ddvi key=value,...`` sets parameters of DDVIEmbedding (values read as
JSON, else as strings); ``--pca K`` puts ``PCA(K)`` in front of both methods (a ``Pipeline``), as is
usual for UMAP on wide data; trustworthiness is still measured on the input.

Writes ``results/seeds.md`` (or ``--output``).
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from functools import partial
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine, markdown_table, mean_ci, one_thread, run_over_seeds, write

SETS = "iris,wine,breast_cancer,digits,pbmc68k,ehgdp,mnist"
METRICS = {"knn": "10-NN acc", "trust": "trust", "gap": "held-out gap"}
OTHER_SETS = "circles,moons,s_curve,swiss_roll,blobs,gaussian,classification,diabetes"
OTHER_SETS_TEXT = (
    "The sets: sklearn's `make_circles` (1,000 rows, noise 0.05, factor 0.5) and "
    "`make_moons` (1,000, noise 0.05); `make_s_curve` and `make_swiss_roll` (2,000 rows "
    "in 3-D, noise 0.05; labels: the manifold coordinate cut at its quintiles); "
    "`make_blobs` (3,000 rows, 20 features, 10 centres, standard deviation 2); 'gaussian', "
    "1,500 rows of a standard 10-dimensional Gaussian (labels: the sign of the first "
    "coordinate), and `make_classification` (2,000 rows, 30 features of which 10 "
    "informative, 4 classes of 2 clusters each, standardised): data without a "
    "low-dimensional structure; and the diabetes table (442 x 10, standardised; labels: "
    "the target cut at its terciles). Each set is drawn once (random_state=0); the seeds "
    "vary the split and the fits."
)
WIDE_SETS = "gaussian_200,classification_300,blobs_500,roll_200"
WIDE_SETS_TEXT = (
    "The sets, wide and drawn once (random_state=0), none used to choose a default: "
    "'gaussian_200', 1,500 rows of a standard 200-dimensional Gaussian (labels: the sign "
    "of the first coordinate), no structure at all; `make_classification` (2,000 rows, "
    "300 features of which 20 informative and 20 redundant, 4 classes of 2 clusters each, "
    "standardised); `make_blobs` (2,000 rows, 500 features, 10 centres, standard deviation "
    "4); 'roll_200', sklearn's Swiss roll (2,000 rows) turned into 200 dimensions by a "
    "random orthonormal map, plus Gaussian noise of standard deviation 0.2 in every "
    "dimension (labels: the roll's coordinate cut at its quintiles): a low-dimensional "
    "manifold under wide noise."
)


def _gaussian(n_features: int):
    """1,500 rows of a standard Gaussian, labelled by the sign of the first coordinate."""
    X = np.random.default_rng(0).normal(size=(1500, n_features))
    return X, (X[:, 0] > 0).astype(int)


def _classification(n_features: int, n_informative: int, n_redundant: int):
    """2,000 standardised rows of ``make_classification``: 4 classes of 2 clusters."""
    from sklearn.datasets import make_classification
    from sklearn.preprocessing import StandardScaler

    X, y = make_classification(
        2000,
        n_features=n_features,
        n_informative=n_informative,
        n_redundant=n_redundant,
        n_classes=4,
        n_clusters_per_class=2,
        random_state=0,
    )
    return StandardScaler().fit_transform(X), y


def _other_set(name: str):
    """``(X, y)`` of one of ``OTHER_SETS`` (described in ``OTHER_SETS_TEXT``)."""
    from sklearn import datasets
    from sklearn.preprocessing import StandardScaler

    if name in ("s_curve", "swiss_roll"):
        X, t = getattr(datasets, f"make_{name}")(2000, noise=0.05, random_state=0)
        return X, np.digitize(t, np.quantile(t, [0.2, 0.4, 0.6, 0.8]))
    if name == "circles":
        return datasets.make_circles(1000, noise=0.05, factor=0.5, random_state=0)
    if name == "moons":
        return datasets.make_moons(1000, noise=0.05, random_state=0)
    if name == "blobs":
        return datasets.make_blobs(3000, n_features=20, centers=10, cluster_std=2.0, random_state=0)
    if name == "gaussian":
        return _gaussian(10)
    if name == "classification":
        return _classification(n_features=30, n_informative=10, n_redundant=2)
    X, target = datasets.load_diabetes(return_X_y=True)
    return StandardScaler().fit_transform(X), np.digitize(
        target, np.quantile(target, [1 / 3, 2 / 3])
    )


def _wide_set(name: str):
    """``(X, y)`` of one of ``WIDE_SETS`` (described in ``WIDE_SETS_TEXT``)."""
    from sklearn import datasets

    if name == "gaussian_200":
        return _gaussian(200)
    if name == "classification_300":
        return _classification(n_features=300, n_informative=20, n_redundant=20)
    if name == "blobs_500":
        return datasets.make_blobs(
            2000, n_features=500, centers=10, cluster_std=4.0, random_state=0
        )
    rng = np.random.default_rng(0)
    roll, t = datasets.make_swiss_roll(2000, random_state=0)
    rotation, _ = np.linalg.qr(rng.normal(size=(200, 3)))
    X = roll @ rotation.T + rng.normal(scale=0.2, size=(2000, 200))
    return X, np.digitize(t, np.quantile(t, [0.2, 0.4, 0.6, 0.8]))


def load(name: str):
    """``(X, y)`` of a set of ``embedding_quality.py``, a standardised sklearn set
    (wine, breast_cancer) or one of ``OTHER_SETS``."""
    if name in OTHER_SETS.split(","):
        return _other_set(name)
    if name in WIDE_SETS.split(","):
        return _wide_set(name)
    if name in ("wine", "breast_cancer"):
        from sklearn import datasets
        from sklearn.preprocessing import StandardScaler

        X, y = getattr(datasets, f"load_{name}")(return_X_y=True)
        return StandardScaler().fit_transform(X), y
    import embedding_quality

    return embedding_quality.load(name)


def run_one(
    name: str, seed: int, mnist_train: int, pca: int | None = None, ddvi: dict | None = None
) -> dict:
    """Both methods on one split of one set: ``{method: {metric: value}}``; with
    ``pca``, each behind ``PCA(pca)`` in a ``Pipeline``."""
    import umap
    from embedding_quality import evaluate, split
    from sklearn.decomposition import PCA
    from sklearn.pipeline import make_pipeline

    from skddvi import DDVIEmbedding

    one_thread()
    X, y = load(name)
    train, test = split(name, X, y, mnist_train, np.random.default_rng(seed))
    methods = {"DDVIEmbedding": partial(DDVIEmbedding, **(ddvi or {})), "UMAP": umap.UMAP}

    def make_factory(method):
        if pca is None:
            return lambda: methods[method](random_state=seed)
        return lambda: make_pipeline(
            PCA(pca, random_state=seed), methods[method](random_state=seed)
        )

    factories = {method: make_factory(method) for method in methods}
    rows = {}
    for method, factory in factories.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            row, _ = evaluate(factory, X[train], y[train], X[test], np.random.default_rng(seed))
        rows[method] = {
            "knn": row["knn"],
            "trust": float(row["trust"]),
            "gap": float(row["trust_heldout"] - row["trust_same_n"]),
            "fit": row["fit"],
        }
    print(name, seed, rows, flush=True)
    return rows


def summarise(results: dict, names: list[str], columns: dict = METRICS) -> str:
    header = ["data", "method", *columns.values()]
    table = []
    for name in names:
        runs = results[name]
        for method in ("DDVIEmbedding", "UMAP"):
            values = [mean_ci([r[method][m] for r in runs]) for m in columns]
            table.append([name, method, *values])
        diffs = [mean_ci([r["DDVIEmbedding"][m] - r["UMAP"][m] for r in runs]) for m in columns]
        table.append([name, "difference (paired)", *diffs])
    return markdown_table(header, table)


def _parameter(item: str) -> tuple[str, object]:
    """``"key=value"`` as ``(key, value)``, the value read as JSON when it parses."""
    key, value = item.split("=", 1)
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--datasets",
        default=SETS,
        help=f"comma-separated, or 'other': {OTHER_SETS}, or 'wide': {WIDE_SETS}",
    )
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--mnist-train", type=int, default=10_000)
    parser.add_argument("--jobs", type=int, default=1, help="processes, one thread each")
    parser.add_argument("--output", default="seeds.md", help="file name under results/")
    parser.add_argument("--pca", type=int, default=None, help="PCA(K) in front of both methods")
    parser.add_argument("--ddvi", default="", help="DDVIEmbedding parameters: key=value,...")
    args = parser.parse_args()

    groups = {"other": (OTHER_SETS, OTHER_SETS_TEXT), "wide": (WIDE_SETS, WIDE_SETS_TEXT)}
    default_text = "wine and breast_cancer are standardised; no default was chosen on them."
    sets, sets_text = groups.get(args.datasets, (args.datasets, default_text))
    names = sets.split(",")
    ddvi = dict(_parameter(item) for item in args.ddvi.split(",") if item)
    results = run_over_seeds(
        run_one, names, args.seeds, args.jobs, args.mnist_train, args.pca, ddvi
    )

    command = " ".join(["python benchmarks/seeds.py", *sys.argv[1:]])
    text = (
        "# DDVIEmbedding (defaults) against UMAP over seeds\n\n"
        f"Machine: {machine()}; every fit on one thread.\n\nCommand: `{command}`.\n\n"
        f"Seeds 0 to {args.seeds - 1}: each draws its own split (20% of rows held out"
        + (
            f"; MNIST: {args.mnist_train} training images, the 10,000 test images held out"
            if "mnist" in names
            else ""
        )
        + ") and "
        "seeds both methods (umap-learn and DDVIEmbedding with their defaults"
        + (
            f"; DDVIEmbedding with {', '.join(f'{k}={v!r}' for k, v in ddvi.items())}"
            if ddvi
            else ""
        )
        + (
            f", each behind `PCA({args.pca})` in a `Pipeline`; trustworthiness is measured "
            "on the input, before PCA; 'fit s' includes the PCA"
            if args.pca
            else ""
        )
        + "). Mean ± 95% "
        "interval over the seeds; 'difference (paired)' is DDVIEmbedding minus UMAP on the "
        "same split. 10-NN accuracy (5-fold) and trustworthiness (k=10, at most 5,000 rows) "
        "of the training embedding; 'held-out gap' is the trustworthiness of the held-out "
        "rows' embedding (`transform`) minus that of as many training rows. "
        + sets_text
        + "\n\n"
        + summarise(results, names, {**METRICS, "fit": "fit s"} if args.pca else METRICS)
        + "\n"
    )
    write(args.output, text)
    print(text)


if __name__ == "__main__":
    main()
