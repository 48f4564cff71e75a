"""What values each parameter of :class:`~skddvi.DDVIEmbedding` takes.

scikit-learn's parameter validation reads :data:`PARAMETER_CONSTRAINTS`
before ``fit``; :data:`INTEGER_PARAMETERS`, derived from it, are those that
take ints, where ``True`` and ``False`` (ints to Python and to that
validation) are mistakes the estimator rejects itself.
"""

from __future__ import annotations

from numbers import Integral, Real

import torch

from ._compat import HasMethods, Interval, StrOptions
from .neighbors import METRIC_ALIASES, METRICS
from .posteriors import POSTERIORS
from .priors import PRIORS

__all__ = ["INTEGER_PARAMETERS", "PARAMETER_CONSTRAINTS"]

PARAMETER_CONSTRAINTS: dict[str, list] = {
    "n_components": [Interval(Integral, 1, None, closed="left")],
    "prior": [StrOptions(set(PRIORS)), HasMethods(["log_prob", "sample"])],
    "n_clusters": [Interval(Integral, 1, None, closed="left"), None],
    "posterior": [StrOptions(set(POSTERIORS))],
    "n_steps": [Interval(Integral, 1, None, closed="left")],
    "hidden_dims": ["array-like", Interval(Integral, 1, None, closed="left")],
    "likelihood": [StrOptions({"auto", "gaussian", "isotropic", "bernoulli"})],
    "kl_weight": [Interval(Real, 0, None, closed="left")],
    "kl_warmup": [Interval(Real, 0, 1, closed="both")],
    "sleep": [StrOptions({"full", "latent", "none"})],
    "sleep_weight": [Interval(Real, 0, None, closed="left")],
    "n_neighbors": [Interval(Integral, 1, None, closed="left")],
    "metric": [StrOptions(set(METRICS) | set(METRIC_ALIASES))],
    "graph_pca": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"}), None],
    "min_dist": [Interval(Real, 0, None, closed="left")],
    "spread": [Interval(Real, 0, None, closed="neither")],
    "graph_weight": [Interval(Real, 0, None, closed="left")],
    "edge_weights": [StrOptions({"uniform", "fuzzy", "mutual"})],
    "n_epochs": [Interval(Integral, 1, None, closed="left"), None],
    "batch_size": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
    # Adam's first step is 10x the rate, in float32: 1e30 keeps it finite.
    "learning_rate": [Interval(Real, 0, 1e30, closed="neither")],
    "device": [str, torch.device],
    "n_jobs": [
        Interval(Integral, None, -1, closed="right"),
        Interval(Integral, 1, None, closed="left"),
        None,
    ],
    "random_state": ["random_state"],
    "verbose": ["verbose"],
}

INTEGER_PARAMETERS = tuple(
    name
    for name, options in PARAMETER_CONSTRAINTS.items()
    if any(isinstance(option, Interval) and option.type is Integral for option in options)
)
