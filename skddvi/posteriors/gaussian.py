"""The diagonal Gaussian posterior: AEVB, the VAE baseline."""

from __future__ import annotations

import torch
from torch import Tensor

from ..objectives import standard_normal_log_prob
from ._base import GaussianHead, Posterior


class GaussianPosterior(Posterior):
    """``q(z | x) = N(mu(x), diag sigma^2(x))``: the AEVB (VAE) baseline.

    It has no sleep phase: AEVB is trained on the ELBO alone.
    """

    def __init__(self, in_features: int, dim: int) -> None:
        super().__init__()
        self.dim = dim
        self.noise_dim = dim
        self.head = GaussianHead(in_features, dim)

    def rsample(self, h: Tensor, noise: Tensor) -> tuple[Tensor, Tensor]:
        mean, log_var = self.head(h)
        log_std = 0.5 * log_var
        z = mean + torch.exp(log_std) * noise
        return z, standard_normal_log_prob(noise, log_std)

    def embed(self, h: Tensor) -> Tensor:
        return self.head(h)[0]
