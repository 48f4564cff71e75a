"""Tests of the priors: the protocol contract, exact densities and the named shapes."""

import math
import warnings

import numpy as np
import pytest
import torch
from scipy.special import logsumexp
from scipy.stats import multivariate_normal, norm

from skddvi.priors import (
    PRIORS,
    GaussianPrior,
    MixturePrior,
    make_prior,
    mixture_prior,
    pinwheel_prior,
    smoothed_prior,
)

CONTRACT_CASES = [(name, 2, None) for name in PRIORS] + [
    ("gaussian", 5, None),
    ("mixture", 3, 7),
    ("mixture", 4, 2),
]
CONTRACT_IDS = [f"{name}-d{dim}-k{k}" for name, dim, k in CONTRACT_CASES]


@pytest.fixture(params=CONTRACT_CASES, ids=CONTRACT_IDS)
def prior(request):
    name, dim, n_clusters = request.param
    return make_prior(name, dim, n_clusters=n_clusters)


def _mixture_params(prior):
    """Means, covariances and weights of a MixturePrior as float64 numpy arrays."""
    tril = prior.scale_tril.detach().double()
    return (
        prior.means.detach().double().numpy(),
        (tril @ tril.transpose(-1, -2)).numpy(),
        torch.softmax(prior.logits.detach().double(), 0).numpy(),
    )


def _scipy_mixture_log_prob(z, means, covs, weights):
    parts = [
        np.log(w) + multivariate_normal(m, c).logpdf(z) for m, c, w in zip(means, covs, weights)
    ]
    return logsumexp(np.stack(parts, axis=-1), axis=-1)


# -------------------------------------------------------------------- contract


def test_contract_sample_shape_and_finiteness(prior):
    z = prior.sample(500, torch.Generator().manual_seed(0))
    assert z.shape == (500, prior.n_components)
    assert z.dtype == torch.float32
    assert torch.isfinite(z).all()
    assert z.std(0).min() > 0.05  # draws are spread out, not a constant


def test_contract_sample_is_reproducible_with_the_generator(prior):
    a = prior.sample(100, torch.Generator().manual_seed(3))
    b = prior.sample(100, torch.Generator().manual_seed(3))
    c = prior.sample(100, torch.Generator().manual_seed(4))
    assert torch.equal(a, b)
    assert not torch.allclose(a, c)


def test_contract_log_prob_shape_and_finiteness(prior):
    gen = torch.Generator().manual_seed(1)
    inside = prior.sample(64, gen)
    far = 8.0 * torch.randn(16, prior.n_components, generator=gen)
    for z in (inside, far):
        log_p = prior.log_prob(z)
        assert log_p.shape == (len(z),)
        assert torch.isfinite(log_p).all()


def test_contract_log_prob_is_differentiable(prior):
    gen = torch.Generator().manual_seed(2)
    z = prior.sample(32, gen) + 0.1 * torch.randn(32, prior.n_components, generator=gen)
    z.requires_grad_(True)
    prior.log_prob(z).sum().backward()
    assert z.grad is not None
    assert torch.isfinite(z.grad).all()
    assert (z.grad.norm(dim=1) > 0).all()


def test_contract_float64(prior):
    gen = torch.Generator().manual_seed(5)
    z32 = prior.sample(50, gen)
    log_p32 = prior.log_prob(z32)
    prior64 = prior.double()
    z64 = prior64.sample(50, gen)
    assert z64.dtype == torch.float64
    assert z64.shape == z32.shape
    assert torch.isfinite(z64).all()
    assert torch.isfinite(prior64.log_prob(z64)).all()
    log_p64 = prior64.log_prob(z32.double())
    assert log_p64.dtype == torch.float64
    torch.testing.assert_close(log_p64.float(), log_p32, rtol=1e-4, atol=1e-3)


def test_contract_own_samples_are_more_likely_than_broad_gaussian_ones(prior):
    gen = torch.Generator().manual_seed(6)
    own = prior.sample(2000, gen)
    broad = 3.0 * torch.randn(2000, prior.n_components, generator=gen)
    assert prior.log_prob(own).mean() > prior.log_prob(broad).mean() + 0.5


# ------------------------------------------------------------- normalisation

NORMALISATION_CASES = [
    # (name, half-width of the grid, grid step)
    ("gaussian", 6.0, 0.05),
    ("mixture", 4.5, 0.03),
    ("square", 1.5, 0.03),
    ("swiss_roll", 3.6, 0.05),
]


def test_normalisation_cases_cover_every_named_prior():
    assert {case[0] for case in NORMALISATION_CASES} | {"pinwheel"} == set(PRIORS)


@pytest.mark.parametrize(
    ("name", "half_width", "step"), NORMALISATION_CASES, ids=[c[0] for c in NORMALISATION_CASES]
)
def test_two_d_prior_density_integrates_to_one(name, half_width, step):
    prior = make_prior(name, 2)
    grid = torch.arange(-half_width, half_width + step / 2, step)
    points = torch.cartesian_prod(grid, grid)
    with torch.no_grad():
        total = sum(prior.log_prob(chunk).exp().double().sum() for chunk in points.split(32768))
    np.testing.assert_allclose(float(total) * step**2, 1.0, atol=1e-2)


def _rotate(z, angle):
    c, s = math.cos(angle), math.sin(angle)
    return z @ torch.tensor([[c, s], [-s, c]], dtype=z.dtype)


def test_pinwheel_is_symmetric_under_rotation_by_one_arm():
    prior = make_prior("pinwheel", 2).double()
    z = 1.5 * torch.rand(500, 2, generator=torch.Generator().manual_seed(0)).double() - 0.75
    z = torch.cat([z, prior.sample(500, torch.Generator().manual_seed(1))])
    for arm in (1, 3):
        rotated = _rotate(z, 2 * math.pi * arm / 10)
        torch.testing.assert_close(prior.log_prob(rotated), prior.log_prob(z), rtol=1e-4, atol=1e-4)


def test_pinwheel_density_integrates_to_one():
    """Midpoint rule in polar coordinates over one arm's sector, times 10 (the pinwheel is
    10-fold symmetric, see above); the 0.005-thin arms need about 0.01 resolution."""
    n_radius, n_angle, max_radius = 240, 72, 1.7
    sector = 2 * math.pi / 10
    radius = (torch.arange(n_radius) + 0.5) * (max_radius / n_radius)
    angle = (torch.arange(n_angle) + 0.5) * (sector / n_angle)
    r, a = torch.meshgrid(radius, angle, indexing="ij")
    points = torch.stack([r * torch.cos(a), r * torch.sin(a)], dim=-1).reshape(-1, 2)
    with torch.no_grad():
        density = make_prior("pinwheel", 2).log_prob(points).exp().double()
    total = 10 * (density * r.reshape(-1).double()).sum() * (max_radius / n_radius)
    np.testing.assert_allclose(float(total) * sector / n_angle, 1.0, atol=1e-2)


# --------------------------------------------------------------- exact values


@pytest.mark.parametrize("scale", [1.0, 0.3, 2.5])
def test_gaussian_prior_log_prob_matches_scipy(scale):
    prior = GaussianPrior(3, scale=scale).double()
    z = np.random.default_rng(0).normal(size=(40, 3)) * 2
    expected = norm(0.0, scale).logpdf(z).sum(-1)
    np.testing.assert_allclose(prior.log_prob(torch.from_numpy(z)).numpy(), expected, rtol=1e-6)


def test_gaussian_prior_sample_has_the_right_scale():
    prior = GaussianPrior(3, scale=2.0)
    z = prior.sample(50_000, torch.Generator().manual_seed(0))
    torch.testing.assert_close(z.mean(0), torch.zeros(3), rtol=0, atol=0.05)
    torch.testing.assert_close(z.std(0), torch.full((3,), 2.0), rtol=0.02, atol=0)


def _random_mixture(seed, n_mix=4, dim=3):
    rng = np.random.default_rng(seed)
    means = rng.normal(size=(n_mix, dim)) * 2
    factors = rng.normal(size=(n_mix, dim, dim))
    covs = factors @ factors.transpose(0, 2, 1) + 0.2 * np.eye(dim)
    weights = rng.uniform(0.5, 3.0, size=n_mix)
    return means, covs, weights


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_mixture_prior_log_prob_matches_scipy(seed):
    means, covs, weights = _random_mixture(seed)
    prior = MixturePrior(means, covs, weights)
    z = np.random.default_rng(10 + seed).normal(size=(100, 3)) * 3
    expected = _scipy_mixture_log_prob(z, means, covs, weights / weights.sum())
    got = prior.log_prob(torch.as_tensor(z, dtype=torch.float32)).double().numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)


def test_mixture_prior_component_log_prob_matches_scipy():
    means, covs, weights = _random_mixture(3)
    prior = MixturePrior(means, covs, weights).double()
    z = np.random.default_rng(4).normal(size=(20, 3))
    got = prior.component_log_prob(torch.from_numpy(z)).numpy()
    w = weights / weights.sum()
    for k in range(len(means)):
        expected = np.log(w[k]) + multivariate_normal(means[k], covs[k]).logpdf(z)
        np.testing.assert_allclose(got[:, k], expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", ["mixture", "pinwheel", "swiss_roll", "square"])
def test_named_mixture_log_prob_matches_scipy_with_its_own_parameters(name):
    prior = make_prior(name, 2)
    means, covs, weights = _mixture_params(prior)
    z = prior.sample(50, torch.Generator().manual_seed(0))
    z = z + 0.05 * torch.randn(50, 2, generator=torch.Generator().manual_seed(1))
    expected = _scipy_mixture_log_prob(z.double().numpy(), means, covs, weights)
    np.testing.assert_allclose(
        prior.log_prob(z).detach().double().numpy(), expected, rtol=1e-3, atol=1e-3
    )


def test_mixture_prior_sample_moments_match_the_mixture():
    means, covs, weights = _random_mixture(5)
    prior = MixturePrior(means, covs, weights).double()
    z = prior.sample(200_000, torch.Generator().manual_seed(0)).numpy()
    w = weights / weights.sum()
    mean = w @ means
    second = np.einsum("k,kij->ij", w, covs + np.einsum("ki,kj->kij", means, means))
    np.testing.assert_allclose(z.mean(0), mean, atol=0.03)
    np.testing.assert_allclose(np.cov(z.T), second - np.outer(mean, mean), rtol=0.03, atol=0.03)


def test_mixture_prior_sample_uses_the_weights():
    means = np.array([[-10.0, 0.0], [0.0, 0.0], [10.0, 0.0]])
    covs = np.repeat(np.eye(2)[None], 3, axis=0)
    prior = MixturePrior(means, covs, weights=[1.0, 2.0, 7.0])
    z = prior.sample(40_000, torch.Generator().manual_seed(0))
    counts = np.bincount(np.digitize(z[:, 0].numpy(), [-5.0, 5.0]), minlength=3)
    np.testing.assert_allclose(counts / len(z), [0.1, 0.2, 0.7], atol=0.01)


@pytest.mark.parametrize("name", ["mixture", "pinwheel", "swiss_roll", "square"])
def test_responsibilities_are_a_distribution_over_components(name):
    prior = make_prior(name, 2)
    z = prior.sample(200, torch.Generator().manual_seed(0))
    resp = prior.responsibilities(z)
    assert resp.shape == (200, prior.n_mixture_components)
    assert (resp >= 0).all()
    torch.testing.assert_close(resp.sum(-1), torch.ones(200), rtol=0, atol=1e-5)


def test_responsibilities_pick_the_nearest_separated_component():
    means = np.array([[-5.0, 0.0], [5.0, 0.0]])
    prior = MixturePrior(means, np.repeat(np.eye(2)[None], 2, axis=0))
    resp = prior.responsibilities(torch.tensor([[-5.0, 1.0], [4.0, -1.0]]))
    torch.testing.assert_close(resp, torch.tensor([[1.0, 0.0], [0.0, 1.0]]), atol=1e-6, rtol=0)


# ------------------------------------------------------------ named shapes


def test_pinwheel_component_labels_are_ten_equal_arms():
    prior = make_prior("pinwheel", 2)
    labels = prior.component_labels.numpy()
    assert labels.dtype == np.int64
    np.testing.assert_array_equal(np.bincount(labels), np.full(10, 80))


def test_pinwheel_prior_options():
    prior = pinwheel_prior(n_arms=4, n_per_arm=12)
    assert prior.n_mixture_components == 48
    np.testing.assert_array_equal(np.bincount(prior.component_labels.numpy()), np.full(4, 12))


@pytest.mark.parametrize("name", ["square", "swiss_roll"])
def test_segment_priors_have_ten_segments(name):
    labels = make_prior(name, 2).component_labels.numpy()
    np.testing.assert_array_equal(np.unique(labels), np.arange(10))
    assert np.all(np.diff(labels) >= 0)  # segments are consecutive along the curve


def test_square_segments_are_equal():
    labels = make_prior("square", 2).component_labels.numpy()
    counts = np.bincount(labels)
    assert np.all(counts == counts[0])


def test_mixture_prior_two_d_layout():
    prior = mixture_prior(10, 2)
    means, covs, weights = _mixture_params(prior)
    np.testing.assert_allclose(np.linalg.norm(means, axis=1), 1.4, rtol=1e-6)
    np.testing.assert_allclose(weights, 0.1, rtol=1e-6)
    for mean, cov in zip(means, covs):
        radial = mean / np.linalg.norm(mean)
        tangential = np.array([-radial[1], radial[0]])
        np.testing.assert_allclose(radial @ cov @ radial, 0.25, rtol=1e-5)
        np.testing.assert_allclose(tangential @ cov @ tangential, 0.01, rtol=1e-4)
        np.testing.assert_allclose(radial @ cov @ tangential, 0.0, atol=1e-6)
    wide = mixture_prior(20, 2)
    np.testing.assert_allclose(wide.means.detach().norm(dim=1).numpy(), 2.8, rtol=1e-6)


@pytest.mark.parametrize(("n_clusters", "dim"), [(2, 4), (3, 3), (7, 3)])
def test_mixture_prior_higher_dimensions(n_clusters, dim):
    prior = make_prior("mixture", dim, n_clusters=n_clusters)
    means, covs, _ = _mixture_params(prior)
    assert prior.n_components == dim
    assert prior.n_mixture_components == n_clusters
    np.testing.assert_allclose(np.linalg.norm(means, axis=1), 2.0, rtol=1e-6)
    np.testing.assert_allclose(covs, np.broadcast_to(0.09 * np.eye(dim), covs.shape), atol=1e-6)
    if n_clusters <= dim:
        gram = means @ means.T
        np.testing.assert_allclose(gram, 4.0 * np.eye(n_clusters), atol=1e-6)


@pytest.mark.parametrize(
    ("n_clusters", "dim", "apart"),
    [(2, 1, 4.0), (3, 1, 2.0), (10, 1, 1.2), (10, 3, 1.5), (20, 3, 1.0), (30, 10, 2.0)],
)
def test_mixture_prior_components_are_apart(n_clusters, dim, apart):
    """In 1-D, random directions are +-1: three components had two means
    at 2. Plain random directions in 3-D put two of ten 0.36 apart (std 0.3)."""
    means = mixture_prior(n_clusters, dim).means.detach().numpy()
    gaps = np.linalg.norm(means[:, None] - means[None], axis=-1)
    np.fill_diagonal(gaps, np.inf)
    assert gaps.min() >= apart - 1e-6


def test_make_prior_mixture_defaults_to_ten_clusters():
    assert make_prior("mixture", 2).n_mixture_components == 10
    assert make_prior("mixture", 2, n_clusters=4).n_mixture_components == 4


# ------------------------------------- fidelity to the documented generators


def _pinwheel_draws(rng, n):
    arm = rng.integers(0, 10, n)
    f = rng.normal(size=(n, 2)) * [0.15, 0.005]
    f[:, 0] += 1.0
    angle = 2 * np.pi * arm / 10 + 0.25 * np.exp(f[:, 0])
    c, s = np.cos(angle), np.sin(angle)
    z = np.stack([f[:, 0] * c + f[:, 1] * s, -f[:, 0] * s + f[:, 1] * c], axis=1)
    true_log_prob = norm(1.0, 0.15).logpdf(f[:, 0]) + norm(0, 0.005).logpdf(f[:, 1]) - np.log(10)
    return z, arm, true_log_prob


def _swiss_roll_draws(rng, n):
    u = rng.uniform(size=n)
    radius, angle = 3 * np.sqrt(u), 4.5 * np.pi * np.sqrt(u)
    z = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    return z + 0.1 * rng.normal(size=(n, 2)), np.minimum((u * 10).astype(int), 9)


def _square_draws(rng, n):
    position = rng.uniform(size=n)
    side = (position * 4).astype(int)
    offset = position * 4 - side
    corners = np.array([[-1.0, 1.0], [1.0, 1.0], [1.0, -1.0], [-1.0, -1.0], [-1.0, 1.0]])
    start, stop = corners[side], corners[side + 1]
    tangent = (stop - start) / 2
    normal = np.stack([-tangent[:, 1], tangent[:, 0]], axis=1)
    z = start + offset[:, None] * (stop - start) + 0.06 * rng.normal(size=(n, 1)) * normal
    return z, np.minimum((position * 10).astype(int), 9)


@pytest.mark.parametrize(
    ("name", "draws"), [("swiss_roll", _swiss_roll_draws), ("square", _square_draws)]
)
def test_segment_prior_matches_its_generative_process(name, draws):
    """Draws of the documented process are as likely under the prior as its own draws,
    and the component labels recover the documented segments."""
    n = 8000
    prior = make_prior(name, 2).double()
    z, segment = draws(np.random.default_rng(0), n)
    z = torch.from_numpy(z)
    with torch.no_grad():
        own = prior.sample(n, torch.Generator().manual_seed(0))
        gap = prior.log_prob(own).mean() - prior.log_prob(z).mean()
        labels = prior.component_labels[prior.responsibilities(z).argmax(-1)].numpy()
    assert abs(gap.item()) < 0.06
    assert np.mean(labels == segment) > 0.95


@pytest.fixture(scope="module")
def pinwheel_fit():
    """Draws of the documented pinwheel with their arm, true and prior log densities and
    the arm of their most responsible component."""
    prior = make_prior("pinwheel", 2).double()
    z, arm, true_log_prob = _pinwheel_draws(np.random.default_rng(1), 10_000)
    with torch.no_grad():
        zt = torch.from_numpy(z)
        log_prob = prior.log_prob(zt).numpy()
        label = prior.component_labels[prior.responsibilities(zt).argmax(-1)].numpy()
    return {"z": z, "arm": arm, "true": true_log_prob, "prior": log_prob, "label": label}


def test_pinwheel_labels_recover_the_arms(pinwheel_fit):
    assert np.mean(pinwheel_fit["label"] == pinwheel_fit["arm"]) > 0.99


def test_pinwheel_arm_centres_match_the_generative_density(pinwheel_fit):
    """Where 0.8 < f_0 < 1.2 (82% of the mass) the mixture is close to the true density."""
    f0 = np.linalg.norm(pinwheel_fit["z"], axis=1)  # the rotation keeps |f|; |f_1| is tiny
    centre = (f0 > 0.8) & (f0 < 1.2)
    error = pinwheel_fit["true"][centre] - pinwheel_fit["prior"][centre]
    assert centre.mean() > 0.75
    assert abs(error.mean()) < 0.02
    assert np.quantile(np.abs(error), 0.9) < 0.1


def test_pinwheel_matches_the_generative_density(pinwheel_fit):
    # Monte Carlo estimate of KL(pinwheel || prior): the true density is known in closed form
    # (the map f -> z has Jacobian 1 and the arms do not overlap).
    kl = np.mean(pinwheel_fit["true"] - pinwheel_fit["prior"])
    assert kl < 0.05


# --------------------------------------------------------------- trainable


def test_mixture_prior_is_frozen_by_default():
    prior = MixturePrior(*_random_mixture(0))
    assert not prior.means.requires_grad
    assert not prior.logits.requires_grad
    assert not any(p.requires_grad for p in prior.parameters())


def test_trainable_mixture_prior_has_trainable_means_and_weights():
    means, covs, weights = _random_mixture(0)
    prior = MixturePrior(means, covs, weights, trainable=True)
    assert prior.means.requires_grad
    assert prior.logits.requires_grad
    assert prior.log_scales.requires_grad
    assert not prior.base_scale_tril.requires_grad
    prior.log_prob(torch.randn(10, 3)).sum().backward()
    for parameter in (prior.means, prior.logits, prior.log_scales):
        assert parameter.grad is not None and parameter.grad.abs().sum() > 0


def test_mixture_log_scales_scale_the_covariances():
    means, covs, weights = _random_mixture(0)
    prior = MixturePrior(means, covs, weights)
    with torch.no_grad():
        prior.log_scales.fill_(np.log(2.0))
    wide = MixturePrior(means, 4.0 * covs, weights)
    z = torch.randn(20, 3)
    torch.testing.assert_close(prior.log_prob(z), wide.log_prob(z), rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(prior.scale_tril, wide.scale_tril, rtol=1e-5, atol=1e-6)


def test_named_mixture_prior_is_trainable():
    prior = make_prior("mixture", 2, n_clusters=4)
    assert all(p.requires_grad for p in prior.parameters())


def test_mixture_prior_default_component_labels():
    means, covs, _ = _random_mixture(0)
    prior = MixturePrior(means, covs, component_labels=None)
    np.testing.assert_array_equal(prior.component_labels.numpy(), np.arange(4))


# ------------------------------------------------------------------ errors


def test_make_prior_two_d_only_names_the_prior_and_the_dimension():
    with pytest.raises(ValueError, match="pinwheel") as info:
        make_prior("pinwheel", 3)
    assert "n_components" in str(info.value)


@pytest.mark.parametrize("name", ["square", "swiss_roll"])
def test_make_prior_two_d_only_rejects_other_dimensions(name):
    with pytest.raises(ValueError, match=name):
        make_prior(name, 5)


def test_make_prior_rejects_unknown_name():
    with pytest.raises(ValueError, match="circle"):
        make_prior("circle", 2)


def test_mixture_prior_rejects_bad_covariance_shape():
    means = np.zeros((3, 2))
    with pytest.raises(ValueError, match="covariances"):
        MixturePrior(means, np.repeat(np.eye(2)[None], 2, axis=0))
    with pytest.raises(ValueError, match="covariances"):
        MixturePrior(means, np.repeat(np.eye(3)[None], 3, axis=0))


@pytest.mark.parametrize("weights", [[1.0, 0.0, 1.0], [1.0, -1.0, 2.0], [1.0, 1.0]])
def test_mixture_prior_rejects_bad_weights(weights):
    means = np.zeros((3, 2))
    covs = np.repeat(np.eye(2)[None], 3, axis=0)
    with pytest.raises(ValueError, match="weights"):
        MixturePrior(means, covs, weights)


def test_gaussian_prior_log_prob_at_origin():
    prior = GaussianPrior(4, scale=0.5)
    expected = -4 * (math.log(0.5) + 0.5 * math.log(2 * math.pi))
    np.testing.assert_allclose(prior.log_prob(torch.zeros(1, 4)).item(), expected, rtol=1e-6)


def test_smoothed_prior_is_the_mean_over_bandwidths_of_the_blurred_densities():
    means, covs, weights = _random_mixture(5)
    bandwidths = (0.1, 0.5, 2.0)
    smooth = smoothed_prior(MixturePrior(means, covs, weights), bandwidths).double()
    z = np.random.default_rng(6).normal(size=(50, 3)) * 2
    w = weights / weights.sum()
    per_bandwidth = [
        _scipy_mixture_log_prob(z, means, covs + b**2 * np.eye(3), w) for b in bandwidths
    ]
    expected = logsumexp(per_bandwidth, axis=0) - np.log(len(bandwidths))
    got = smooth.log_prob(torch.from_numpy(z)).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_smoothed_prior_keeps_groups_and_rejects_bad_bandwidths():
    pinwheel = pinwheel_prior()
    smooth = smoothed_prior(pinwheel, (0.005, 0.05))
    assert smooth.n_groups == pinwheel.n_groups
    assert smooth.n_mixture_components == 2 * pinwheel.n_mixture_components
    assert smooth.sample(7, torch.Generator().manual_seed(0)).shape == (7, 2)
    with pytest.raises(ValueError, match="bandwidths"):
        smoothed_prior(pinwheel, ())
    with pytest.raises(ValueError, match="bandwidths"):
        smoothed_prior(pinwheel, (0.1, -1.0))


def test_fit_to_moves_the_mixture_onto_clusters_and_skips_too_few_distinct_points():
    prior = mixture_prior(3, 2, trainable=True)
    centres = torch.tensor([[-4.0, 0.0], [0.0, 4.0], [4.0, 0.0]], dtype=torch.float64)
    z = centres.repeat_interleave(20, dim=0) + 0.1 * torch.randn(60, 2, dtype=torch.float64)
    prior.fit_to(z)
    found = prior.means.detach().double()
    assert torch.cdist(found, centres).min(dim=0).values.max() < 0.2
    before = [p.detach().clone() for p in prior.parameters()]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no KMeans ConvergenceWarning
        prior.fit_to(centres[:2].repeat(10, 1))  # two distinct points, three components
    assert all(torch.equal(a, b) for a, b in zip(before, prior.parameters()))


def test_mixture_component_labels_must_give_every_group_a_component():
    """A group without a component has probability 0; a semi-supervised fit of its
    class would diverge, so the prior refuses it when built."""
    means, covariances = np.array([[2.0, 0], [-2, 0], [0, 2]]), np.tile(np.eye(2) * 0.1, (3, 1, 1))
    with pytest.raises(ValueError, match=r"groups \[1\] have none"):
        MixturePrior(means, covariances, component_labels=[0, 0, 2])
    for labels in ([0, 1], [-1, 0, 1], [0, 0.5, 1]):
        with pytest.raises(ValueError, match="one non-negative int group per component"):
            MixturePrior(means, covariances, component_labels=labels)
    prior = MixturePrior(means, covariances, component_labels=[1, 0, 1.0])
    assert prior.n_groups == 2
