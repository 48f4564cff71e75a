"""Loss terms of the DDVI objective, as pure functions and a small record.

With ``log_ratio = log q(y, z | x) - log r(y | z)`` (just ``log q(z | x)`` for a
posterior without auxiliary variables) the per-row ELBO is::

    ELBO(x) = log p(x | z) + log p(z) - log_ratio

and training minimises (batch means; the reconstruction weight is
``1 / n_features``, averaging it over features as the paper's code did)::

    w_rec reconstruction + kl_weight (prior + auxiliary_kl + sleep_weight sleep)
        + graph_weight graph + classification

with ``reconstruction = -log p(x | z)``, ``prior = -log p(z)``,
``auxiliary_kl = log_ratio``, ``sleep`` the posterior's sleep loss on the
model's own dreams (METHOD.md section 3) and ``graph`` minus the
log-likelihood of the neighbour graph. Two families of terms take over in
special cases: an adversarial posterior replaces ``prior + auxiliary_kl`` by
its ``adversarial`` regulariser (its critic's loss is added too); a
semi-supervised fit replaces ``prior`` by ``-log p(z, l)`` for labelled rows
and ``E_q(l|x)[log q(l | x) - log p(z, l)]`` for the others, and adds the
``classification`` cross-entropy of ``q(l | x)`` on labelled rows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import torch
from torch import Tensor

__all__ = [
    "LossTerms",
    "LossWeights",
    "kl_weight_at",
    "normal_log_prob",
    "standard_normal_log_prob",
]

_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


def normal_log_prob(x: Tensor, mean: Tensor, std: Tensor | float) -> Tensor:
    """``log N(x; mean, diag(std^2))`` summed over the last axis.

    ``std`` is a tensor broadcastable to ``x`` or one float for all entries.
    """
    u = (x - mean) / std
    if isinstance(std, float):
        return -0.5 * (u * u).sum(-1) - x.shape[-1] * (math.log(std) + _HALF_LOG_2PI)
    return (-0.5 * u * u - torch.log(std) - _HALF_LOG_2PI).sum(-1)


def standard_normal_log_prob(noise: Tensor, log_std: Tensor | float) -> Tensor:
    """``log N(mean + std * noise; mean, std^2)`` summed over the last axis.

    The density of a reparameterised draw, written with its own noise (exact,
    and cheaper and steadier than recomputing ``(x - mean) / std``).
    """
    if isinstance(log_std, float):
        return -0.5 * (noise * noise).sum(-1) - noise.shape[-1] * (log_std + _HALF_LOG_2PI)
    return (-0.5 * noise * noise - log_std - _HALF_LOG_2PI).sum(-1)


@dataclass
class LossTerms:
    """Batch means of the named terms, and the weighted total that is minimised."""

    loss: Tensor
    reconstruction: Tensor
    prior: Tensor
    auxiliary_kl: Tensor
    sleep: Tensor
    graph: Tensor
    adversarial: Tensor
    classification: Tensor

    @classmethod
    def names(cls) -> list[str]:
        """Names of the terms, ``loss`` first."""
        return [f.name for f in fields(cls)]

    def stacked(self) -> Tensor:
        """All terms as one detached vector, in the order of :meth:`names`."""
        return torch.stack([getattr(self, name).detach() for name in self.names()])


@dataclass(frozen=True)
class LossWeights:
    """Weights of the terms in the training loss at one step."""

    kl: float | Tensor
    sleep: float = 1.0
    graph: float = 0.0
    reconstruction: float = 1.0
    classification: float = 1.0


def kl_weight_at(progress: float, kl_weight: float, warmup: float) -> float:
    """KL weight after a fraction ``progress`` of training, with a linear warm-up.

    The weight grows linearly from ``kl_weight / 10`` to ``kl_weight`` over the
    first ``warmup`` fraction of training, then stays there.
    """
    if warmup <= 0 or progress >= warmup:
        return kl_weight
    return kl_weight * (0.1 + 0.9 * progress / warmup)
