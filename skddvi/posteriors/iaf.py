"""AEVB-IAF: a Gaussian followed by inverse autoregressive flow layers (Kingma et al., 2016)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import torch
from torch import Tensor, nn

from ..objectives import standard_normal_log_prob
from ._base import GaussianHead, Posterior

# A forget-gate bias: each fresh layer starts close to the identity.
_GATE_BIAS = 2.0


class MaskedLinear(nn.Linear):
    """A linear layer whose weight is multiplied by a fixed 0/1 mask."""

    mask: Tensor

    def __init__(self, in_features: int, out_features: int, mask: Tensor) -> None:
        super().__init__(in_features, out_features)
        self.register_buffer("mask", mask.to(self.weight.dtype))

    def forward(self, x: Tensor) -> Tensor:
        return nn.functional.linear(x, self.weight * self.mask, self.bias)


class MADE(nn.Module):
    """Autoregressive network: outputs ``(m, s)`` for coordinate ``i`` read only the
    coordinates before it in ``order``; the context (from ``x``) enters after the
    first masked layer and, directly, every output.

    Parameters
    ----------
    dim : int
    hidden_dims : sequence of int
    context_dim : int
    reverse : bool
        Use the reversed coordinate order (alternate layers flip it).
    """

    def __init__(
        self, dim: int, hidden_dims: Sequence[int], context_dim: int, reverse: bool
    ) -> None:
        super().__init__()
        order = torch.arange(dim).flip(0) if reverse else torch.arange(dim)
        degrees = [order]
        for width in hidden_dims:
            degrees.append(torch.arange(width) % max(dim - 1, 1))
        layers = []
        for prev, cur in itertools.pairwise(degrees):
            layers.append(MaskedLinear(len(prev), len(cur), (cur[:, None] >= prev[None, :])))
        out_mask = (order[:, None] > degrees[-1][None, :]).repeat(2, 1)
        self.layers = nn.ModuleList(layers)
        self.output = MaskedLinear(len(degrees[-1]), 2 * dim, out_mask)
        self.context = nn.Linear(context_dim, hidden_dims[0])
        self.context_output = nn.Linear(context_dim, 2 * dim)
        for linear in (self.output, self.context_output):
            nn.init.zeros_(linear.weight)
            nn.init.zeros_(linear.bias)

    def forward(self, z: Tensor, context: Tensor) -> tuple[Tensor, Tensor]:
        h = z
        for k, layer in enumerate(self.layers):
            h = layer(h) + (self.context(context) if k == 0 else 0.0)
            h = nn.functional.elu(h)
        m, s = (self.output(h) + self.context_output(context)).chunk(2, dim=-1)
        return m, s


class IAFPosterior(Posterior):
    """``z_0 ~ N(mu(x), sigma^2(x))`` then ``z_k = g z_{k-1} + (1 - g) m`` with
    ``(m, s) = MADE_k(z_{k-1}, c(x))`` and ``g = sigmoid(s)``; so
    ``log q(z_K | x) = log q(z_0 | x) - sum_k sum_i log g``.

    The paper's AEVB-IAF: 4 layers, MADE networks of 128 x 3 units, a context
    of 10 numbers from the encoder, the coordinate order flipped on every
    other layer. ``embed`` sends the encoder mean through the flow.
    No sleep phase (a baseline trained on the ELBO alone).

    Parameters
    ----------
    in_features : int
    dim : int
    n_flows : int, default=4
    hidden_dims : sequence of int, default=(128, 128, 128)
    context_dim : int, default=10
    """

    def __init__(
        self,
        in_features: int,
        dim: int,
        n_flows: int = 4,
        hidden_dims: Sequence[int] = (128, 128, 128),
        context_dim: int = 10,
    ) -> None:
        super().__init__()
        self.dim = dim
        self.noise_dim = dim
        self.head = GaussianHead(in_features, dim)
        self.context = nn.Linear(in_features, context_dim)
        self.flows = nn.ModuleList(
            MADE(dim, hidden_dims, context_dim, reverse=k % 2 == 1) for k in range(n_flows)
        )

    def _flow(self, z: Tensor, h: Tensor) -> tuple[Tensor, Tensor]:
        """Push ``z_0`` through the layers; returns ``z_K`` and ``sum log g`` per row."""
        context = self.context(h)
        log_det = z.new_zeros(z.shape[0])
        for made in self.flows:
            m, s = made(z, context)
            gate = torch.sigmoid(s + _GATE_BIAS)
            z = gate * z + (1.0 - gate) * m
            log_det = log_det + nn.functional.logsigmoid(s + _GATE_BIAS).sum(-1)
        return z, log_det

    def rsample(self, h: Tensor, noise: Tensor) -> tuple[Tensor, Tensor]:
        mean, log_var = self.head(h)
        log_std = 0.5 * log_var
        z, log_det = self._flow(mean + torch.exp(log_std) * noise, h)
        return z, standard_normal_log_prob(noise, log_std) - log_det

    def embed(self, h: Tensor) -> Tensor:
        return self._flow(self.head(h)[0], h)[0]
