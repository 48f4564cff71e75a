"""Fits with labels: ``fit(X, y)`` against UMAP's supervised mode, over seeds.

UMAP users pass ``y`` to ``fit_transform`` to get an embedding whose classes
are apart. For each set and seed, 20% of the rows are held out; each method
is fitted on the labelled training rows, with and without the labels, and
reports:

- ``ARI``: KMeans (k = number of classes) on the training embedding against
  the labels, the bar of umap-learn's own supervised test (0.95 on iris);
- ``trust``: trustworthiness (k=10) of the training embedding;
- ``held-out 10-NN``: held-out rows embedded by ``transform`` (no labels),
  classified by their 10 nearest training rows in the embedding;
- with 10% of the training rows labelled (stratified, the rest -1):
  ``unlabelled k-NN``, the unlabelled training rows classified by their
  k nearest labelled rows in the embedding (k: 10, or fewer where a class
  has fewer labelled rows), and for DDVIEmbedding
  ``predict``'s accuracy on them (the classifier its ``label_source_``
  names);
- for DDVIEmbedding fitted with labels (all or a tenth): ``held-out
  predict``, ``predict``'s accuracy on the held-out rows.

Sets: scikit-learn's iris, wine and breast cancer (the last two
standardised) and digits. Run from the repository root (one process per
core, one thread each)::

    python benchmarks/supervised.py --seeds 3 --jobs 2

Writes ``results/supervised.md``.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine, one_thread, rows_table, run_over_seeds, write
from seeds import load

SETS = "iris,wine,breast_cancer,digits"
METHODS = ("DDVIEmbedding", "UMAP")
METRICS = {
    "ari": "ARI",
    "trust": "trust",
    "heldout_knn": "held-out 10-NN",
    "unlabelled_knn": "unlabelled k-NN",
    "predict": "predict",
    "heldout_predict": "held-out predict",
}
LABELLED = 0.1


def run_one(name: str, seed: int) -> dict:
    """Every method with all, a tenth of, and none of the labels on one split:
    ``{row: {metric: value}}``."""
    import umap
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score
    from sklearn.model_selection import train_test_split
    from sklearn.neighbors import KNeighborsClassifier

    from skddvi import DDVIEmbedding
    from skddvi.metrics import trustworthiness

    one_thread()
    X, y = load(name)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.2, random_state=seed, stratify=y
    )
    factories = {
        "DDVIEmbedding": lambda: DDVIEmbedding(random_state=seed),
        "UMAP": lambda: umap.UMAP(random_state=seed),
    }
    k = len(np.unique(y))
    few = np.full(len(y_train), -1)
    keep, _ = train_test_split(
        np.arange(len(y_train)), train_size=LABELLED, random_state=seed, stratify=y_train
    )
    few[keep] = y_train[keep]
    rows = {}
    for method, factory in factories.items():
        for setting, target in (("with labels", y_train), ("10% labels", few), ("no labels", None)):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model = factory().fit(X_train, target)
                Z_test = model.transform(X_test)
            Z = model.embedding_
            clusters = KMeans(k, n_init=10, random_state=0).fit_predict(Z)
            knn = KNeighborsClassifier(10).fit(Z, y_train)
            row = {
                "ari": adjusted_rand_score(y_train, clusters),
                "trust": float(trustworthiness(X_train, Z, n_neighbors=10)),
                "heldout_knn": knn.score(Z_test, y_test),
                "unlabelled_knn": np.nan,
                "predict": np.nan,
                "heldout_predict": np.nan,
            }
            if target is not None and hasattr(model, "label_source_"):
                row["heldout_predict"] = np.mean(model.predict(X_test) == y_test)
                print(name, seed, setting, "label_source_:", model.label_source_, flush=True)
            if setting == "10% labels":
                unlabelled = few < 0
                n_knn = min(10, np.bincount(few[keep]).min())  # no class outvoted by size
                few_knn = KNeighborsClassifier(n_knn).fit(Z[keep], y_train[keep])
                row["unlabelled_knn"] = few_knn.score(Z[unlabelled], y_train[unlabelled])
                if hasattr(model, "predict"):
                    row["predict"] = np.mean(
                        model.predict(X_train[unlabelled]) == y_train[unlabelled]
                    )
            rows[f"{method} ({setting})"] = row
    print(name, seed, rows, flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default=SETS)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=1, help="processes, one thread each")
    args = parser.parse_args()

    names = args.datasets.split(",")
    results = run_over_seeds(run_one, names, args.seeds, args.jobs)

    command = " ".join(["python benchmarks/supervised.py", *sys.argv[1:]])
    text = (
        "# Fits with labels: DDVIEmbedding.fit(X, y) against UMAP's supervised mode\n\n"
        f"Machine: {machine()}; every fit on one thread.\n\nCommand: `{command}`.\n\n"
        f"Seeds 0 to {args.seeds - 1}: each holds out its own stratified 20% of the rows and "
        "seeds both methods (defaults otherwise). Mean ± 95% interval over the seeds. ARI: "
        "KMeans (k = number of classes) on the training embedding against the labels. "
        "trust: trustworthiness (k=10) of the training embedding. held-out 10-NN: the "
        "held-out rows, embedded by `transform` without their labels, classified by their "
        "10 nearest training rows in the embedding. 10% labels: a stratified tenth of the "
        "training rows keep their labels, the rest are -1; unlabelled k-NN classifies "
        "the unlabelled training rows by their k nearest labelled rows in the embedding "
        "(k = 10, or the fewest labelled rows of a class where that is less: 4 on iris), "
        "predict is DDVIEmbedding's own classifier on them (the one its `label_source_` "
        "names; the run's log prints which). held-out predict: the same classifier on the "
        "held-out rows, after a fit with all or a tenth of the labels. wine and "
        "breast_cancer are standardised.\n\n" + rows_table(results, names, METRICS) + "\n"
    )
    write("supervised.md", text)
    print(text)


if __name__ == "__main__":
    main()
