"""umap-learn's own quality tests, run against DDVIEmbedding and against UMAP.

umap-learn's test suite (``umap/tests/``) holds UMAP to quality bars on small
data: trustworthiness on iris and on uniform and sparse data, ``transform`` of
held-out iris rows, supervised and semi-supervised blobs, KMeans on the
embedding of blobs and of supervised iris, and ``inverse_transform`` on iris.
Code that swaps ``umap.UMAP`` for ``DDVIEmbedding`` meets the same bars, so this
script re-creates each test whose parameters DDVIEmbedding shares (same data,
same parameters, same threshold; UMAP-only parameters such as
``force_approximation_algorithm`` are left out) and runs it for both methods.

The tests fix ``random_state=42`` and draw their random data after
``np.random.seed(42)``; here seed ``s`` draws the data (where a test's data are
random) and seeds the estimator, for ``s`` in 42, 0, 1. The tests without a
``random_state`` (the sparse-data and blobs ones) are seeded alike.

Run from the repository root (one process per core, one thread each)::

    python benchmarks/umap_bars.py --jobs 2

Writes ``results/umap_bars.md``.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np
from scipy import sparse

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine, markdown_table, one_thread, write

SEEDS = (42, 0, 1)
SMALL = {"n_neighbors": 10, "min_dist": 0.01}


def _make(method: str, seed: int, **params):
    if method == "UMAP":
        from umap import UMAP

        return UMAP(random_state=seed, **params)
    from skddvi import DDVIEmbedding

    return DDVIEmbedding(random_state=seed, **params)


def _iris():
    from sklearn.datasets import load_iris

    return load_iris()


def _trust(X, Z) -> float:
    from sklearn.manifold import trustworthiness

    return trustworthiness(X, Z, n_neighbors=10)


def _uniform(rng):
    """conftest's ``nn_data`` and ``sparse_test_data``: uniform rows, then zero rows."""
    nn_data = np.vstack([rng.uniform(0, 1, size=(1000, 5)), np.zeros((2, 5))])
    binary = np.vstack([rng.choice([False, True], (1000, 5), p=[0.66, 0.34]), np.zeros((2, 5))])
    return nn_data, sparse.csr_matrix(nn_data * binary)


def _split(rng):
    return rng.choice([True, False], 150, replace=True, p=[0.75, 0.25])


def iris_trust(method, seed):
    """test_umap_trustworthiness_on_iris."""
    X = _iris().data
    return _trust(X, _make(method, seed, **SMALL).fit(X).embedding_)


def iris_inverse(method, seed):
    """test_umap_inverse_transform_on_iris: fewest of 5 embedding neighbours among
    the 10 data-space neighbours of their decoded centroid, over 8 query rows."""
    from sklearn.neighbors import KDTree

    X = _iris().data
    model = _make(method, seed, **SMALL).fit(X)
    Z = model.embedding_
    high, low = KDTree(X), KDTree(Z)
    overlaps = []
    for i in range(1, 150, 20):
        near = low.query(Z[i : i + 1], k=5, return_distance=False)[0]
        decoded = model.inverse_transform(Z[near].mean(0, keepdims=True))
        high_near = high.query(decoded, k=10, return_distance=False)[0]
        overlaps.append(np.intersect1d(near, high_near).size)
    return min(overlaps)


def iris_transform(method, seed, sparse_input=False):
    """test_umap_transform_on_iris (n_epochs=200) and, sparse, test_umap_sparse_
    transform_on_iris (n_epochs=100): trustworthiness of held-out rows."""
    X = _iris().data
    keep = _split(np.random.RandomState(seed))
    train, new = X[keep], X[~keep]
    if sparse_input:
        train, new = sparse.csr_matrix(train), sparse.csr_matrix(new)
    model = _make(method, seed, n_epochs=100 if sparse_input else 200, **SMALL).fit(train)
    return _trust(X[~keep], model.transform(new))


def iris_supervised(method, seed):
    """test_umap_clusterability_on_supervised_iris (n_epochs=200): KMeans ARI."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score

    iris = _iris()
    Z = _make(method, seed, n_epochs=200, **SMALL).fit(iris.data, iris.target).embedding_
    clusters = KMeans(3, n_init=10, random_state=seed).fit_predict(Z)
    return adjusted_rand_score(iris.target, clusters)


def sparse_trust(method, seed):
    """test_umap_sparse_trustworthiness (n_neighbors=10, n_epochs=100)."""
    _, data = _uniform(np.random.RandomState(seed))
    Z = _make(method, seed, n_neighbors=10, n_epochs=100).fit_transform(data[:100])
    return _trust(data[:100].toarray(), Z)


def uniform_trust(method, seed):
    """test_umap_trustworthiness_fast_approx / _random_init (n_epochs=100)."""
    data, _ = _uniform(np.random.RandomState(seed))
    return _trust(data[:50], _make(method, seed, n_epochs=100, **SMALL).fit_transform(data[:50]))


def _blobs_labels(kind, labels):
    if kind == "semi-supervised":
        labels = labels.copy()
        labels[10:30] = -1
    elif kind == "string labels":
        labels = np.array(["this", "that", "other"])[labels]
    return labels


def blobs_supervised(method, seed, kind="supervised"):
    """test_(semi)supervised_umap_trustworthiness and the string-label one."""
    from sklearn.datasets import make_blobs

    data, labels = make_blobs(50, cluster_std=0.5, random_state=seed)
    # UMAP needs to be told that string labels are categories (the test does so).
    told = {"target_metric": "string", "target_weight": 0.8}
    extra = told if method == "UMAP" and kind == "string labels" else {}
    model = _make(method, seed, n_epochs=100, **SMALL, **extra)
    return _trust(data, model.fit_transform(data, _blobs_labels(kind, labels)))


def blobs_cluster(method, seed):
    """test_blobs_cluster: KMeans on the embedding of 5 blobs in 10-D (n_epochs=100)."""
    from sklearn.cluster import KMeans
    from sklearn.datasets import make_blobs
    from sklearn.metrics import adjusted_rand_score

    data, labels = make_blobs(n_samples=500, n_features=10, centers=5, random_state=seed)
    Z = _make(method, seed, n_epochs=100).fit_transform(data)
    return adjusted_rand_score(labels, KMeans(5, n_init=10, random_state=seed).fit_predict(Z))


# (umap-learn test, what is measured, bar, function, keyword arguments)
BARS = [
    ("test_umap_trustworthiness_on_iris", "trust", 0.97, iris_trust, {}),
    ("test_umap_transform_on_iris", "trust of held-out rows", 0.85, iris_transform, {}),
    (
        "test_umap_sparse_transform_on_iris",
        "trust of held-out rows",
        0.80,
        iris_transform,
        {"sparse_input": True},
    ),
    ("test_umap_clusterability_on_supervised_iris", "KMeans ARI", 0.95, iris_supervised, {}),
    ("test_umap_inverse_transform_on_iris", "fewest overlap", 3, iris_inverse, {}),
    ("test_umap_sparse_trustworthiness", "trust", 0.85, sparse_trust, {}),
    ("test_umap_trustworthiness_fast_approx", "trust", 0.75, uniform_trust, {}),
    ("test_supervised_umap_trustworthiness", "trust", 0.95, blobs_supervised, {}),
    (
        "test_semisupervised_umap_trustworthiness",
        "trust",
        0.95,
        blobs_supervised,
        {"kind": "semi-supervised"},
    ),
    (
        "test_string_metric_supervised_umap_trustworthiness",
        "trust",
        0.95,
        blobs_supervised,
        {"kind": "string labels"},
    ),
    ("test_blobs_cluster", "KMeans ARI", 1.0, blobs_cluster, {}),
]


def run_one(index: int, method: str, seed: int):
    one_thread()
    warnings.filterwarnings("ignore")
    _, _, _, function, kwargs = BARS[index]
    return function(method, seed, **kwargs)


def _cell(values, bar) -> str:
    shown = ", ".join(f"{v:.3f}" if isinstance(v, float) else str(v) for v in values)
    return shown + ("" if min(values) >= bar else " ✗")


def main() -> None:
    from joblib import Parallel, delayed

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1, help="processes, one thread each")
    args = parser.parse_args()
    methods = ("DDVIEmbedding", "UMAP")
    tasks = [(i, m, s) for i in range(len(BARS)) for m in methods for s in SEEDS]
    done = Parallel(n_jobs=args.jobs)(delayed(run_one)(*task) for task in tasks)
    values = {}
    for (i, method, _), value in zip(tasks, done):
        values.setdefault((i, method), []).append(value)

    rows, passed = [], 0
    for i, (test, measure, bar, _, _) in enumerate(BARS):
        ours = values[i, "DDVIEmbedding"]
        passed += min(ours) >= bar
        rows.append(
            [f"`{test}`", measure, f"≥ {bar}", _cell(values[i, "UMAP"], bar), _cell(ours, bar)]
        )
    table = markdown_table(["umap-learn test", "measure", "bar", "UMAP", "DDVIEmbedding"], rows)
    command = " ".join(["python benchmarks/umap_bars.py", *sys.argv[1:]])
    text = (
        "# umap-learn's own quality tests, run against DDVIEmbedding\n\n"
        f"Machine: {machine()}; every fit on one thread.\n\nCommand: `{command}`.\n\n"
        "Each row re-creates one test of umap-learn's suite with its data, parameters "
        "(`n_neighbors`, `min_dist`, `n_epochs`, labels) and bar; the values are for seeds "
        f"{', '.join(map(str, SEEDS))} (each draws the test's random data and seeds the "
        "estimator); ✗ marks a seed below the bar. KMeans runs with `n_init=10`. "
        f"DDVIEmbedding meets the bar on every seed in {passed} of {len(BARS)} tests.\n\n"
        + table
        + "\n"
    )
    write("umap_bars.md", text)
    print(text)


if __name__ == "__main__":
    main()
