"""Assemble a :class:`~skddvi.model.DDVIModel` from resolved settings."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import Tensor, nn

from ._data import InputScaling, common_scale
from ._torch_state import float32_default, seeded_global_rng
from .edges import EdgeModel
from .likelihoods import make_likelihood
from .model import DDVIModel
from .networks import MLP
from .posteriors import make_posterior
from .priors import Prior

__all__ = ["build_model"]

# Architecture constants of the diffusion posterior. The correction network is
# one time-conditioned hidden layer of 128 units (the paper's denoiser had
# four): it refines the exact Gaussian reversal rather than carrying the whole
# posterior, and the chain's T sequential calls dominate the cost of a step.
# The context c(x) is a learned 16-number summary of x read by every step.
DENOISER_DIMS = (128,)
CONTEXT_DIM = 16
# alpha_bar_T of the noise schedule: y_T keeps sqrt(0.5) of the signal of z.
# Measured on digits against 0.1, 0.9 and 0.99 (10-NN accuracy and ELBO).
FINAL_ALPHA_BAR = 0.5
# The edge kernel measures latent distances in units of GRAPH_SCALE: with a
# unit-scale prior, neighbourhoods are about this wide. Non-edges sampled per
# edge: 5, as UMAP's negative_sample_rate.
GRAPH_SCALE = 0.2
N_NEGATIVES = 5


def build_model(
    *,
    n_features: int,
    prior: Prior,
    posterior: str,
    n_steps: int,
    hidden_dims: Sequence[int],
    likelihood: str,
    sleep: str,
    mean: np.ndarray,
    variance: np.ndarray,
    seed: int,
    min_dist: float | None = None,
    spread: float = 1.0,
    n_classes: int | None = None,
    offset: np.ndarray | None = None,
    scaling: InputScaling | None = None,
) -> DDVIModel:
    """Build the model with weights initialised from ``seed`` (global RNG untouched).

    The model reads rows ``x - offset`` (see :class:`~skddvi.model.DDVIModel`).
    The likelihood's model space is set by ``mean`` and ``variance``; the
    encoder reads rows as ``scaling`` says (None: the same, nothing shrunk).
    A semi-supervised model with the neighbour graph (``min_dist`` given)
    also trains a linear classifier of the latent (see ``DDVIModel``); the
    paper's plain model has only the paper's classifier of the features.
    """
    dim = prior.n_components
    scale = common_scale(variance)
    center = _shifted(mean, offset)
    if scaling is None:
        scaling = InputScaling(mean, scale, np.inf)
    with seeded_global_rng(seed), float32_default():
        encoder = nn.Sequential(MLP(n_features, hidden_dims[:-1], hidden_dims[-1]), nn.SiLU())
        post = make_posterior(
            posterior,
            hidden_dims[-1],
            dim,
            n_steps=n_steps,
            final_alpha_bar=FINAL_ALPHA_BAR,
            context_dim=0 if sleep == "latent" else CONTEXT_DIM,
            denoiser_dims=DENOISER_DIMS,
        )
        decoder = MLP(dim, tuple(reversed(hidden_dims)), n_features)
        lik = make_likelihood(likelihood, center, scale, torch.as_tensor(variance))
        classifier = None if n_classes is None else nn.Linear(hidden_dims[-1], n_classes)
        separating = n_classes is not None and min_dist is not None
        latent_classifier = nn.Linear(dim, n_classes) if separating else None
    graph = None if min_dist is None else EdgeModel(min_dist, GRAPH_SCALE, N_NEGATIVES, spread)
    return DDVIModel(
        encoder,
        post,
        decoder,
        lik,
        prior,
        _shifted(scaling.center, offset),
        scaling.scale,
        sleep,
        graph,
        classifier,
        None if offset is None else torch.as_tensor(offset, dtype=torch.float64),
        scaling.radius,
        latent_classifier,
    )


def _shifted(center: np.ndarray, offset: np.ndarray | None) -> Tensor:
    """``center`` in the units of the rows the model reads (``x - offset``)."""
    return torch.as_tensor(center if offset is None else center - offset, dtype=torch.float32)
