"""Tests of the loss-term helpers: Gaussian log densities, the KL warm-up and LossTerms."""

import dataclasses
import math

import numpy as np
import pytest
import torch

from skddvi.objectives import (
    LossTerms,
    LossWeights,
    kl_weight_at,
    normal_log_prob,
    standard_normal_log_prob,
)


def _randn(*shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def test_normal_log_prob_with_tensor_std():
    x, mean = _randn(20, 3, seed=0), _randn(20, 3, seed=1)
    std = torch.exp(_randn(20, 3, seed=2))
    expected = torch.distributions.Normal(mean, std).log_prob(x).sum(-1)
    got = normal_log_prob(x, mean, std)
    assert got.shape == (20,)
    torch.testing.assert_close(got, expected, rtol=1e-12, atol=1e-12)


def test_normal_log_prob_with_broadcast_tensor_std():
    x, mean = _randn(20, 3, seed=0), _randn(20, 3, seed=1)
    std = torch.tensor([[0.5], [2.0]], dtype=torch.float64).repeat(10, 1)  # (20, 1)
    expected = torch.distributions.Normal(mean, std.expand(20, 3)).log_prob(x).sum(-1)
    torch.testing.assert_close(normal_log_prob(x, mean, std), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("std", [0.3, 1.0, 2.5, np.float64(0.7)])
def test_normal_log_prob_with_float_std(std):
    x, mean = _randn(15, 4, seed=3), _randn(15, 4, seed=4)
    expected = torch.distributions.Normal(mean, float(std)).log_prob(x).sum(-1)
    torch.testing.assert_close(normal_log_prob(x, mean, std), expected, rtol=1e-12, atol=1e-12)


def test_normal_log_prob_float_and_tensor_std_agree():
    x, mean = _randn(10, 2, seed=5), _randn(10, 2, seed=6)
    as_float = normal_log_prob(x, mean, 0.4)
    as_tensor = normal_log_prob(x, mean, torch.full((10, 2), 0.4, dtype=torch.float64))
    torch.testing.assert_close(as_float, as_tensor, rtol=1e-12, atol=1e-12)


def test_normal_log_prob_is_differentiable_in_mean_and_std():
    x = _randn(8, 3, seed=7)
    mean = _randn(8, 3, seed=8).requires_grad_(True)
    std = torch.exp(_randn(8, 3, seed=9)).requires_grad_(True)
    normal_log_prob(x, mean, std).sum().backward()
    torch.testing.assert_close(mean.grad, (x - mean.detach()) / std.detach() ** 2)
    assert torch.isfinite(std.grad).all() and std.grad.abs().sum() > 0


def test_standard_normal_log_prob_with_tensor_log_std():
    noise, mean = _randn(25, 3, seed=10), _randn(25, 3, seed=11)
    log_std = 0.5 * _randn(25, 3, seed=12)
    x = mean + torch.exp(log_std) * noise
    expected = torch.distributions.Normal(mean, torch.exp(log_std)).log_prob(x).sum(-1)
    got = standard_normal_log_prob(noise, log_std)
    assert got.shape == (25,)
    torch.testing.assert_close(got, expected, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("log_std", [-2.0, 0.0, 0.7])
def test_standard_normal_log_prob_with_float_log_std(log_std):
    noise, mean = _randn(25, 3, seed=13), _randn(25, 3, seed=14)
    x = mean + math.exp(log_std) * noise
    expected = torch.distributions.Normal(mean, math.exp(log_std)).log_prob(x).sum(-1)
    got = standard_normal_log_prob(noise, log_std)
    torch.testing.assert_close(got, expected, rtol=1e-10, atol=1e-10)


def test_standard_normal_log_prob_at_zero_noise():
    got = standard_normal_log_prob(torch.zeros(1, 3, dtype=torch.float64), 0.5)
    np.testing.assert_allclose(got.item(), -3 * (0.5 + 0.5 * math.log(2 * math.pi)), rtol=1e-12)


# ------------------------------------------------------------------- KL warm-up


@pytest.mark.parametrize("kl_weight", [1.0, 0.05])
def test_kl_weight_starts_at_a_tenth(kl_weight):
    np.testing.assert_allclose(kl_weight_at(0.0, kl_weight, 0.3), kl_weight / 10, rtol=1e-12)


def test_kl_weight_grows_linearly_during_warmup():
    np.testing.assert_allclose(kl_weight_at(0.15, 2.0, 0.3), 2.0 * (0.1 + 0.9 * 0.5), rtol=1e-12)
    values = [kl_weight_at(p, 1.0, 0.4) for p in np.linspace(0.0, 0.4, 9)]
    assert np.all(np.diff(values) > 0)
    np.testing.assert_allclose(np.diff(values), np.diff(values)[0], rtol=1e-9)


@pytest.mark.parametrize("progress", [0.3, 0.30001, 0.5, 0.99, 1.0])
def test_kl_weight_reaches_the_target_at_warmup_and_stays(progress):
    assert kl_weight_at(progress, 0.7, 0.3) == pytest.approx(0.7, rel=1e-12)


def test_kl_weight_is_continuous_at_the_end_of_warmup():
    assert kl_weight_at(0.3 - 1e-9, 0.7, 0.3) == pytest.approx(0.7, rel=1e-6)


@pytest.mark.parametrize("progress", [0.0, 0.2, 1.0])
@pytest.mark.parametrize("warmup", [0.0, -1.0])
def test_kl_weight_without_warmup(progress, warmup):
    assert kl_weight_at(progress, 0.25, warmup) == 0.25


# ------------------------------------------------------------------ LossTerms


def _terms():
    n = len(LossTerms.names())
    values = torch.arange(n, dtype=torch.float32) + 1.0
    leaf = values.clone().requires_grad_(True)
    return LossTerms(*(2.0 * leaf[i] for i in range(n)))


def test_loss_terms_names_start_with_loss():
    names = LossTerms.names()
    assert names[0] == "loss"
    assert names == [
        "loss",
        "reconstruction",
        "prior",
        "auxiliary_kl",
        "sleep",
        "graph",
        "adversarial",
        "classification",
    ]
    assert names == [f.name for f in dataclasses.fields(LossTerms)]


def test_loss_terms_stacked_follows_names_and_is_detached():
    terms = _terms()
    stacked = terms.stacked()
    assert stacked.shape == (len(LossTerms.names()),)
    assert not stacked.requires_grad
    for i, name in enumerate(LossTerms.names()):
        assert stacked[i].item() == getattr(terms, name).item()
    torch.testing.assert_close(stacked, 2.0 * (torch.arange(float(len(stacked))) + 1.0))


def test_loss_weights_defaults_and_frozen():
    weights = LossWeights(kl=0.1)
    assert (weights.kl, weights.sleep, weights.graph, weights.reconstruction) == (
        0.1,
        1.0,
        0.0,
        1.0,
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        weights.kl = 1.0
