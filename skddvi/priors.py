"""Priors ``p(z)`` with exact, differentiable ``log_prob`` and ``sample``.

Every structured prior of the paper (pinwheel, swiss roll, square) is built
here as a fine Gaussian mixture laid along its curve. The mixture *is* the
prior: ``sample`` draws from it and ``log_prob`` is its exact density, so no
kernel density estimate is needed anywhere. Mixture components double as the
classes or clusters of a prior (the arms of the pinwheel, for example).

The prior protocol
------------------
``DDVIEmbedding(prior=...)`` accepts a name from :data:`PRIORS` or an object
that follows this protocol (subclassing :class:`Prior` is easiest):

- ``n_components`` : int, the latent dimension ``d``;
- ``log_prob(z)`` : ``(N, d)`` tensor -> ``(N,)`` tensor of log densities,
  differentiable in ``z``;
- ``sample(n, generator=None)`` : ``(n, d)`` tensor of draws, on the device of
  the prior's buffers when it has any;
- being a :class:`torch.nn.Module` is optional; if it is one, the estimator
  moves a copy of it to the training device and trains any parameter that has
  ``requires_grad=True`` together with the model.

Optional, for more than an embedding:

- ``n_groups`` (int) and ``group_log_prob(z)`` (``(N, d)`` -> ``(N, n_groups)``
  tensor of ``log p(z, g)``, whose ``logsumexp`` over groups is ``log_prob``):
  a prior with both has clusters, so ``predict``, ``predict_proba`` and
  ``fit_predict`` exist after an unlabelled fit; a fit with labels needs them,
  with ``n_groups`` equal to the number of classes (group ``g`` is the ``g``-th
  class in sorted order);
- ``fit_to(z)``: a :class:`torch.nn.Module` prior with trainable parameters
  and this method is re-estimated on the embedding of every training row
  (``z``, an ``(N, d)`` tensor, without gradient) at 20% and 50% of an
  unlabelled fit's epochs, as :class:`MixturePrior` is.

The object passed in is never modified: ``fit`` works on a deep copy
(``prior_``).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

import numpy as np
import torch
from torch import Tensor, nn

__all__ = [
    "PRIORS",
    "GaussianPrior",
    "MixturePrior",
    "Prior",
    "make_prior",
    "mixture_prior",
    "pinwheel_prior",
    "smoothed_prior",
    "square_prior",
    "swiss_roll_prior",
]

_LOG_2PI = math.log(2.0 * math.pi)


class Prior(nn.Module):
    """Base class of priors: a latent dimension, ``log_prob`` and ``sample``."""

    n_components: int

    def log_prob(self, z: Tensor) -> Tensor:  # pragma: no cover - abstract
        """Log density of each row of ``z`` (shape ``(N, d)`` -> ``(N,)``)."""
        raise NotImplementedError

    def sample(
        self, n: int, generator: torch.Generator | None = None
    ) -> Tensor:  # pragma: no cover
        """Draw ``n`` points, shape ``(n, d)``."""
        raise NotImplementedError

    def _device(self) -> torch.device:
        buffer = next(iter(self.buffers()), None)
        return buffer.device if buffer is not None else torch.device("cpu")


class GaussianPrior(Prior):
    """Isotropic Gaussian ``N(0, scale^2 I)`` in ``n_components`` dimensions."""

    scale: Tensor

    def __init__(self, n_components: int, scale: float = 1.0) -> None:
        super().__init__()
        self.n_components = n_components
        self.register_buffer("scale", torch.tensor(float(scale)))

    def log_prob(self, z: Tensor) -> Tensor:
        scale = self.scale.to(z.dtype)
        u = z / scale
        return -0.5 * (u * u).sum(-1) - z.shape[-1] * (torch.log(scale) + 0.5 * _LOG_2PI)

    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        noise = torch.randn(
            n, self.n_components, generator=generator, device=self._device(), dtype=self.scale.dtype
        )
        return noise * self.scale


def _check_component_labels(labels: np.ndarray, n_mix: int) -> None:
    """Raise a ``ValueError`` unless ``labels`` gives each of the ``n_mix``
    components a group ``0 .. G-1`` and every group has a component (a group
    without one has probability 0: a class of it could not be fitted)."""
    whole = labels.dtype.kind in "iu" or (
        labels.dtype.kind == "f" and np.array_equal(labels, np.round(labels))
    )
    if labels.shape != (n_mix,) or not whole or labels.min() < 0:
        raise ValueError(
            f"component_labels must hold one non-negative int group per component "
            f"({n_mix}), got {labels.tolist()!r}."
        )
    empty = np.setdiff1d(np.arange(int(labels.max()) + 1), labels)
    if empty.size:
        raise ValueError(
            f"component_labels must number the groups 0 to {int(labels.max())} with at least "
            f"one component each; groups {empty.tolist()} have none."
        )


class MixturePrior(Prior):
    """Gaussian mixture with full covariances.

    Parameters
    ----------
    means : array-like of shape (K, d)
    covariances : array-like of shape (K, d, d)
        Symmetric positive definite.
    weights : array-like of shape (K,), default=None
        Mixture weights (normalised here); uniform when None.
    component_labels : array-like of shape (K,), default=None
        Optional group of each component (the arm, segment or cluster it
        belongs to). Defaults to ``arange(K)``.
    trainable : bool, default=False
        If True, the means, the weight logits and one log-scale per component
        (multiplying its covariance's Cholesky factor) are parameters trained
        with the model; the covariances' shapes stay fixed.
    """

    def __init__(
        self,
        means: np.ndarray,
        covariances: np.ndarray,
        weights: np.ndarray | None = None,
        component_labels: np.ndarray | None = None,
        trainable: bool = False,
    ) -> None:
        super().__init__()
        means = torch.as_tensor(np.asarray(means), dtype=torch.float32)
        n_mix, dim = means.shape
        covariances = torch.as_tensor(np.asarray(covariances), dtype=torch.float64)
        if covariances.shape != (n_mix, dim, dim):
            raise ValueError(
                f"covariances must have shape {(n_mix, dim, dim)}, got {tuple(covariances.shape)}."
            )
        weights = np.full(n_mix, 1.0 / n_mix) if weights is None else np.asarray(weights, float)
        if weights.shape != (n_mix,) or np.any(weights <= 0):
            raise ValueError("weights must be positive, one per component.")
        labels = np.arange(n_mix) if component_labels is None else np.asarray(component_labels)
        _check_component_labels(labels, n_mix)
        self.n_components = dim
        scale_tril = torch.linalg.cholesky(covariances)
        self.means = nn.Parameter(means, requires_grad=trainable)
        self.logits = nn.Parameter(
            torch.as_tensor(np.log(weights / weights.sum()), dtype=torch.float32),
            requires_grad=trainable,
        )
        self.log_scales = nn.Parameter(torch.zeros(n_mix), requires_grad=trainable)
        self.register_buffer("base_scale_tril", scale_tril.float())
        self.register_buffer("base_precision_tril", torch.linalg.inv(scale_tril).float())
        self.register_buffer("component_labels", torch.as_tensor(labels, dtype=torch.long))
        # A Python int: reading it from the buffer would synchronise with the device.
        self._n_groups = int(labels.max()) + 1

    @property
    def scale_tril(self) -> Tensor:
        """Cholesky factors of the covariances, shape ``(K, d, d)``."""
        return self.base_scale_tril * torch.exp(self.log_scales)[:, None, None]

    @property
    def n_mixture_components(self) -> int:
        """Number of mixture components ``K``."""
        return int(self.means.shape[0])

    def component_log_prob(self, z: Tensor) -> Tensor:
        """``log w_k + log N(z; m_k, S_k)`` for every row and component, shape ``(N, K)``."""
        diff = z.unsqueeze(1) - self.means.to(z.dtype)  # (N, K, d)
        precision = self.base_precision_tril * torch.exp(-self.log_scales)[:, None, None]
        white = torch.einsum("kij,nkj->nki", precision.to(z.dtype), diff)
        base_log_det = torch.log(torch.diagonal(self.base_scale_tril, dim1=-2, dim2=-1)).sum(-1)
        log_det = base_log_det + z.shape[-1] * self.log_scales
        log_weights = torch.log_softmax(self.logits, dim=0)
        log_normal = (
            -0.5 * (white * white).sum(-1) - log_det.to(z.dtype) - 0.5 * z.shape[-1] * _LOG_2PI
        )
        return log_weights.to(z.dtype) + log_normal

    def log_prob(self, z: Tensor) -> Tensor:
        return torch.logsumexp(self.component_log_prob(z), dim=-1)

    def responsibilities(self, z: Tensor) -> Tensor:
        """Posterior probability of each component given ``z``, shape ``(N, K)``."""
        return torch.softmax(self.component_log_prob(z), dim=-1)

    @torch.no_grad()
    def fit_to(self, z: Tensor, random_state: int = 0) -> None:
        """Move a trainable mixture onto the points ``z`` (e.g. the current embedding).

        The maximum-likelihood step for the prior given the posterior: k-means
        (k-means++ starts) places the means, cluster sizes set the weights and
        each cluster's spread sets its component's scale. Gradient steps on
        ``log p(z)`` alone can leave components empty and merge clusters; this
        re-estimation cannot.
        """
        from sklearn.cluster import KMeans

        points = z.detach().cpu().double().numpy()
        k = self.n_mixture_components
        if len(np.unique(points, axis=0)) < k:  # fewer distinct points than clusters
            return
        km = KMeans(n_clusters=k, n_init=3, random_state=random_state).fit(points)
        counts = np.bincount(km.labels_, minlength=k).astype(float)
        spread = np.array(
            [
                np.mean(np.sum((points[km.labels_ == j] - km.cluster_centers_[j]) ** 2, axis=1))
                if counts[j] > 1
                else np.nan
                for j in range(k)
            ]
        )
        base = torch.diagonal(self.base_scale_tril @ self.base_scale_tril.mT, dim1=-2, dim2=-1)
        ratio = spread / base.sum(-1).cpu().double().numpy()
        ratio = np.where(np.isfinite(ratio) & (ratio > 0), ratio, 1.0)
        weights = (counts + 1.0) / (counts.sum() + k)
        for param, value in [
            (self.means, km.cluster_centers_),
            (self.logits, np.log(weights)),
            (self.log_scales, 0.5 * np.log(ratio)),
        ]:
            param.copy_(torch.as_tensor(value, dtype=param.dtype, device=param.device))

    @property
    def n_groups(self) -> int:
        """Number of groups of components (arms, segments, clusters or classes)."""
        return self._n_groups

    def group_log_prob(self, z: Tensor) -> Tensor:
        """``log p(z, g)`` for every group ``g`` of components, shape ``(N, G)``.

        Groups are ``component_labels``; ``logsumexp`` over the last axis gives
        :meth:`log_prob`. They are the clusters of ``predict`` and the classes of
        semi-supervised fits.
        """
        log_p = self.component_log_prob(z)  # (N, K)
        groups = self.component_labels.expand_as(log_p)
        shape = (log_p.shape[0], self.n_groups)
        # A log-sum-exp per group, in (N, K) memory rather than (N, K, G): shift
        # by the group's largest term (a stabiliser only: no gradient through it).
        peak = torch.full(shape, -torch.inf, dtype=log_p.dtype, device=log_p.device)
        peak = peak.scatter_reduce(1, groups, log_p.detach(), "amax")
        peak = peak.clamp_min(torch.finfo(log_p.dtype).min)  # keeps an all -inf group at -inf
        shifted = torch.exp(log_p - peak.gather(1, groups))
        total = torch.zeros(shape, dtype=log_p.dtype, device=log_p.device)
        return torch.log(total.scatter_add(1, groups, shifted)) + peak

    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        probs = torch.softmax(self.logits.detach(), dim=0)
        k = torch.multinomial(probs, n, replacement=True, generator=generator)
        noise = torch.randn(
            n,
            self.n_components,
            generator=generator,
            device=self.means.device,
            dtype=self.means.dtype,
        )
        scale_tril = self.scale_tril.detach()
        return self.means.detach()[k] + torch.einsum("nij,nj->ni", scale_tril[k], noise)


def smoothed_prior(prior: MixturePrior, bandwidths) -> MixturePrior:
    """``prior`` blurred by ``N(0, b^2 I)`` with ``b`` uniform on ``bandwidths``.

    This is the exact limit of the density the DDVI paper's code trained and
    scored with: a kernel density estimate of prior samples, its log averaged
    over the bandwidths 0.005 to 0.05 (``latent_nll``'s bandwidths). On the
    thin shaped priors (pinwheel arms are 0.005 wide) the blur smooths the
    narrow valleys of ``log p(z)`` that otherwise trap a 2-D encoder early in
    training. Each component of ``prior`` becomes one component per bandwidth
    with its weight split evenly; component labels (the groups) are kept. The
    result is fixed (not trainable), whatever ``prior`` was.
    """
    bandwidths = np.asarray(bandwidths, dtype=float).ravel()
    if bandwidths.size == 0 or np.any(bandwidths <= 0):
        raise ValueError("bandwidths must be positive numbers, at least one.")
    with torch.no_grad():
        means = prior.means.double().numpy()
        scale_tril = prior.scale_tril.double()
        covariances = (scale_tril @ scale_tril.transpose(-1, -2)).numpy()
        weights = torch.softmax(prior.logits.double(), dim=0).numpy()
        labels = prior.component_labels.numpy()
    eye = np.eye(means.shape[1])
    return MixturePrior(
        np.tile(means, (bandwidths.size, 1)),
        np.concatenate([covariances + b**2 * eye for b in bandwidths]),
        np.tile(weights, bandwidths.size),
        np.tile(labels, bandwidths.size),
    )


# ---------------------------------------------------------------------------
# The named priors of the paper, as mixtures
# ---------------------------------------------------------------------------


def _tangent_covariances(tangents: np.ndarray, along: np.ndarray, across: float) -> np.ndarray:
    """2-D covariances with std ``along`` on each unit tangent and ``across`` normal to it."""
    normals = np.stack([-tangents[:, 1], tangents[:, 0]], axis=1)
    outer_t = np.einsum("ki,kj->kij", tangents, tangents)
    outer_n = np.einsum("ki,kj->kij", normals, normals)
    return along[:, None, None] ** 2 * outer_t + across**2 * outer_n


def _arc_length_grid(curve: Callable[[np.ndarray], np.ndarray], spacing: float):
    """Points equally spaced in arc length along ``curve`` on ``s in [0, 1]``.

    Returns the parameters ``s``, the points, the unit tangents, the spacing
    actually used, and ``ds/dl`` (to turn a density in ``s`` into one in arc
    length).
    """
    fine = np.linspace(0.0, 1.0, 20001)
    pts = curve(fine)
    seg = np.linalg.norm(np.diff(pts, axis=0), axis=1)
    arc = np.concatenate([[0.0], np.cumsum(seg)])
    n = max(int(np.ceil(arc[-1] / spacing)), 2)
    step = arc[-1] / n
    targets = (np.arange(n) + 0.5) * step
    s = np.interp(targets, arc, fine)
    h = 1e-5
    deriv = (curve(np.clip(s + h, 0, 1)) - curve(np.clip(s - h, 0, 1))) / (
        np.clip(s + h, 0, 1) - np.clip(s - h, 0, 1)
    )[:, None]
    speed = np.linalg.norm(deriv, axis=1)
    return s, curve(s), deriv / speed[:, None], step, 1.0 / speed


def pinwheel_prior(
    n_arms: int = 10,
    radial_std: float = 0.15,
    tangential_std: float = 0.005,
    rate: float = 0.25,
    n_per_arm: int = 80,
) -> MixturePrior:
    """The pinwheel of Johnson et al. (2016), as in the DDVI paper.

    The generative process is ``f ~ N((1, 0), diag(radial_std^2, tangential_std^2))``,
    ``a = 2 pi k / n_arms + rate exp(f_0)`` and ``z = f R(a)``. Each arm is a
    mixture of ``n_per_arm`` Gaussians on an even grid of ``f_0`` over
    ``1 +- 4 radial_std``, weighted by the normal density of ``f_0``; each is the
    linearisation of that map (whose Jacobian has determinant 1) with ``f_0``
    smoothed over the grid spacing. The grid is fine enough that the curved
    arm stays within its thickness along each component. Component labels are
    the arms.
    """
    radii = 1.0 + radial_std * np.linspace(-4.0, 4.0, n_per_arm)
    spacing = np.full(n_per_arm, radii[1] - radii[0])
    weights = np.exp(-0.5 * ((radii - 1.0) / radial_std) ** 2)
    means, covs, labels = [], [], []
    for arm in range(n_arms):
        angle = 2 * np.pi * arm / n_arms + rate * np.exp(radii)
        c, s = np.cos(angle), np.sin(angle)
        da = rate * np.exp(radii)
        means.append(np.stack([radii * c, -radii * s], axis=1))
        u = np.stack([c - radii * s * da, -s - radii * c * da], axis=1)  # dz/df0
        v = np.stack([s, c], axis=1)  # dz/df1
        covs.append(
            spacing[:, None, None] ** 2 * np.einsum("ki,kj->kij", u, u)
            + tangential_std**2 * np.einsum("ki,kj->kij", v, v)
        )
        labels.append(np.full(n_per_arm, arm))
    return MixturePrior(
        np.concatenate(means),
        np.concatenate(covs),
        np.tile(weights, n_arms),
        np.concatenate(labels),
    )


def swiss_roll_prior(
    n_segments: int = 10, noise: float = 0.1, spacing: float = 0.08
) -> MixturePrior:
    """The swiss roll of the DDVI paper: radius ``3 sqrt(u)``, angle ``4.5 pi sqrt(u)``.

    ``u ~ U[0, 1]`` and the point is jittered by isotropic ``N(0, noise^2 I)``.
    Components are spaced ``spacing`` apart in arc length; labels are the
    ``n_segments`` equal intervals of ``u`` (the paper's classes).
    """

    def curve(s: np.ndarray) -> np.ndarray:
        return np.stack([3 * s * np.cos(4.5 * np.pi * s), 3 * s * np.sin(4.5 * np.pi * s)], axis=1)

    s, points, tangents, step, ds_dl = _arc_length_grid(curve, spacing)
    weights = 2 * s * ds_dl  # density of s = sqrt(u) is 2 s
    along = np.full(len(s), step)
    covs = _tangent_covariances(tangents, along, 0.0) + noise**2 * np.eye(2)
    labels = np.minimum((s**2 * n_segments).astype(int), n_segments - 1)
    return MixturePrior(points, covs, weights, labels)


def square_prior(n_segments: int = 10, noise: float = 0.06, spacing: float = 0.04) -> MixturePrior:
    """Uniform on the perimeter of ``[-1, 1]^2`` with perpendicular noise ``noise``.

    The perimeter runs clockwise from the top-left corner, as in the paper's
    code; labels are ``n_segments`` equal intervals of it.
    """
    corners = np.array([[-1.0, 1.0], [1.0, 1.0], [1.0, -1.0], [-1.0, -1.0], [-1.0, 1.0]])
    n_side = int(np.ceil(2.0 / spacing))
    step = 2.0 / n_side
    offsets = (np.arange(n_side) + 0.5) / n_side
    points, tangents = [], []
    for a, b in itertools.pairwise(corners):
        points.append(a + offsets[:, None] * (b - a))
        tangents.append(np.repeat(((b - a) / 2.0)[None], n_side, axis=0))
    points, tangents = np.concatenate(points), np.concatenate(tangents)
    covs = _tangent_covariances(tangents, np.full(len(points), step), noise)
    position = (np.arange(len(points)) + 0.5) / len(points)
    labels = np.minimum((position * n_segments).astype(int), n_segments - 1)
    return MixturePrior(points, covs, None, labels)


def mixture_prior(
    n_clusters: int = 10,
    n_components: int = 2,
    trainable: bool = False,
    n_groups: int | None = None,
) -> MixturePrior:
    """Gaussian mixture with ``n_clusters`` equal components.

    In 2-D, the paper's layout: means on a circle of radius
    ``1.4 max(1, n_clusters / 10)`` (so neighbours stay about 0.9 apart), each
    component elongated radially (std 0.5) and thin tangentially (std 0.1). In
    more dimensions, means at distance 2 from the origin along well-spread
    directions (orthogonal when ``n_clusters <= n_components``, otherwise
    fixed directions spread by farthest-point selection), isotropic std 0.3.
    In 1-D, means evenly spaced and symmetric about 0, from -2 to 2 (wider
    past four components, so that neighbours stay 1.2, 4 stds, apart).
    Components are grouped round-robin into ``n_groups`` groups (one per
    component when None).
    """
    labels = np.arange(n_clusters) % (n_groups or n_clusters)
    if n_components == 2:
        radius = 1.4 * max(1.0, n_clusters / 10)
        angle = 2 * np.pi * np.arange(n_clusters) / n_clusters
        radial = np.stack([np.cos(angle), np.sin(angle)], axis=1)
        covs = _tangent_covariances(radial, np.full(n_clusters, 0.5), 0.1)
        return MixturePrior(radius * radial, covs, None, labels, trainable=trainable)
    covs = np.repeat((0.3**2 * np.eye(n_components))[None], n_clusters, axis=0)
    if n_components == 1:
        half_span = max(2.0, 0.6 * (n_clusters - 1))
        means = np.linspace(-half_span, half_span, n_clusters)[:, None]
        return MixturePrior(means, covs, None, labels, trainable=trainable)
    if n_clusters <= n_components:
        directions = np.eye(n_components)[:n_clusters]
    else:
        directions = _spread_directions(n_clusters, n_components)
    return MixturePrior(2.0 * directions, covs, None, labels, trainable=trainable)


def _spread_directions(k: int, d: int, n_candidates: int = 64) -> np.ndarray:
    """``k`` unit vectors in ``d`` dimensions, far apart: greedy farthest-point
    selection among ``n_candidates * k`` fixed pseudo-random directions (plain
    random ones come close: two of 10 in 3-D at 0.18 of the radius)."""
    candidates = np.random.default_rng(0).normal(size=(n_candidates * k, d))
    candidates /= np.linalg.norm(candidates, axis=1, keepdims=True)
    chosen = [0]
    nearest = np.linalg.norm(candidates - candidates[0], axis=1)
    for _ in range(k - 1):
        chosen.append(int(np.argmax(nearest)))
        nearest = np.minimum(nearest, np.linalg.norm(candidates - candidates[chosen[-1]], axis=1))
    return candidates[chosen]


def _gaussian(n_components: int, n_clusters: int | None, n_classes: int | None) -> Prior:
    if n_classes is None:
        return GaussianPrior(n_components)
    # A Gaussian has no parts to hand to classes: one learned component per class.
    return mixture_prior(n_classes, n_components, trainable=True)


def _mixture(n_components: int, n_clusters: int | None, n_classes: int | None) -> Prior:
    k = n_clusters if n_clusters is not None else (n_classes or 10)
    if n_classes is not None and k < n_classes:
        raise ValueError(
            f"n_clusters={k} is smaller than the {n_classes} classes in y; each class needs "
            "at least one component of prior='mixture'."
        )
    return mixture_prior(k, n_components, trainable=True, n_groups=n_classes)


def _two_d(builder: Callable[[int], MixturePrior]) -> Callable[..., Prior]:
    def make(n_components: int, n_clusters: int | None, n_classes: int | None) -> Prior:
        return builder(n_classes or 10)

    make.two_d_only = True  # type: ignore[attr-defined]
    return make


#: Named priors: ``name -> factory(n_components, n_clusters, n_classes)``.
PRIORS: dict[str, Callable[[int, int | None, int | None], Prior]] = {
    "gaussian": _gaussian,
    "mixture": _mixture,
    "pinwheel": _two_d(lambda n: pinwheel_prior(n_arms=n)),
    "swiss_roll": _two_d(lambda n: swiss_roll_prior(n_segments=n)),
    "square": _two_d(lambda n: square_prior(n_segments=n)),
}


def is_two_d_only(name: str) -> bool:
    """Whether the named prior exists only in two dimensions."""
    return getattr(PRIORS[name], "two_d_only", False)


def make_prior(
    name: str, n_components: int = 2, n_clusters: int | None = None, n_classes: int | None = None
) -> Prior:
    """Build a named prior.

    Parameters
    ----------
    name : {"gaussian", "mixture", "pinwheel", "swiss_roll", "square"}
    n_components : int, default=2
        Latent dimension. The pinwheel, swiss roll and square exist in 2-D only.
    n_clusters : int or None, default=None
        Number of components of ``"mixture"`` (10, or ``n_classes``, when None);
        ignored otherwise.
    n_classes : int or None, default=None
        For semi-supervised fits: partition the prior into this many classes
        (the pinwheel's arms, the segments of the swiss roll and square, the
        mixture's components round-robin; the Gaussian becomes a mixture with
        one component per class).

    Returns
    -------
    Prior
    """
    if name not in PRIORS:
        raise ValueError(f"Unknown prior {name!r}; expected one of {sorted(PRIORS)}.")
    if is_two_d_only(name) and n_components != 2:
        raise ValueError(
            f"prior={name!r} is defined in 2 dimensions only, but n_components={n_components}; "
            "use prior='gaussian' or 'mixture' for other dimensions."
        )
    return PRIORS[name](n_components, n_clusters, n_classes)
