"""Shared helpers of the benchmark scripts: machine description, tables, timing."""

from __future__ import annotations

import itertools
import os
import platform
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from scipy import stats

RESULTS = Path(__file__).resolve().parent / "results"


def machine() -> str:
    """One line naming the machine, the thread count and the library versions."""
    import sklearn
    import torch

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if "model name" in line)
    except (OSError, StopIteration):
        pass
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    return (
        f"{cpu}, {os.cpu_count()} cores ({_threads(torch.get_num_threads())}), {gpu}; "
        f"Python {platform.python_version()}, torch {torch.__version__}, "
        f"scikit-learn {sklearn.__version__}"
    )


def one_thread() -> None:
    """Pin this process to one thread: a worker of a ``--jobs`` run, one per core."""
    import torch

    os.environ.setdefault("OMP_NUM_THREADS", "1")
    torch.set_num_threads(1)


def mean_ci(values) -> str:
    """``mean ± half-width`` of the 95% t interval (just the value for one run)."""
    values = np.asarray(values, dtype=float)
    if len(values) == 1:
        return f"{values[0]:.3f}"
    half = stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values))
    return f"{values.mean():.3f} ± {half:.3f}"


def rows_table(results: dict, names: list[str], columns: dict, method: str = "method") -> str:
    """Markdown table of ``{name: [{row: {column: value}} per seed]}``: one line per
    set and row, ``mean ± interval`` over the seeds in each column ("n/a" where a
    seed has NaN)."""
    table = []
    for name in names:
        runs = results[name]
        for row in runs[0]:
            values = [[r[row][c] for r in runs] for c in columns]
            cells = ["n/a" if np.isnan(v).any() else mean_ci(v) for v in values]
            table.append([name, row, *cells])
    return markdown_table(["data", method, *columns.values()], table)


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


@contextmanager
def timer():
    """``with timer() as t: ...`` then ``t()`` gives the elapsed seconds."""
    start = time.perf_counter()
    elapsed = [None]
    yield lambda: elapsed[0] if elapsed[0] is not None else time.perf_counter() - start
    elapsed[0] = time.perf_counter() - start


def run_over_seeds(run_one, names: list[str], n_seeds: int, jobs: int, *args) -> dict:
    """``run_one(name, seed, *args)`` for every set and seed in ``jobs`` processes:
    ``{name: [result of seed 0, seed 1, ...]}``.

    The sets are listed small to large: the largest are dispatched first, so
    that the workers finish together.
    """
    from joblib import Parallel, delayed

    tasks = [(name, seed) for name in reversed(names) for seed in range(n_seeds)]
    done = Parallel(n_jobs=jobs)(delayed(run_one)(name, seed, *args) for name, seed in tasks)
    results = {name: [] for name in names}
    for (name, _), result in zip(tasks, done):
        results[name].append(result)
    return results


def write(name: str, text: str) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / name
    path.write_text(text)
    return path


def embedding_grid(panels: dict, path: Path, cell: float = 3.0, point_size: float = 1) -> None:
    """Save a grid of 2-D embeddings: ``panels`` maps ``(row, column)`` to ``(Z, labels)``.

    Rows and columns keep their first-seen order; missing cells are left blank;
    each panel is titled ``"row: column"``.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from skddvi.plot import plot_embedding

    rows = list(dict.fromkeys(k[0] for k in panels))
    cols = list(dict.fromkeys(k[1] for k in panels))
    fig, axes = plt.subplots(
        len(rows), len(cols), figsize=(cell * len(cols), cell * len(rows)), squeeze=False
    )
    for (i, row), (j, col) in itertools.product(enumerate(rows), enumerate(cols)):
        ax = axes[i, j]
        if (row, col) not in panels:
            ax.axis("off")
            continue
        Z, labels = panels[row, col]
        plot_embedding(Z, labels, ax=ax, title=f"{row}: {col}", point_size=point_size)
        if ax.get_legend():
            ax.get_legend().remove()
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def _threads(n: int) -> str:
    return f"{n} torch thread" + ("" if n == 1 else "s")
