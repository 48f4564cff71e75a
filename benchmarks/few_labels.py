"""Semi-supervised fits with few labels: ``predict`` against its two classifiers.

After ``fit(X, y)`` with the neighbour graph, ``predict`` reads one of two
classifiers, chosen from the labelled rows (``label_source_``, see
``skddvi._labels``): the vote of the labelled rows nearest in the embedding,
or ``q(l | x)``, linear in the encoder's features. For each case and seed this
prints and tabulates, on the unlabelled rows: the accuracy of ``predict``, of
``q(l | x)``, of the labelled rows' vote in the same map (10 nearest,
inverse-distance weights: ``label_classifier_``'s rule), and of the same vote
in the map of a fit without labels. Cases:

- digits, 100 random rows labelled, the default Gaussian prior;
- digits, the first 100 rows labelled, the pinwheel prior (an earlier README
  example);
- digits, a stratified tenth labelled, a fifth of those labels replaced by a
  random class (label noise);
- wine, unstandardised (one feature, proline, rules its distances), a
  stratified tenth labelled: a map that misses what the features hold.

Run from the repository root (one process per core, one thread each; about
ten minutes on two cores)::

    python benchmarks/few_labels.py --seeds 2 --jobs 2

Writes ``results/few_labels.md``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine, markdown_table, one_thread, run_over_seeds, write

CASES = {
    "digits, 100 random labels": ("digits", "random", "gaussian", 0.0),
    "digits, first 100 labelled, pinwheel": ("digits", "first", "pinwheel", 0.0),
    "digits, a tenth labelled, 20% of them wrong": ("digits", "tenth", "gaussian", 0.2),
    "wine (unstandardised), a tenth labelled": ("wine", "tenth", "gaussian", 0.0),
}
COLUMNS = ("predict", "q(l | x)", "vote in this map", "vote in an unlabelled map")


def _labels(y: np.ndarray, split: str, noise: float, seed: int) -> np.ndarray:
    """``y`` with the rows the case leaves unlabelled set to -1."""
    from sklearn.model_selection import train_test_split

    rng = np.random.default_rng(seed)
    if split == "first":
        labelled = np.arange(100)
    elif split == "random":
        labelled = rng.choice(len(y), 100, replace=False)
    else:
        labelled, _ = train_test_split(
            np.arange(len(y)), train_size=0.1, stratify=y, random_state=seed
        )
    partial = np.full_like(y, -1)
    partial[labelled] = y[labelled]
    wrong = labelled[rng.random(len(labelled)) < noise]
    partial[wrong] = rng.choice(np.unique(y), len(wrong))
    return partial


def run_one(case: str, seed: int) -> dict:
    import torch
    from sklearn.datasets import load_digits, load_wine
    from sklearn.neighbors import KNeighborsClassifier

    from skddvi import DDVIEmbedding

    one_thread()
    data, split, prior, noise = CASES[case]
    X, y = (load_digits if data == "digits" else load_wine)(return_X_y=True)
    partial = _labels(y, split, noise, seed)
    labelled, unlabelled = partial >= 0, partial == -1
    start = time.perf_counter()
    model = DDVIEmbedding(prior=prior, random_state=seed).fit(X, partial)
    module, _ = model._inference_module()
    with torch.no_grad():
        q = module.class_log_proba(torch.as_tensor(X, dtype=torch.float64)).argmax(1).numpy()
    plain = DDVIEmbedding(random_state=seed).fit(X).embedding_

    def vote(Z: np.ndarray) -> float:
        k = min(10, int(labelled.sum()))
        classifier = KNeighborsClassifier(k, weights="distance").fit(Z[labelled], partial[labelled])
        return float(np.mean(classifier.predict(Z[unlabelled]) == y[unlabelled]))

    row = {
        "source": model.label_source_,
        "predict": float(np.mean(model.predict(X[unlabelled]) == y[unlabelled])),
        "q(l | x)": float(np.mean(model.classes_[q][unlabelled] == y[unlabelled])),
        "vote in this map": vote(model.embedding_),
        "vote in an unlabelled map": vote(plain),
    }
    print(case, seed, row, f"({time.perf_counter() - start:.0f} s)", flush=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--jobs", type=int, default=1, help="processes, one thread each")
    args = parser.parse_args()
    results = run_over_seeds(run_one, list(CASES), args.seeds, args.jobs)
    seeds = " / ".join(str(s) for s in range(args.seeds))
    rows = []
    for case, runs in results.items():
        cells = [" / ".join(f"{run[c]:.3f}" for run in runs) for c in COLUMNS]
        rows.append([case, " / ".join(run["source"] for run in runs), *cells])
    text = "\n\n".join(
        [
            "# Few labels: `predict` against its two classifiers",
            f"Machine: {machine()}; every fit on one thread.",
            f"Command: `python benchmarks/few_labels.py --seeds {args.seeds} --jobs {args.jobs}`.",
            f"Accuracy on the unlabelled rows, seeds {seeds} (each draws its labelled rows "
            "and seeds the fits; the first-100 case always labels the same rows). "
            "`label_source_`: the classifier `predict` chose. q(l | x): the encoder's "
            "classifier. Vote: the 10 labelled rows nearest in the embedding, weighted by "
            "inverse distance (the `embedding` source's rule), in this fit's map and in "
            "the map of a fit without labels (same seed).",
            markdown_table(
                ["case", "label_source_", *(c.replace("|", "\\|") for c in COLUMNS)], rows
            ),
        ]
    )
    print(f"wrote {write('few_labels.md', text + chr(10))}")


if __name__ == "__main__":
    main()
