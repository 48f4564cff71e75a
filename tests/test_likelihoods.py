"""Tests of the observation models p(x | z)."""

import numpy as np
import pytest
import torch
from scipy.stats import norm

from skddvi.likelihoods import (
    BernoulliLikelihood,
    GaussianLikelihood,
    IsotropicGaussianLikelihood,
    make_likelihood,
)


def _gaussian(p=4, scale=2.5, seed=0, min_variance=1e-4):
    rng = np.random.default_rng(seed)
    center = torch.as_tensor(rng.normal(size=p), dtype=torch.float32)
    init_variance = torch.as_tensor(rng.uniform(0.2, 2.0, size=p), dtype=torch.float32)
    return GaussianLikelihood(center, scale, init_variance, min_variance=min_variance)


def test_gaussian_log_prob_matches_scipy_in_original_units():
    lik = _gaussian().double()
    rng = np.random.default_rng(1)
    params = rng.normal(size=(30, 4))
    x = rng.normal(size=(30, 4)) * 3
    got = lik.log_prob(torch.from_numpy(x), torch.from_numpy(params))
    scale = lik.scale.item()
    center = lik.center.numpy()
    std = np.sqrt(lik.variance().detach().numpy()) * scale
    expected = norm(params * scale + center, std).logpdf(x).sum(-1)
    assert got.shape == (30,)
    np.testing.assert_allclose(got.detach().numpy(), expected, rtol=1e-10)


def test_gaussian_log_prob_float32():
    lik = _gaussian()
    x, params = torch.randn(10, 4), torch.randn(10, 4)
    got = lik.log_prob(x, params)
    expected = lik.double().log_prob(x.double(), params.double())
    torch.testing.assert_close(got.double(), expected.detach(), rtol=1e-5, atol=1e-4)


def test_gaussian_starting_variance():
    init = torch.tensor([0.5, 1.0, 3.0])
    lik = GaussianLikelihood(torch.zeros(3), 1.0, init)
    torch.testing.assert_close(lik.variance().detach(), init, rtol=1e-5, atol=1e-6)
    assert lik.raw_variance.requires_grad


def test_gaussian_variance_floor():
    min_variance = 1e-3
    lik = GaussianLikelihood(torch.zeros(3), 1.0, torch.tensor([0.0, 1e-6, 1.0]), min_variance)
    assert (lik.variance() >= min_variance).all()
    with torch.no_grad():
        lik.raw_variance.fill_(-80.0)
    variance = lik.variance()
    assert (variance >= min_variance).all()
    torch.testing.assert_close(variance, torch.full((3,), min_variance), rtol=1e-5, atol=0)
    assert torch.isfinite(lik.log_prob(torch.zeros(2, 3), torch.zeros(2, 3))).all()


def test_gaussian_log_prob_is_differentiable():
    lik = _gaussian()
    params = torch.randn(5, 4, requires_grad=True)
    lik.log_prob(torch.randn(5, 4), params).sum().backward()
    assert params.grad.abs().sum() > 0
    assert lik.raw_variance.grad.abs().sum() > 0


def test_gaussian_mean_is_in_original_units():
    lik = _gaussian()
    params = torch.randn(7, 4)
    mean = lik.mean(params)
    assert mean.shape == (7, 4)
    torch.testing.assert_close(mean, params * 2.5 + lik.center)


def test_gaussian_sample_shape_and_moments():
    lik = _gaussian()
    params = torch.tensor([[0.5, -1.0, 0.0, 2.0]]).expand(40_000, 4)
    x = lik.sample(params, torch.Generator().manual_seed(0))
    assert x.shape == (40_000, 4)
    std = (lik.variance().sqrt() * lik.scale).detach()
    torch.testing.assert_close(x.mean(0), lik.mean(params[:1])[0], rtol=0, atol=4 * std.max() / 200)
    torch.testing.assert_close(x.std(0), std, rtol=0.02, atol=0)


def test_gaussian_sample_is_reproducible():
    lik = _gaussian()
    params = torch.randn(5, 4)
    a = lik.sample(params, torch.Generator().manual_seed(3))
    b = lik.sample(params, torch.Generator().manual_seed(3))
    assert torch.equal(a, b)


def test_bernoulli_log_prob_is_minus_binary_cross_entropy():
    lik = BernoulliLikelihood()
    rng = np.random.default_rng(2)
    logits = rng.normal(size=(20, 6)) * 3
    x = rng.uniform(size=(20, 6))
    x[:, :3] = np.round(x[:, :3])
    prob = 1 / (1 + np.exp(-logits))
    expected = (x * np.log(prob) + (1 - x) * np.log(1 - prob)).sum(-1)
    got = lik.log_prob(torch.from_numpy(x), torch.from_numpy(logits))
    assert got.shape == (20,)
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-10)


def test_bernoulli_log_prob_is_stable_for_large_logits():
    lik = BernoulliLikelihood()
    got = lik.log_prob(torch.tensor([[1.0, 0.0]]), torch.tensor([[200.0, -200.0]]))
    assert torch.isfinite(got).all()
    assert abs(got.item()) < 1e-6


def test_bernoulli_mean_and_sample():
    lik = BernoulliLikelihood()
    logits = torch.tensor([[-2.0, 0.0, 1.5]]).expand(40_000, 3)
    torch.testing.assert_close(lik.mean(logits[:1]), torch.sigmoid(logits[:1]))
    x = lik.sample(logits, torch.Generator().manual_seed(0))
    assert x.shape == (40_000, 3)
    assert set(torch.unique(x).tolist()) <= {0.0, 1.0}
    torch.testing.assert_close(x.mean(0), torch.sigmoid(logits[0]), rtol=0, atol=0.01)


def test_make_likelihood_gaussian_uses_model_space_variance():
    center = torch.tensor([1.0, -2.0])
    variance = torch.tensor([4.0, 9.0])
    lik = make_likelihood("gaussian", center, 2.0, variance)
    assert isinstance(lik, GaussianLikelihood)
    torch.testing.assert_close(lik.variance().detach(), variance / 4.0, rtol=1e-5, atol=0)
    torch.testing.assert_close(lik.center, center)
    assert lik.scale.item() == 2.0


def test_isotropic_log_prob_matches_scipy_with_one_shared_variance():
    center = torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64)
    lik = make_likelihood("isotropic", center, 2.0, torch.tensor([4.0, 8.0, 12.0])).double()
    assert isinstance(lik, IsotropicGaussianLikelihood)
    assert lik.raw_variance.shape == (1,)
    variance = lik.variance().detach()
    torch.testing.assert_close(variance, torch.tensor([2.0], dtype=torch.float64))
    rng = np.random.default_rng(3)
    params, x = rng.normal(size=(20, 3)), rng.normal(size=(20, 3)) * 2
    got = lik.log_prob(torch.from_numpy(x), torch.from_numpy(params)).detach().numpy()
    std = np.sqrt(variance.item()) * 2.0  # one model-space variance, common scale 2
    expected = norm(params * 2.0 + center.numpy(), std).logpdf(x).sum(-1)
    np.testing.assert_allclose(got, expected, rtol=1e-10)


def test_isotropic_variance_gradient_is_shared():
    lik = make_likelihood("isotropic", torch.zeros(4), 1.0, torch.ones(4))
    lik.log_prob(torch.randn(8, 4), torch.zeros(8, 4)).sum().backward()
    assert lik.raw_variance.grad.shape == (1,)
    assert torch.isfinite(lik.raw_variance.grad).all()
    sample = lik.sample(torch.zeros(5, 4), torch.Generator().manual_seed(0))
    assert sample.shape == (5, 4)


def test_make_likelihood_bernoulli():
    lik = make_likelihood("bernoulli", torch.zeros(3), 1.0, torch.ones(3))
    assert isinstance(lik, BernoulliLikelihood)


def test_make_likelihood_rejects_unknown_name():
    with pytest.raises(ValueError, match="poisson"):
        make_likelihood("poisson", torch.zeros(3), 1.0, torch.ones(3))


def test_default_variance_floor_lets_a_feature_explain_one_percent_of_the_spread():
    """The floor was 1e-4 of the features' mean variance: structure below 1% of
    the data's spread (clusters 1,000 apart) went unexplained."""
    lik = GaussianLikelihood(torch.zeros(2), 1.0, torch.ones(2))
    with torch.no_grad():
        lik.raw_variance.fill_(-40.0)  # softplus -> 0: the floor alone
    torch.testing.assert_close(lik.variance(), torch.full((2,), 1e-6))
