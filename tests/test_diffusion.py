"""Tests of the forward (noising) process: ``linear_betas`` and ``NoiseSchedule``."""

import math

import numpy as np
import pytest
import torch

from skddvi.diffusion import NoiseSchedule, linear_betas


def _closed_forms(betas):
    """DDPM quantities of a schedule, computed independently (index t - 1 holds step t)."""
    betas = np.asarray(betas, dtype=np.float64)
    alphas = 1.0 - betas
    alpha_bars = np.array([np.prod(alphas[: t + 1]) for t in range(len(betas))])
    prev = np.array([1.0] + [np.prod(alphas[:t]) for t in range(1, len(betas))])
    return {
        "alphas": alphas,
        "alpha_bars": alpha_bars,
        "posterior_variances": betas * (1.0 - prev) / (1.0 - alpha_bars),
        "posterior_coef_z": betas * np.sqrt(prev) / (1.0 - alpha_bars),
        "posterior_coef_y": np.sqrt(alphas) * (1.0 - prev) / (1.0 - alpha_bars),
    }


# ----------------------------------------------------------------- linear_betas


@pytest.mark.parametrize("n_steps", [2, 3, 10, 50, 200])
@pytest.mark.parametrize("final_alpha_bar", [0.9, 0.5, 0.1, 1e-3])
def test_linear_betas_reaches_final_alpha_bar(n_steps, final_alpha_bar):
    betas = linear_betas(n_steps, final_alpha_bar)
    assert betas.shape == (n_steps,)
    assert np.all((betas > 0) & (betas < 1))
    np.testing.assert_allclose(np.prod(1.0 - betas), final_alpha_bar, rtol=1e-9)


@pytest.mark.parametrize("n_steps", [2, 5, 40])
def test_linear_betas_is_linear_and_increasing_with_ratio_200(n_steps):
    betas = linear_betas(n_steps, 0.3)
    assert np.all(np.diff(betas) > 0)
    np.testing.assert_allclose(betas[-1] / betas[0], 200.0, rtol=1e-10)
    # Equally spaced: constant first differences.
    np.testing.assert_allclose(np.diff(betas), np.diff(betas)[0], rtol=1e-9)


@pytest.mark.parametrize("final_alpha_bar", [0.99, 0.5, 0.01])
def test_linear_betas_single_step(final_alpha_bar):
    betas = linear_betas(1, final_alpha_bar)
    assert betas.shape == (1,)
    np.testing.assert_allclose(betas[0], 1.0 - final_alpha_bar, rtol=1e-14)


@pytest.mark.parametrize(
    ("n_steps", "final_alpha_bar"),
    [(0, 0.5), (-3, 0.5), (5, 0.0), (5, 1.0), (5, -0.2), (5, 1.5)],
)
def test_linear_betas_rejects_invalid_arguments(n_steps, final_alpha_bar):
    with pytest.raises(ValueError):
        linear_betas(n_steps, final_alpha_bar)


# ---------------------------------------------------------------- NoiseSchedule


@pytest.mark.parametrize(("n_steps", "final_alpha_bar"), [(2, 0.5), (5, 0.1), (30, 0.02)])
def test_schedule_buffers_match_ddpm_closed_forms(n_steps, final_alpha_bar):
    betas = linear_betas(n_steps, final_alpha_bar)
    schedule = NoiseSchedule(betas)
    expected = _closed_forms(betas)
    assert schedule.n_steps == n_steps
    np.testing.assert_allclose(schedule.betas.numpy(), betas, rtol=1e-6)
    for name, value in expected.items():
        buffer = getattr(schedule, name)
        assert buffer.dtype in (torch.float32, torch.float64)
        np.testing.assert_allclose(buffer.numpy(), value, rtol=1e-5, atol=1e-7, err_msg=name)
    reverse = expected["posterior_variances"].copy()
    reverse[0] = reverse[1]  # clipped: s_1^2 = beta_tilde_2
    np.testing.assert_allclose(schedule.reverse_variances.numpy(), reverse, rtol=1e-5)


def test_schedule_accepts_handmade_betas():
    betas = np.array([0.1, 0.2, 0.3])
    schedule = NoiseSchedule(betas)
    np.testing.assert_allclose(schedule.alpha_bars.numpy(), [0.9, 0.72, 0.504], rtol=1e-6)
    # beta_tilde_2 = 0.2 * (1 - 0.9) / (1 - 0.72)
    np.testing.assert_allclose(schedule.posterior_variances[1].item(), 0.02 / 0.28, rtol=1e-6)


def test_schedule_buffers_follow_dtype():
    schedule = NoiseSchedule(linear_betas(4, 0.5)).double()
    assert schedule.alpha_bars.dtype == torch.float64
    y = torch.randn(3, 2, dtype=torch.float64)
    assert schedule.bridge_mean(y, y, torch.tensor([1, 2, 3])).dtype == torch.float64


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_bridge_mean_at_step_one_is_the_endpoint(dtype):
    schedule = NoiseSchedule(linear_betas(6, 0.2)).to(dtype)
    gen = torch.Generator().manual_seed(0)
    y1 = 100.0 * torch.randn(50, 3, generator=gen, dtype=dtype)
    z = torch.randn(50, 3, generator=gen, dtype=dtype)
    per_row = schedule.bridge_mean(y1, z, torch.ones(50, dtype=torch.long))
    shared = schedule.bridge_mean(y1, z, 1)
    if dtype == torch.float32:
        assert torch.equal(per_row, z)
        assert torch.equal(shared, z)
    else:  # coef_z = beta_1 / (1 - alpha_bar_1) is 1 up to rounding of 1 - (1 - beta_1)
        torch.testing.assert_close(per_row, z, rtol=1e-12, atol=0.0)
        torch.testing.assert_close(shared, z, rtol=1e-12, atol=0.0)


@pytest.mark.parametrize("t", [2, 3, 7, 10])
def test_bridge_is_the_gaussian_conditional_of_the_forward_process(t):
    """r(y_{t-1} | y_t, z) equals Gaussian conditioning of the joint of (y_{t-1}, y_t) | z."""
    betas = linear_betas(10, 0.05)
    schedule = NoiseSchedule(betas)
    alpha_bars = np.cumprod(1.0 - betas)
    abar_prev, abar_t, beta_t = alpha_bars[t - 2], alpha_bars[t - 1], betas[t - 1]
    rng = np.random.default_rng(t)
    z, y_t = rng.normal(size=(2, 20, 3))
    # Joint given z: y_{t-1} ~ N(sqrt(abar_{t-1}) z, 1 - abar_{t-1}),
    # y_t = sqrt(1 - beta_t) y_{t-1} + sqrt(beta_t) eps.
    mean_prev, var_prev = np.sqrt(abar_prev) * z, 1.0 - abar_prev
    mean_t = np.sqrt(1.0 - beta_t) * mean_prev
    var_t = (1.0 - beta_t) * var_prev + beta_t
    cov = np.sqrt(1.0 - beta_t) * var_prev
    cond_mean = mean_prev + cov / var_t * (y_t - mean_t)
    cond_var = var_prev - cov**2 / var_t
    np.testing.assert_allclose(var_t, 1.0 - abar_t, rtol=1e-12)

    got = schedule.bridge_mean(torch.from_numpy(y_t), torch.from_numpy(z), t).numpy()
    np.testing.assert_allclose(got, cond_mean, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(schedule.bridge_std(t) ** 2, cond_var, rtol=1e-10)
    np.testing.assert_allclose(schedule.posterior_variances[t - 1].item(), cond_var, rtol=1e-5)


def test_bridge_matches_monte_carlo_of_the_forward_chain():
    """Draw (y_{t-1}, y_t) from the forward chain and regress y_{t-1} on y_t."""
    t, n = 3, 200_000
    schedule = NoiseSchedule(linear_betas(5, 0.1)).double()
    gen = torch.Generator().manual_seed(1)
    z = torch.full((n, 1), 0.7, dtype=torch.float64)
    y_prev = z
    for step in range(1, t):
        y_prev = schedule.forward_step(y_prev, step, torch.randn(n, 1, generator=gen).double())
    y_t = schedule.forward_step(y_prev, t, torch.randn(n, 1, generator=gen).double())
    residual = y_prev - schedule.bridge_mean(y_t, z, t)
    # The bridge mean is E[y_{t-1} | y_t, z]: residual has mean 0, is uncorrelated
    # with y_t, and has variance beta_tilde_t.
    assert abs(residual.mean().item()) < 4 * residual.std().item() / math.sqrt(n)
    corr = np.corrcoef(residual[:, 0].numpy(), y_t[:, 0].numpy())[0, 1]
    assert abs(corr) < 0.01
    np.testing.assert_allclose(residual.var().item(), schedule.bridge_std(t) ** 2, rtol=0.02)


@pytest.mark.parametrize(("n_steps", "final_alpha_bar"), [(2, 0.5), (8, 0.1)])
def test_reverse_std_at_step_one_is_clipped_to_beta_tilde_2(n_steps, final_alpha_bar):
    betas = linear_betas(n_steps, final_alpha_bar)
    beta_tilde = _closed_forms(betas)["posterior_variances"]
    schedule = NoiseSchedule(betas)
    like = torch.zeros(1, 2)
    assert beta_tilde[0] == 0.0
    np.testing.assert_allclose(schedule.reverse_std(1, like), math.sqrt(beta_tilde[1]), rtol=1e-12)
    for t in range(2, n_steps + 1):
        np.testing.assert_allclose(
            schedule.reverse_std(t, like), math.sqrt(beta_tilde[t - 1]), rtol=1e-12
        )


def test_reverse_std_single_step_uses_beta_1():
    schedule = NoiseSchedule(linear_betas(1, 0.4))
    np.testing.assert_allclose(schedule.reverse_std(1, torch.zeros(1)), math.sqrt(0.6), rtol=1e-12)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_per_row_steps_match_shared_steps(dtype):
    n_steps = 6
    schedule = NoiseSchedule(linear_betas(n_steps, 0.1)).to(dtype)
    gen = torch.Generator().manual_seed(2)
    y = torch.randn(n_steps, 4, generator=gen, dtype=dtype)
    z = torch.randn(n_steps, 4, generator=gen, dtype=dtype)
    t = torch.arange(1, n_steps + 1)
    mean = schedule.bridge_mean(y, z, t)
    std = schedule.reverse_std(t, y)
    assert mean.shape == (n_steps, 4)
    assert std.shape == (n_steps, 1)
    assert std.dtype == dtype
    for row, step in enumerate(range(1, n_steps + 1)):
        expected = schedule.bridge_mean(y[row : row + 1], z[row : row + 1], step)
        torch.testing.assert_close(mean[row : row + 1], expected, rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(std[row, 0].item(), schedule.reverse_std(step, y), rtol=1e-6)


def test_per_row_steps_can_be_shuffled():
    schedule = NoiseSchedule(linear_betas(4, 0.3))
    gen = torch.Generator().manual_seed(3)
    y, z = torch.randn(2, 8, 3, generator=gen)
    t = torch.tensor([4, 1, 3, 2, 2, 4, 1, 3])
    mean = schedule.bridge_mean(y, z, t)
    for row in range(8):
        expected = schedule.bridge_mean(y[row], z[row], int(t[row]))
        torch.testing.assert_close(mean[row], expected, rtol=1e-6, atol=1e-6)


def test_forward_marginal_values():
    betas = linear_betas(7, 0.2)
    schedule = NoiseSchedule(betas)
    z = torch.tensor([[1.0, -2.0, 0.5]], dtype=torch.float64)
    for t in range(1, 8):
        abar = np.prod(1.0 - betas[:t])
        mean, std = schedule.forward_marginal(z, t)
        np.testing.assert_allclose(mean.numpy(), np.sqrt(abar) * z.numpy(), rtol=1e-12)
        np.testing.assert_allclose(std, np.sqrt(1.0 - abar), rtol=1e-12)


def test_forward_step_is_the_one_step_kernel():
    betas = linear_betas(3, 0.5)
    schedule = NoiseSchedule(betas)
    y = torch.tensor([[1.0, -1.0]], dtype=torch.float64)
    noise = torch.tensor([[0.3, 2.0]], dtype=torch.float64)
    got = schedule.forward_step(y, 2, noise)
    expected = np.sqrt(1 - betas[1]) * y.numpy() + np.sqrt(betas[1]) * noise.numpy()
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-12)


@pytest.mark.parametrize(("n_steps", "final_alpha_bar"), [(4, 0.5), (12, 0.05)])
def test_forward_chain_matches_forward_marginal(n_steps, final_alpha_bar):
    n = 200_000
    schedule = NoiseSchedule(linear_betas(n_steps, final_alpha_bar))
    gen = torch.Generator().manual_seed(4)
    z = torch.tensor([1.5, -0.5, 0.0]).expand(n, 3)
    y = z
    for t in range(1, n_steps + 1):
        y = schedule.forward_step(y, t, torch.randn(n, 3, generator=gen))
    mean, std = schedule.forward_marginal(z[:1], n_steps)
    torch.testing.assert_close(y.mean(0), mean[0], rtol=0.0, atol=0.01)
    torch.testing.assert_close(y.std(0), torch.full((3,), std), rtol=0.01, atol=0.0)
    np.testing.assert_allclose(std**2, 1.0 - final_alpha_bar, rtol=1e-9)
