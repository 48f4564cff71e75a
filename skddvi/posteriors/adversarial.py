"""AAEB: the encoder of an adversarial autoencoder (Makhzani et al., 2016)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from torch import Tensor, nn
from torch.func import functional_call

from ..networks import MLP
from ..objectives import standard_normal_log_prob
from ._base import Posterior

# Width of the fixed Gaussian around the encoder's point (see the class docstring).
_WIDTH = 0.05


class AdversarialPosterior(Posterior):
    """A point encoder ``f(x)`` matched to the prior by a critic, not by a KL term.

    A critic ``D(z)`` learns to tell embeddings from prior draws (logistic
    loss); the encoder is trained to fool it (the non-saturating generator
    loss), which replaces the KL terms in the training loss. The posterior is
    ``N(f(x), 0.05^2 I)``: narrow enough to act as the adversarial
    autoencoder's point encoder, and a density, so ``score`` is still an ELBO
    (a valid, if loose, bound). ``embed`` returns ``f(x)``.

    Parameters
    ----------
    in_features : int
    dim : int
    critic_dims : sequence of int, default=(256, 256)
        Hidden widths of the critic (the paper's was 1000 x 2).
    """

    matched_by_critic = True

    def __init__(self, in_features: int, dim: int, critic_dims: Sequence[int] = (256, 256)) -> None:
        super().__init__()
        self.dim = dim
        self.noise_dim = dim
        self.head = nn.Linear(in_features, dim)
        self.critic = MLP(dim, critic_dims, 1)

    def rsample(self, h: Tensor, noise: Tensor) -> tuple[Tensor, Tensor]:
        z = self.head(h) + _WIDTH * noise
        return z, standard_normal_log_prob(noise, math.log(_WIDTH))

    def embed(self, h: Tensor) -> Tensor:
        return self.head(h)

    def adversarial_losses(self, z: Tensor, z_prior: Tensor) -> tuple[Tensor, Tensor]:
        softplus = nn.functional.softplus
        frozen = {name: p.detach() for name, p in self.critic.named_parameters()}
        # Encoder: make embeddings look like prior draws (-log D(z)); the critic's
        # weights are detached so this term does not train the critic.
        regulariser = softplus(-functional_call(self.critic, frozen, (z,))).mean()
        # Critic: -log D(z_prior) - log(1 - D(z)), on detached embeddings.
        critic_loss = (
            softplus(-self.critic(z_prior)).mean() + softplus(self.critic(z.detach())).mean()
        )
        return regulariser, critic_loss
