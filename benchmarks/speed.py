"""Fit and transform speed of DDVIEmbedding, and MNIST 70k against umap-learn.

Measures, on one machine in one run:

1. fit on digits (1797 x 64) with defaults (after an untimed 2-epoch fit
   that starts CUDA, since stop 26), transform of 10,000 rows, and the
   latency of ``transform`` for one row (a model serving single requests);
2. MNIST 70,000 x 784: DDVIEmbedding (defaults, on ``--device``) against
   umap-learn (defaults, all CPU cores, no seed so that it runs in parallel),
   with 10-NN accuracy and trustworthiness on a 5,000-row subsample. Each
   contender first fits and transforms 5,000 rows untimed, so that one-off
   costs (numba's compilation for umap-learn, CUDA's start-up for
   DDVIEmbedding) stay out of the race;
3. on a CUDA device, the seconds per training step on MNIST with the step
   replayed from a CUDA graph and run eagerly (from the time difference of a
   2-epoch and a 6-epoch fit, so the neighbour search cancels out);
4. the peak host memory that transforming 1,000,000 x 784 float32 rows takes
   beyond its input and output (in a child process: its peak resident size,
   reset just before ``transform``, minus the size before and the output).

Run from the repository root::

    python benchmarks/speed.py                      # CPU
    python benchmarks/speed.py --output-suffix _gpu # on a CUDA machine

Writes ``results/speed{suffix}.md``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import torch
from sklearn.datasets import load_digits

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine, markdown_table, timer, write
from datasets import load_mnist

from skddvi import DDVIEmbedding
from skddvi.metrics import knn_accuracy, trustworthiness

_MEMORY_CHILD = r"""
import json, sys, numpy as np
from skddvi import DDVIEmbedding

def status_kb(field):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(field + ":"))

rows, device = int(sys.argv[1]), sys.argv[2]
rng = np.random.default_rng(0)
model = DDVIEmbedding(n_epochs=1, device=device, random_state=0).fit(
    rng.random((2000, 784), dtype=np.float32))
X = rng.random((rows, 784), dtype=np.float32)
model.transform(X[:1000])  # warm up (allocator, kernels)
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # reset the peak (VmHWM) to the current resident size
before = status_kb("VmRSS")
Z = model.transform(X)
peak = status_kb("VmHWM")
print(json.dumps({"input_mb": X.nbytes / 2**20, "output_mb": Z.nbytes / 2**20,
                  "extra_peak_mb": (peak - before) / 1024 - Z.nbytes / 2**20}))
"""


def digits_speed(device: str) -> list[list[str]]:
    X, _ = load_digits(return_X_y=True)
    # Untimed warm-up: on CUDA the first fit of a process also starts CUDA.
    DDVIEmbedding(n_epochs=2, random_state=0, device=device).fit(X[:300])
    with timer() as fit_time:
        model = DDVIEmbedding(random_state=0, device=device).fit(X)
    X_new = X[np.random.default_rng(0).integers(len(X), size=10_000)]
    model.transform(X_new[:100])  # warm up
    with timer() as transform_time:
        model.transform(X_new)
    one_row = []
    for row in X_new[:200]:
        with timer() as row_time:
            model.transform(row[None])
        one_row.append(row_time())
    return [
        ["digits 1797 x 64: fit (defaults)", f"{fit_time():.1f} s", f"{model.n_iter_} epochs"],
        ["digits: transform 10,000 rows", f"{transform_time():.3f} s", "after one warm-up call"],
        [
            "digits: transform one row",
            f"{1e3 * np.median(one_row):.2f} ms",
            "median of 200 calls, one row each",
        ],
    ]


def mnist_race(device: str, n_rows: int) -> list[list[str]]:
    X_all, y_all = load_mnist()
    X, y = X_all[:n_rows], y_all[:n_rows]
    X_new = X_all[60_000:].copy()  # the test images (a copy: no identity shortcuts)
    sub = np.random.default_rng(0).permutation(len(X))[:5000]
    rows = []
    contenders = {"DDVIEmbedding": lambda: DDVIEmbedding(random_state=0, device=device)}
    try:
        import umap

        contenders["UMAP (all cores)"] = lambda: umap.UMAP()
    except ImportError:
        print("umap-learn is not installed: no UMAP row", file=sys.stderr)
    for name, factory in contenders.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            factory().fit(X[:5000]).transform(X_new[:100])  # warm-up, untimed
            model = factory()
            with timer() as fit_time:
                Z = model.fit_transform(X)
            with timer() as transform_time:
                model.transform(X_new)
        quality = (
            f"10-NN {knn_accuracy(Z[sub], y[sub]):.3f}, "
            f"trust {trustworthiness(X[sub], Z[sub], n_neighbors=10):.3f}"
        )
        rows.append([f"MNIST {n_rows} x 784: {name} fit", f"{fit_time():.1f} s", quality])
        rows.append([f"MNIST: {name} transform 10,000 rows", f"{transform_time():.2f} s", ""])
        print(rows[-2:], flush=True)
    return rows


def step_times(device: str, n_rows: int) -> list[list[str]]:
    """Seconds per training step on MNIST, replayed from a CUDA graph and eager."""
    import skddvi._training as training

    X = load_mnist()[0][:n_rows]
    batch_size = 1024
    steps_per_epoch = -(-n_rows // batch_size)
    rows = []
    for mode in ["CUDA graph", "eager"]:
        seconds = {}
        for n_epochs in (2, 6):
            model = DDVIEmbedding(
                n_epochs=n_epochs, batch_size=batch_size, random_state=0, device=device
            )
            original = training.cuda_graphs_apply
            if mode == "eager":  # no public switch: graphs are off only for this measurement
                training.cuda_graphs_apply = _never
            try:
                with timer() as fit_time:
                    model.fit(X)
            finally:
                training.cuda_graphs_apply = original
            seconds[n_epochs] = fit_time()
        per_step = (seconds[6] - seconds[2]) / (4 * steps_per_epoch)
        rows.append(
            [
                f"MNIST {n_rows} x 784: one training step, {mode}",
                f"{1000 * per_step:.1f} ms",
                f"batch {batch_size}; 2 / 6 epochs took {seconds[2]:.1f} / {seconds[6]:.1f} s",
            ]
        )
        print(rows[-1], flush=True)
    return rows


def _never(*args) -> bool:
    return False


def transform_memory(device: str, n_rows: int) -> list[list[str]]:
    out = subprocess.run(
        [sys.executable, "-c", _MEMORY_CHILD, str(n_rows), device],
        check=True,
        capture_output=True,
        text=True,
    )
    m = json.loads(out.stdout.strip().splitlines()[-1])
    return [
        [
            f"transform {n_rows:,} x 784 float32: peak host memory beyond input and output",
            f"{m['extra_peak_mb']:.0f} MB",
            f"input {m['input_mb']:.0f} MB, output {m['output_mb']:.0f} MB",
        ]
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--mnist-rows", type=int, default=70_000)
    parser.add_argument("--memory-rows", type=int, default=1_000_000)
    parser.add_argument("--skip", default="", help="comma-separated: digits,mnist,steps,memory")
    parser.add_argument("--output-suffix", default="")
    args = parser.parse_args()
    skip = set(args.skip.split(","))
    rows = []
    if "digits" not in skip:
        rows += digits_speed(args.device)
        print(rows, flush=True)
    if "mnist" not in skip:
        rows += mnist_race(args.device, args.mnist_rows)
    if "steps" not in skip and torch.cuda.is_available() and args.device in ("auto", "cuda"):
        rows += step_times(args.device, args.mnist_rows)
    if "memory" not in skip:
        rows += transform_memory(args.device, args.memory_rows)
    command = " ".join(["python benchmarks/speed.py", *sys.argv[1:]])
    text = (
        "# Speed of DDVIEmbedding\n\n"
        f"Machine: {machine()}.\n\nCommand: `{command}`.\n\n"
        + markdown_table(["measurement", "value", "notes"], rows)
        + "\n"
    )
    write(f"speed{args.output_suffix}.md", text)
    print(text)


if __name__ == "__main__":
    main()
