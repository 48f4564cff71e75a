"""Where a CPU training step's time goes: the model's arithmetic, not overhead.

On MNIST (784 pixels, the default network), one optimisation step of a batch
of 1,024 rows runs the encoder on the batch and on one graph neighbour of each
row, the decoder and likelihood on the batch, the diffusion chain on both,
the edge kernel and Adam. This prints, for the model of a short fit:

- the time of the encoder's forward and backward pass on one batch, and of
  the decoder's with the Bernoulli likelihood;
- the floating-point operations of one whole step (``loss_terms``, backward
  and clipping, counted by ``torch.utils.flop_counter``) and the time of a
  step inside ``fit`` (the difference between fits of 6 and 1 epochs on
  20,000 rows, 20 steps an epoch, over the 100 steps between them);
- the rate this implies, in GFLOP/s, against that of a bare matrix product of
  the encoder's first layer's shape on this machine.

The step's operations at the bare product's rate give a floor on its time:
what lies above the floor is the elementwise work and the many small
operations of the chain and the losses; the floor itself moves only with a
smaller model or fewer rows a step.

Run from the repository root (all cores, as ``fit`` uses them)::

    python benchmarks/step_cost.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine
from datasets import load_mnist

from skddvi import DDVIEmbedding
from skddvi.objectives import LossWeights

BATCH = 1024
ROWS = 20_000


def _time(fn, repeats: int = 30) -> float:
    """Median seconds of ``fn()`` after three warm-up calls."""
    for _ in range(3):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def _fit_seconds(X: np.ndarray, n_epochs: int) -> float:
    start = time.perf_counter()
    DDVIEmbedding(n_epochs=n_epochs, random_state=0).fit(X)
    return time.perf_counter() - start


def main() -> None:
    X, _ = load_mnist()
    X = X[:ROWS]
    model = DDVIEmbedding(n_epochs=1, random_state=0).fit(X[:5000]).module_
    model.train()
    x = torch.as_tensor(X[:BATCH])
    x_neighbor = torch.as_tensor(X[BATCH : 2 * BATCH])
    z = torch.randn(BATCH, model.posterior.dim, requires_grad=True)
    weights = LossWeights(kl=0.01, sleep=0.0, graph=1.0)
    generator = torch.Generator().manual_seed(0)

    def step() -> None:
        model.zero_grad(set_to_none=True)
        model.loss_terms(x, x_neighbor, weights, generator).loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)

    encoder = _time(lambda: model.features(x).sum().backward())
    decoder = _time(lambda: model.likelihood.log_prob(x, model.decoder(z)).mean().backward())
    with FlopCounterMode(display=False) as counter:
        step()
    flops = counter.get_total_flops()
    isolated = _time(step)
    fits = [_fit_seconds(X, n) for n in (1, 6, 1, 6)]
    in_fit = (min(fits[1::2]) - min(fits[0::2])) / (5 * ROWS / BATCH)
    first = next(m for m in model.encoder.modules() if isinstance(m, torch.nn.Linear))
    a, b = torch.randn(BATCH, first.in_features), torch.randn(first.in_features, first.out_features)
    bare = 2 * BATCH * first.in_features * first.out_features / _time(lambda: a @ b, 100)

    print(f"Machine: {machine()}")
    print(f"batch of {BATCH} MNIST rows, default network; medians of 30 calls")
    print(f"encoder forward + backward: {encoder * 1e3:.1f} ms")
    print(f"decoder + Bernoulli likelihood forward + backward: {decoder * 1e3:.1f} ms")
    print(f"one step (loss_terms, backward, clipping), alone: {isolated * 1e3:.1f} ms")
    print(f"one step inside fit (with Adam and sampling): {in_fit * 1e3:.1f} ms")
    print(f"floating-point operations of a step: {flops / 1e9:.2f} GFLOP")
    print(f"rate of a step alone: {flops / isolated / 1e9:.0f} GFLOP/s")
    print(f"its operations at the bare product's rate: {flops / bare * 1e3:.1f} ms")
    print(f"bare {BATCH}x{first.in_features} @ {first.in_features}x{first.out_features}: ", end="")
    print(f"{bare / 1e9:.0f} GFLOP/s")


if __name__ == "__main__":
    main()
