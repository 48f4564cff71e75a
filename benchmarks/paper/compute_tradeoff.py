"""Paper App. D: NMI on the genotype task against wall time, for several numbers of steps.

DDVI (the paper's plain model, 20-component mixture prior, as in
``genotypes.py``) on eHGDP with ``n_steps`` in {5, 10, 20, 50}, each trained
for increasing epoch budgets; every point is (fit seconds, NMI of the
GaussianMixture(20) clusters against the 79 populations), mean over seeds.

Run from the repository root::

    python benchmarks/paper/compute_tradeoff.py

Writes ``results/paper_compute_tradeoff.md`` and ``.png``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from _protocol import RESULTS, Budget, machine, make_model, markdown_table, write
from datasets import load_ehgdp
from genotypes import KL_WEIGHT, LIKELIHOOD, N_CLUSTERS, paper_features, scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", default="5,10,20,50")
    parser.add_argument("--epochs", default="25,50,100")
    parser.add_argument("--hidden", default="256,256")
    parser.add_argument("--seeds", type=int, default=2)
    args = parser.parse_args()
    genotypes, population = load_ehgdp("population")
    X = paper_features(genotypes)
    hidden = tuple(int(h) for h in args.hidden.split(","))
    points = {}
    for n_steps in (int(s) for s in args.steps.split(",")):
        for n_epochs in (int(e) for e in args.epochs.split(",")):
            budget = Budget(n_train=len(X), n_epochs=n_epochs, hidden_dims=hidden, n_steps=n_steps)
            for seed in range(args.seeds):
                model = make_model(
                    "DDVI",
                    "mixture",
                    budget,
                    seed,
                    KL_WEIGHT,
                    n_clusters=N_CLUSTERS,
                    likelihood=LIKELIHOOD,
                )
                start = time.perf_counter()
                Z = model.fit_transform(X)
                elapsed = time.perf_counter() - start
                nmi = scores(Z, {"population": population})["nmi_population"]
                points.setdefault((n_steps, n_epochs), []).append((elapsed, nmi))
                print(n_steps, n_epochs, seed, round(elapsed, 1), round(nmi, 3), flush=True)

    rows = [
        [str(t), str(e), f"{np.mean([p[0] for p in v]):.1f}", f"{np.mean([p[1] for p in v]):.3f}"]
        for (t, e), v in points.items()
    ]
    command = " ".join(["python benchmarks/paper/compute_tradeoff.py", *sys.argv[1:]])
    text = (
        "# Paper App. D: NMI against wall time for several numbers of diffusion steps\n\n"
        f"Machine: {machine()}.\n\nCommand: `{command}`.\n\n"
        f"eHGDP, the paper's protocol (see `genotypes.py`), DDVI with hidden layers {hidden}; "
        f"NMI against the 79 populations; mean over {args.seeds} seeds.\n\n"
        + markdown_table(["n_steps", "epochs", "fit s", "NMI (populations)"], rows)
        + "\n"
    )
    write("paper_compute_tradeoff.md", text)
    _figure(points, RESULTS / "paper_compute_tradeoff.png")
    print(text)


def _figure(points, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 4))
    for n_steps in sorted({t for t, _ in points}):
        keys = sorted(k for k in points if k[0] == n_steps)
        ax.plot(
            [np.mean([p[0] for p in points[k]]) for k in keys],
            [np.mean([p[1] for p in points[k]]) for k in keys],
            "o-",
            label=f"T = {n_steps}",
        )
    ax.set_xlabel("fit time (s)")
    ax.set_ylabel("NMI (populations)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


if __name__ == "__main__":
    main()
