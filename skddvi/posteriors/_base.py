"""The interface every posterior family implements, and shared pieces."""

from __future__ import annotations

import torch
from torch import Tensor, nn

# Bounds of the encoder's log-variance: keeps exp() finite early in training.
_LOG_VAR_RANGE = (-12.0, 6.0)


class Posterior(nn.Module):
    """Base class of posterior families (see the module docstring)."""

    dim: int
    noise_dim: int

    def rsample(self, h: Tensor, noise: Tensor) -> tuple[Tensor, Tensor]:  # pragma: no cover
        raise NotImplementedError

    def embed(self, h: Tensor) -> Tensor:  # pragma: no cover
        raise NotImplementedError

    #: Whether the family has a sleep term (:meth:`sleep_loss` is not None).
    has_sleep: bool = False

    def sleep_loss(
        self, z: Tensor, h_dream: Tensor | None, generator: torch.Generator | None
    ) -> Tensor | None:
        """Sleep term per row; None for families trained on the ELBO alone."""
        return None

    @property
    def uses_dreams(self) -> bool:
        """Whether :meth:`sleep_loss` needs the features of decoded dreams."""
        return False

    #: Whether the family is matched to the prior by a critic instead of a density.
    matched_by_critic: bool = False

    def adversarial_losses(self, z: Tensor, z_prior: Tensor) -> tuple[Tensor, Tensor]:
        """``(regulariser, critic loss)`` of a family with ``matched_by_critic``.

        The regulariser replaces the KL terms in the training loss and reaches
        only the encoder; the critic loss trains only the critic.
        """
        raise NotImplementedError


class GaussianHead(nn.Module):
    """Linear map from features to the mean and log-variance of a diagonal Gaussian."""

    def __init__(self, in_features: int, dim: int) -> None:
        super().__init__()
        self.linear = nn.Linear(in_features, 2 * dim)

    def forward(self, h: Tensor) -> tuple[Tensor, Tensor]:
        mean, log_var = self.linear(h).chunk(2, dim=-1)
        return mean, log_var.clamp(*_LOG_VAR_RANGE)
