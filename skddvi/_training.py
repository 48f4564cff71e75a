"""The training loop: minibatches on the device, one optimiser, a per-epoch history.

The loop never copies a batch between host and device: rows are sliced from
:class:`~skddvi._data.DeviceRows`, and the running sums of the loss terms stay
on the device until the end of each epoch (one synchronisation per epoch,
where non-finite losses are also detected).

On a CUDA device with dense rows, one optimisation step (forward, backward,
clipping and Adam) is captured once as a CUDA graph and replayed: the model is
small, so an eager step is bound by kernel launches (21 ms per step on an H200
at batch 1024, against 2.9 ms replayed), and a replay launches them all at once. Batches then
have one fixed size: the last batch of an epoch is filled up with rows from the
start of that epoch's permutation.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn
from tqdm.auto import tqdm

from ._checks import user_stacklevel
from ._data import DeviceRows
from ._torch_state import seeded_global_rng
from .model import DDVIModel
from .objectives import LossTerms, LossWeights, kl_weight_at
from .priors import Prior

__all__ = ["NonFiniteLossError", "TrainingPlan", "check_finite_embedding", "train"]

_FINAL_LR_FRACTION = 0.02
# Gradient-norm clipping: with Adam at the default learning rate, wide inputs
# (8,170 genotype columns) otherwise derail training; measured on digits it
# also raised 10-NN accuracy (0.981 -> 0.984) and the ELBO.
_MAX_GRAD_NORM = 1.0
# Adam moves every weight by about the learning rate per step, whatever its
# gradient, so a unit of the encoder's first layer, which sums all n_features
# inputs, moves about n_features / 256 times as far per step as a unit of a
# 256-wide hidden layer. On 50 rows of 5,000 features (full-batch steps) that
# outran the rest of the network: 23 of the 50 rows ended with every encoder
# feature far below zero and embedded on one point (trustworthiness 0.63, PCA
# 0.97). That layer's weights step at the rate times
# min(1, _REFERENCE_FAN_IN / n_features): data of up to 256 features train as before.
_REFERENCE_FAN_IN = 256
# Eager steps before the capture (as torch.cuda.graphs recommends: they
# initialise the optimiser state and the libraries' workspaces).
_WARMUP_STEPS = 3


class NonFiniteLossError(FloatingPointError, ValueError):
    """The training loss became NaN or infinite.

    Also a ``ValueError``, which scikit-learn estimators raise for a fit that
    cannot go on with the given data and parameters, so ``except ValueError``
    around a fit catches it.
    """


@dataclass(frozen=True)
class TrainingPlan:
    """Resolved optimisation settings of one fit."""

    n_epochs: int
    batch_size: int
    learning_rate: float
    kl_weight: float
    kl_warmup: float
    sleep_weight: float
    graph_weight: float = 0.0
    reconstruction_weight: float = 1.0
    #: fractions of training after which a refittable prior is re-estimated
    refit_prior_at: tuple[float, ...] = ()


def train(
    model: DDVIModel,
    data: DeviceRows,
    plan: TrainingPlan,
    generator: torch.Generator,
    verbose: bool = False,
) -> dict[str, np.ndarray]:
    """Fit ``model`` to ``data``; returns the per-epoch history (batch-weighted means).

    Raises
    ------
    NonFiniteLossError
        If an epoch's mean loss is not finite.
    """
    graphed = cuda_graphs_apply(model, data)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = _adam(_parameter_groups(model, params), plan.learning_rate, data.device, graphed)
    batch_size = min(plan.batch_size, data.n_samples)
    steps_per_epoch = math.ceil(data.n_samples / batch_size)
    rows_per_epoch = steps_per_epoch * batch_size if graphed else data.n_samples
    total_steps = plan.n_epochs * steps_per_epoch
    names = LossTerms.names()
    sums = torch.zeros(len(names), device=data.device, dtype=torch.float32)

    def run(index: Tensor, kl: float | Tensor, rng: torch.Generator | None) -> None:
        weights = LossWeights(
            kl=kl,
            sleep=plan.sleep_weight,
            graph=plan.graph_weight,
            reconstruction=plan.reconstruction_weight,
        )
        x_neighbor = x_non_edge = None
        if plan.graph_weight > 0:
            x_neighbor = data.neighbor_rows(index, rng)
            x_non_edge = data.non_edge_rows(index, rng)
        terms = model.loss_terms(
            data.rows(index),
            x_neighbor,
            weights,
            rng,
            data.labels(index),
            data.edge_weights(index),
            x_non_edge,
        )
        terms.loss.backward()
        torch.nn.utils.clip_grad_norm_(params, _MAX_GRAD_NORM)
        optimizer.step()
        sums.add_(terms.stacked() * len(index))

    history: dict[str, list[float]] = {name: [] for name in [*names, "kl_weight"]}
    bar = tqdm(range(plan.n_epochs), disable=not verbose, desc="DDVIEmbedding", unit="epoch")
    model.train()
    with _graph_rng(data.device, generator) if graphed else nullcontext():
        step = _GraphedStep(run, optimizer, batch_size, data.device) if graphed else None
        for epoch in bar:
            sums.zero_()
            for k, index in enumerate(data.batches(batch_size, generator, full=graphed)):
                done = epoch * steps_per_epoch + k
                beta = kl_weight_at(done / total_steps, plan.kl_weight, plan.kl_warmup)
                _set_learning_rate(optimizer, plan.learning_rate * _lr_factor(done, total_steps))
                if step is not None:
                    step(index, beta)
                else:
                    optimizer.zero_grad(set_to_none=True)
                    run(index, beta, generator)
            means = (sums / rows_per_epoch).tolist()
            _check_finite(means[0], epoch, plan.learning_rate)
            for name, value in zip(names, means):
                history[name].append(value)
            history["kl_weight"].append(beta)
            bar.set_postfix(loss=f"{means[0]:.4g}")
            if any(epoch + 1 == math.ceil(f * plan.n_epochs) for f in plan.refit_prior_at):
                _refit_prior(model, data, batch_size)
    _check_finite_parameters(model, plan.learning_rate)
    model.eval()
    return {name: np.asarray(values) for name, values in history.items()}


def cuda_graphs_apply(model: DDVIModel, data: DeviceRows) -> bool:
    """Whether training replays a captured CUDA graph: dense rows on a CUDA device
    and a prior of this library (a prior of another kind may synchronise)."""
    return data.device.type == "cuda" and data.is_dense and isinstance(model.prior, Prior)


def _lr_factor(step: int, total_steps: int) -> float:
    """Linear decay to 2% of the rate (as UMAP's SGD decays): the last epochs
    settle the fine local structure instead of jittering it."""
    return max(1.0 - step / total_steps, _FINAL_LR_FRACTION)


def _parameter_groups(model: DDVIModel, params: list[Tensor]) -> list[dict]:
    """Adam's parameter groups: the encoder's first weight matrix, when more
    than :data:`_REFERENCE_FAN_IN` features wide, at a smaller rate
    (``lr_scale``); the rest at the rate."""
    first = next((m for m in model.encoder.modules() if isinstance(m, nn.Linear)), None)
    scale = 1.0 if first is None else min(1.0, _REFERENCE_FAN_IN / first.in_features)
    if scale == 1.0 or not first.weight.requires_grad:
        return [{"params": params, "lr_scale": 1.0}]
    rest = [p for p in params if p is not first.weight]
    return [{"params": rest, "lr_scale": 1.0}, {"params": [first.weight], "lr_scale": scale}]


def _adam(groups: list[dict], lr: float, device: torch.device, graphed: bool) -> torch.optim.Adam:
    if graphed:  # the rates live on the device, so a replay reads their current values
        groups = [{**g, "lr": torch.tensor(lr * g["lr_scale"], device=device)} for g in groups]
        return torch.optim.Adam(groups, lr=torch.tensor(lr, device=device), capturable=True)
    return torch.optim.Adam([{**g, "lr": lr * g["lr_scale"]} for g in groups], lr=lr)


def _set_learning_rate(optimizer: torch.optim.Optimizer, lr: float) -> None:
    for group in optimizer.param_groups:
        rate = lr * group["lr_scale"]
        if isinstance(group["lr"], Tensor):
            group["lr"].fill_(rate)
        else:
            group["lr"] = rate


@contextmanager
def _graph_rng(device: torch.device, generator: torch.Generator) -> Iterator[None]:
    """Make the device's default generator (the one a CUDA graph can replay) the
    random stream of a graphed fit, seeded from ``generator``; the caller's
    global random state is restored afterwards."""
    seed = int(torch.randint(2**62, (1,), generator=generator, device=device))
    with seeded_global_rng(seed, device), torch.cuda.device(device):
        yield


class _GraphedStep:
    """One optimisation step captured as a CUDA graph and replayed per batch.

    ``run(index, kl, generator)`` performs a step without zeroing gradients;
    the batch's indices and KL weight are copied into static tensors that the
    graph reads. The first calls run eagerly (warm-up), the next captures; if
    capture fails, a warning says so and every later step runs eagerly.
    """

    def __init__(
        self,
        run: Callable[[Tensor, float | Tensor, torch.Generator | None], None],
        optimizer: torch.optim.Optimizer,
        batch_size: int,
        device: torch.device,
    ) -> None:
        self.run = run
        self.optimizer = optimizer
        self.index = torch.zeros(batch_size, dtype=torch.long, device=device)
        self.kl = torch.zeros((), device=device, dtype=torch.float32)
        self.stream = torch.cuda.Stream(device)
        self.graph: torch.cuda.CUDAGraph | None = None
        self.eager = False
        self.calls = 0

    def __call__(self, index: Tensor, kl: float) -> None:
        self.index.copy_(index)
        self.kl.fill_(kl)
        self.calls += 1
        if self.graph is not None:
            self.graph.replay()
        elif self.eager or self.calls <= _WARMUP_STEPS:
            self._eager()
        else:
            self._capture()

    def _eager(self) -> None:
        self.optimizer.zero_grad(set_to_none=True)
        self.stream.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(self.stream):
            self.run(self.index, self.kl, None)
        torch.cuda.current_stream().wait_stream(self.stream)

    def _capture(self) -> None:
        self.optimizer.zero_grad(set_to_none=True)  # backward allocates in the graph's pool
        graph = torch.cuda.CUDAGraph()
        try:
            with torch.cuda.graph(graph):
                self.run(self.index, self.kl, None)
        except RuntimeError as error:
            warnings.warn(
                f"CUDA graph capture failed ({error}); training continues without graphs.",
                RuntimeWarning,
                stacklevel=user_stacklevel(),
            )
            self.eager = True
            self._eager()
            return
        self.graph = graph
        graph.replay()


@torch.no_grad()
def _refit_prior(model: DDVIModel, data: DeviceRows, batch_size: int) -> None:
    """Re-estimate the prior on the current embedding of every training row."""
    model.eval()
    index = torch.arange(data.n_samples, device=data.device)
    z = torch.cat([model.embed(data.rows(part)) for part in index.split(4 * batch_size)])
    model.prior.fit_to(z)
    model.train()


def _check_finite_parameters(model: nn.Module, learning_rate: float) -> None:
    """The loss is measured before each step, so the last step's divergence
    shows only in the parameters it left (one check, one sync, per fit)."""
    finite = torch.stack([torch.isfinite(p).all() for p in model.parameters()]).all()
    if not bool(finite):
        raise NonFiniteLossError(
            "The model's parameters became NaN or infinite in the last optimisation step. "
            f"The optimisation diverged; try a smaller learning_rate (it was "
            f"{learning_rate:g}), or check the input for extreme values."
        )


def check_finite_embedding(embedding: np.ndarray, learning_rate: float) -> None:
    """A :class:`NonFiniteLossError` if the fitted model embeds a training row
    at NaN or infinity (weights finite but so large that the chain overflows)."""
    if not np.isfinite(embedding).all():
        raise NonFiniteLossError(
            "The fitted model embeds training rows at NaN or infinity: the optimisation "
            f"diverged. Try a smaller learning_rate (it was {learning_rate:g})."
        )


def _check_finite(loss: float, epoch: int, learning_rate: float) -> None:
    if not math.isfinite(loss):
        raise NonFiniteLossError(
            f"The training loss became {loss} in epoch {epoch + 1}. The optimisation "
            f"diverged; try a smaller learning_rate (it was {learning_rate:g}), or "
            "check the input for extreme values."
        )
