"""``p(G | z)``: the neighbour graph as observed data, a latent-space network model.

Besides the rows ``x_i``, the model can explain the neighbour graph ``G`` of
the training data (built by :mod:`skddvi.graph`): each edge ``(i, j)`` is an
observed Bernoulli variable with

    p(e_ij = 1 | z_i, z_j) = 1 / (1 + a (||z_i - z_j|| / scale)^(2 b))

the heavy-tailed kernel of UMAP (``a``, ``b`` fitted from ``min_dist`` as UMAP
does, :func:`kernel_params`). Non-edges are estimated by negative sampling
inside the minibatch (:class:`EdgeModel`). Because ``p(G | z)`` is a
normalised distribution of ``G`` given ``z``, integrating ``G`` out leaves
``p(x) = int p(x | z) p(z) dz`` unchanged: the graph only changes how the
posterior is fitted (to ``p(z | x, G)``), and the ELBO of ``x`` alone stays a
valid bound of the fitted model.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor, nn
from torch.nn.functional import softplus

__all__ = ["EdgeModel", "edge_log_likelihood", "gather_rows", "kernel_params"]


def kernel_params(min_dist: float, spread: float = 1.0) -> tuple[float, float]:
    """``(a, b)`` of the edge kernel, fitted as UMAP does.

    The curve ``1 / (1 + a x^(2b))`` is fitted by least squares to 1 below
    ``min_dist`` and ``exp(-(x - min_dist) / spread)`` above it.

    The fit runs at ``(min_dist / spread, 1)`` and ``a`` is rescaled by
    ``spread^(-2b)``: the curve at ``(min_dist, spread)`` is the one at
    ``(min_dist / spread, 1)`` with distances divided by ``spread``. Fitted
    directly, the least squares start far from the optimum for a small or
    large ``spread`` and can end at a negative ``a`` or ``b``.
    """
    from scipy.optimize import curve_fit

    x = np.linspace(0, 3, 300)
    with np.errstate(all="ignore"):  # a spread far from 1 is reported below
        ratio = min_dist / spread
        target = np.where(x < ratio, 1.0, np.exp(-(x - ratio)))
        (a, b), _ = curve_fit(lambda d, a, b: 1.0 / (1.0 + a * d ** (2 * b)), x, target)
        scaled = float(a * np.float64(spread) ** (-2 * b))
    if not 0.0 < scaled < np.inf:
        raise ValueError(
            f"spread={spread:g} is too far from 1 for the edge kernel (its a = {scaled:g}); "
            "the embedding's scale is of order 1, so use a spread near it (UMAP's default 1.0)."
        )
    return scaled, float(b)


def edge_log_likelihood(
    z: Tensor, z_neighbor: Tensor, z_negative: Tensor, a: float, b: float, scale: float
) -> Tensor:
    """``log p(e = 1)`` of each row's edge plus ``log p(e = 0)`` of its non-edges.

    Parameters
    ----------
    z : Tensor of shape (N, d)
    z_neighbor : Tensor of shape (N, d)
        Latent of one neighbour of each row.
    z_negative : Tensor of shape (N, m, d)
        Latents of ``m`` sampled non-neighbours of each row.
    a, b, scale : float
        Kernel parameters.

    Returns
    -------
    Tensor of shape (N,)
    """
    logit_pos = _log_odds_far(z, z_neighbor, a, b, scale)
    logit_neg = _log_odds_far(z.unsqueeze(1), z_negative, a, b, scale)
    return -softplus(logit_pos) - softplus(-logit_neg).sum(-1)


def _log_odds_far(u: Tensor, v: Tensor, a: float, b: float, scale: float) -> Tensor:
    """``log(a d^(2b))``: the log-odds of *no* edge at scaled distance ``d``."""
    sq = ((u - v) ** 2).sum(-1) / scale**2
    return np.log(a) + b * torch.log(sq + _EPS)


# Floor of squared scaled distances (UMAP uses the same 0.001 in its gradients):
# bounds the repulsion between points that sit on top of each other.
_EPS = 1e-3


def gather_rows(pool: Tensor, index: Tensor) -> Tensor:
    """``pool[index]`` (rows of ``pool``, shape ``(*index.shape, d)``), with a
    backward pass that is reproducible on the CPU.

    The backward of advanced indexing adds the gradients of repeated indices
    in an order that depends on thread timing on the CPU once the pool has
    about 8,192 rows (a batch of 4,096 with its neighbours), so a seeded fit
    at ``batch_size=4096`` differed from run to run. ``index_select``'s
    backward adds them in index order, bitwise as advanced indexing does below
    that size. CUDA keeps advanced indexing (its sort-based backward, which
    the captured training step was measured with).
    """
    if pool.is_cuda:
        return pool[index]
    return pool.index_select(0, index.reshape(-1)).view(*index.shape, pool.shape[-1])


class EdgeModel(nn.Module):
    """``p(G | z)``: the edge kernel with negative sampling inside a minibatch.

    Parameters
    ----------
    min_dist : float
        UMAP's ``min_dist``, which sets the kernel's ``a`` and ``b``.
    scale : float
        Latent distance that counts as 1 in the kernel.
    n_negatives : int
        Non-edges sampled per row, among the other latents of the batch.
    spread : float, default=1.0
        UMAP's ``spread``, which sets ``a`` and ``b`` with ``min_dist``.
    """

    def __init__(
        self, min_dist: float, scale: float, n_negatives: int, spread: float = 1.0
    ) -> None:
        super().__init__()
        self.a, self.b = kernel_params(min_dist, spread)
        self.scale = scale
        self.n_negatives = n_negatives

    def log_likelihood(
        self, z: Tensor, z_neighbor: Tensor, generator: torch.Generator | None
    ) -> Tensor:
        """Per-row edge log-likelihood; non-edges drawn from ``z`` and ``z_neighbor``."""
        pool = torch.cat([z, z_neighbor])
        pick = torch.randint(
            len(pool), (len(z), self.n_negatives), generator=generator, device=z.device
        )
        negatives = gather_rows(pool, pick)
        return edge_log_likelihood(z, z_neighbor, negatives, self.a, self.b, self.scale)

    def non_edge_log_likelihood(self, z: Tensor, z_other: Tensor) -> Tensor:
        """``log p(e = 0)`` of the pairs ``(z[i], z_other[i])``, shape ``(N,)``."""
        return -softplus(-_log_odds_far(z, z_other, self.a, self.b, self.scale))
