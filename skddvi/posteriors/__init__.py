"""Variational posterior families ``q_phi(z | x)`` behind one interface.

A posterior reads the encoder's features ``h(x)`` (shape ``(N, H)``) and
offers:

- ``noise_dim`` : how many standard normal numbers one draw consumes;
- ``rsample(h, noise)`` : a reparameterised draw ``z`` and the per-row
  ``log_ratio = log q(z, aux | x) - log r(aux | z)`` the ELBO needs (for a
  family without auxiliary variables, ``log q(z | x)``);
- ``embed(h)`` : a deterministic point summary of ``q(z | x)``;
- ``has_sleep`` and ``sleep_loss(z, h_dream, generator)`` : whether the
  family has a sleep phase, and its sleep term on dreams ``(z, x~) ~ p_theta``
  (``h_dream`` are the features of ``x~``, or None when the posterior does not
  condition on them); the model calls ``sleep_loss`` only when ``has_sleep``;
- ``matched_by_critic`` and ``adversarial_losses(z, z_prior)`` : for a family
  fitted to the prior by a critic rather than a density, the pair (encoder
  regulariser, critic loss).

The families, one module each: ``"diffusion"`` (DDVI), ``"gaussian"`` (AEVB),
``"iaf"`` (AEVB-IAF: a Gaussian followed by inverse autoregressive flows) and
``"adversarial"`` (AAEB: an adversarial autoencoder's encoder). They are
registered in :data:`POSTERIORS`, so new ones plug in without touching the
estimator.
"""

from __future__ import annotations

from collections.abc import Callable

from ._base import Posterior
from .adversarial import AdversarialPosterior
from .diffusion import DiffusionPosterior
from .gaussian import GaussianPosterior
from .iaf import IAFPosterior

__all__ = [
    "POSTERIORS",
    "AdversarialPosterior",
    "DiffusionPosterior",
    "GaussianPosterior",
    "IAFPosterior",
    "Posterior",
    "make_posterior",
]


def _gaussian(in_features: int, dim: int, **_) -> Posterior:
    return GaussianPosterior(in_features, dim)


def _iaf(in_features: int, dim: int, **_) -> Posterior:
    return IAFPosterior(in_features, dim)


def _adversarial(in_features: int, dim: int, **_) -> Posterior:
    return AdversarialPosterior(in_features, dim)


#: Named posterior families: ``name -> factory(in_features, dim, **options)``.
POSTERIORS: dict[str, Callable[..., Posterior]] = {
    "diffusion": DiffusionPosterior,
    "gaussian": _gaussian,
    "iaf": _iaf,
    "adversarial": _adversarial,
}


def make_posterior(name: str, in_features: int, dim: int, **options) -> Posterior:
    """Build a registered posterior family; ``options`` go to families that use them."""
    if name not in POSTERIORS:
        raise ValueError(f"Unknown posterior {name!r}; expected one of {sorted(POSTERIORS)}.")
    return POSTERIORS[name](in_features, dim, **options)
