"""Tests of the posterior families: the shared contract and exact values of fresh models."""

import math

import numpy as np
import pytest
import torch
from scipy.stats import multivariate_normal, norm
from torch import nn

from skddvi.diffusion import linear_betas
from skddvi.posteriors import (
    POSTERIORS,
    AdversarialPosterior,
    DiffusionPosterior,
    GaussianPosterior,
    IAFPosterior,
    make_posterior,
)
from skddvi.posteriors.iaf import MADE

IN_FEATURES = 6
N_STEPS = 4
FINAL_ALPHA_BAR = 0.3
KINDS = ["gaussian", "diffusion-context", "diffusion-latent", "iaf", "adversarial"]


def _build(kind, dim, n_steps=N_STEPS, seed=0):
    torch.manual_seed(seed)
    if kind == "gaussian":
        return GaussianPosterior(IN_FEATURES, dim)
    if kind == "iaf":
        return IAFPosterior(IN_FEATURES, dim, n_flows=3, hidden_dims=(16, 16), context_dim=4)
    if kind == "adversarial":
        return AdversarialPosterior(IN_FEATURES, dim, critic_dims=(16,))
    context_dim = 5 if kind == "diffusion-context" else 0
    return DiffusionPosterior(IN_FEATURES, dim, n_steps, FINAL_ALPHA_BAR, context_dim, (16, 8))


def _features(n, seed=1, dtype=torch.float32):
    return torch.randn(n, IN_FEATURES, generator=torch.Generator().manual_seed(seed), dtype=dtype)


def _noise(posterior, n, seed=2, dtype=torch.float32):
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(n, posterior.noise_dim, generator=gen, dtype=dtype)


def _perturb_denoiser_output(posterior):
    """Give zero-initialised output layers weights, so gradients reach the inner layers."""
    gen = torch.Generator().manual_seed(7)
    if isinstance(posterior, DiffusionPosterior):
        outputs = [posterior.denoiser.output]
    elif isinstance(posterior, IAFPosterior):
        outputs = [m for made in posterior.flows for m in (made.output, made.context_output)]
    else:
        return
    with torch.no_grad():
        for layer in outputs:
            for p in layer.parameters():
                p.copy_(0.3 * torch.randn(p.shape, generator=gen))


@pytest.fixture(
    params=[(kind, dim) for kind in KINDS for dim in (2, 3)], ids=lambda p: f"{p[0]}-d{p[1]}"
)
def posterior(request):
    return _build(*request.param)


# -------------------------------------------------------------------- contract


def test_contract_noise_dim(posterior):
    if isinstance(posterior, DiffusionPosterior):
        assert posterior.noise_dim == posterior.dim * (N_STEPS + 1)
        assert posterior.n_steps == N_STEPS
    else:
        assert posterior.noise_dim == posterior.dim


def test_contract_rsample_shapes_and_finiteness(posterior):
    h = _features(11)
    z, log_ratio = posterior.rsample(h, _noise(posterior, 11))
    assert z.shape == (11, posterior.dim)
    assert log_ratio.shape == (11,)
    assert torch.isfinite(z).all()
    assert torch.isfinite(log_ratio).all()


def test_contract_rsample_depends_on_the_noise(posterior):
    h = _features(5)
    z1, _ = posterior.rsample(h, _noise(posterior, 5, seed=1))
    z2, _ = posterior.rsample(h, _noise(posterior, 5, seed=2))
    assert not torch.allclose(z1, z2)
    z3, _ = posterior.rsample(h, _noise(posterior, 5, seed=1))
    assert torch.equal(z1, z3)


def test_contract_gradients_reach_every_parameter(posterior):
    _perturb_denoiser_output(posterior)
    h = _features(16)
    z, log_ratio = posterior.rsample(h, _noise(posterior, 16))
    (z.sum() + log_ratio.sum()).backward()
    # An adversarial family's critic is trained by adversarial_losses, not by draws.
    names = {n: p for n, p in posterior.named_parameters() if not n.startswith("critic.")}
    assert names  # there is something to train
    for name, param in names.items():
        assert param.grad is not None, name
        assert torch.isfinite(param.grad).all(), name
        assert param.grad.abs().sum() > 0, name
    if isinstance(posterior, DiffusionPosterior) and posterior.context is not None:
        assert "context.weight" in names
        assert "denoiser.context.weight" in names


def test_fresh_diffusion_posterior_trains_head_and_denoiser_output():
    posterior = _build("diffusion-context", 2)
    z, log_ratio = posterior.rsample(_features(16), _noise(posterior, 16))
    (z.sum() + log_ratio.sum()).backward()
    assert posterior.head.linear.weight.grad.abs().sum() > 0
    assert posterior.denoiser.output.weight.grad.abs().sum() > 0


def test_contract_embed_is_deterministic(posterior):
    h = _features(9)
    e1 = posterior.embed(h)
    e2 = posterior.embed(h.clone())
    assert e1.shape == (9, posterior.dim)
    assert torch.isfinite(e1).all()
    assert torch.equal(e1, e2)


def test_contract_embed_rows_are_independent_in_float64(posterior):
    _perturb_denoiser_output(posterior)
    posterior = posterior.double()
    h = _features(13, dtype=torch.float64)
    with torch.no_grad():
        batch = posterior.embed(h)
        rows = torch.cat([posterior.embed(h[i : i + 1]) for i in range(len(h))])
    torch.testing.assert_close(batch, rows, rtol=1e-12, atol=1e-12)


def test_contract_sleep_loss(posterior):
    gen = torch.Generator().manual_seed(0)
    z = torch.randn(20, posterior.dim, generator=gen)
    h_dream = _features(20) if posterior.uses_dreams else None
    loss = posterior.sleep_loss(z, h_dream, gen)
    assert posterior.has_sleep is isinstance(posterior, DiffusionPosterior)
    if not posterior.has_sleep:
        assert loss is None  # the baselines train on the ELBO alone
    else:
        assert loss.shape == (20,)
        assert torch.isfinite(loss).all()


def test_contract_uses_dreams(posterior):
    expected = isinstance(posterior, DiffusionPosterior) and posterior.context is not None
    assert posterior.uses_dreams is expected


def test_sleep_loss_is_reproducible_with_the_generator():
    posterior = _build("diffusion-context", 3)
    z = torch.randn(30, 3, generator=torch.Generator().manual_seed(0))
    h = _features(30)
    a = posterior.sleep_loss(z, h, torch.Generator().manual_seed(5))
    b = posterior.sleep_loss(z, h, torch.Generator().manual_seed(5))
    c = posterior.sleep_loss(z, h, torch.Generator().manual_seed(6))
    assert torch.equal(a, b)
    assert not torch.allclose(a, c)


def test_sleep_loss_gradients_reach_the_denoiser():
    posterior = _build("diffusion-context", 2)
    _perturb_denoiser_output(posterior)
    z = torch.randn(64, 2, generator=torch.Generator().manual_seed(0))
    posterior.sleep_loss(z, _features(64), torch.Generator().manual_seed(1)).sum().backward()
    for name in ["denoiser.layers.0.weight", "denoiser.output.weight", "head.linear.weight"]:
        grad = dict(posterior.named_parameters())[name].grad
        assert grad is not None and grad.abs().sum() > 0, name


def test_make_posterior():
    assert set(POSTERIORS) == {"gaussian", "diffusion", "iaf", "adversarial"}
    assert isinstance(make_posterior("iaf", IN_FEATURES, 2, n_steps=3), IAFPosterior)
    assert isinstance(
        make_posterior("adversarial", IN_FEATURES, 2, n_steps=3), AdversarialPosterior
    )
    gaussian = make_posterior("gaussian", IN_FEATURES, 2, n_steps=3, context_dim=4)
    assert isinstance(gaussian, GaussianPosterior)
    diffusion = make_posterior(
        "diffusion",
        IN_FEATURES,
        3,
        n_steps=5,
        final_alpha_bar=0.5,
        context_dim=4,
        denoiser_dims=(8,),
    )
    assert isinstance(diffusion, DiffusionPosterior)
    assert diffusion.n_steps == 5 and diffusion.dim == 3
    with pytest.raises(ValueError, match="flow"):
        make_posterior("flow", IN_FEATURES, 2)


# ------------------------------------------------------------ known values


def test_gaussian_log_ratio_is_the_normal_log_density():
    posterior = _build("gaussian", 3)
    h = _features(25)
    noise = _noise(posterior, 25)
    z, log_ratio = posterior.rsample(h, noise)
    mean, log_var = posterior.head(h)
    std = torch.exp(0.5 * log_var)
    torch.testing.assert_close(z, mean + std * noise)
    expected = torch.distributions.Normal(mean, std).log_prob(z).sum(-1)
    torch.testing.assert_close(log_ratio, expected, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(posterior.embed(h), mean)


def test_gaussian_head_clamps_the_log_variance():
    posterior = _build("gaussian", 2)
    with torch.no_grad():
        posterior.head.linear.bias[2:] = 100.0
    _, log_var = posterior.head(_features(4))
    assert (log_var <= 6.0).all()
    with torch.no_grad():
        posterior.head.linear.bias[2:] = -100.0
    _, log_var = posterior.head(_features(4))
    assert (log_var >= -12.0).all()


def _schedule(n_steps=N_STEPS):
    """DDPM quantities of the posterior's schedule, computed here (index t - 1 is step t)."""
    betas = linear_betas(n_steps, FINAL_ALPHA_BAR)
    abars = np.cumprod(1.0 - betas)
    prev = np.concatenate([[1.0], abars[:-1]])
    beta_tilde = betas * (1.0 - prev) / (1.0 - abars)
    reverse = beta_tilde.copy()
    reverse[0] = beta_tilde[1] if n_steps > 1 else betas[0]
    return {
        "betas": betas,
        "abars": abars,
        "prev": prev,
        "coef_z": betas * np.sqrt(prev) / (1.0 - abars),
        "coef_y": np.sqrt(1.0 - betas) * (1.0 - prev) / (1.0 - abars),
        "beta_tilde": beta_tilde,
        "reverse": reverse,
    }


def _step(sched, t, y, base_mean, base_var, delta, context):
    """Mean and variance of q(y_{t-1} | y_t, x) as documented (numpy, broadcasting)."""
    i = t - 1
    abar = sched["abars"][i]
    if context:
        spread = abar * base_var + 1.0 - abar
        z_hat = base_mean + abar * base_var / spread * (y / np.sqrt(abar) - base_mean) + delta
        var = sched["beta_tilde"][i] + sched["coef_z"][i] ** 2 * base_var * (1 - abar) / spread
    else:
        z_hat = y / np.sqrt(abar) + delta
        var = np.full_like(y, sched["reverse"][i])
    return sched["coef_z"][i] * z_hat + sched["coef_y"][i] * y, var


def _head(posterior, h):
    with torch.no_grad():
        mean, log_var = posterior.head(h)
    return mean.double().numpy(), np.exp(log_var.double().numpy())


def _forward_covariance(abars):
    """Covariance of (y_1 .. y_T) given z under the forward process (one coordinate)."""
    s, t = np.meshgrid(np.arange(len(abars)), np.arange(len(abars)), indexing="ij")
    lo, hi = np.minimum(s, t), np.maximum(s, t)
    return np.sqrt(abars[hi] / abars[lo]) * (1.0 - abars[lo])


@pytest.mark.parametrize("kind", ["diffusion-context", "diffusion-latent"])
def test_fresh_diffusion_embedding_is_the_base_mean(kind):
    """With the correction at zero, the mean path from sqrt(abar_T) a ends at a."""
    posterior = _build(kind, 3).double()
    h = _features(10, dtype=torch.float64)
    mean, _ = posterior.head(h)
    torch.testing.assert_close(posterior.embed(h), mean, rtol=1e-12, atol=1e-12)


def test_fresh_context_diffusion_posterior_is_exactly_the_base_gaussian():
    """Delta = 0: the chain is the time reversal of the forward process from N(a, v), so
    log_ratio = log q(z | x) = log N(z; a, v) for every draw (no auxiliary gap)."""
    posterior = _build("diffusion-context", 3).double()
    h = _features(12, dtype=torch.float64)
    z, log_ratio = posterior.rsample(h, _noise(posterior, 12, dtype=torch.float64))
    mean, log_var = posterior.head(h)
    expected = torch.distributions.Normal(mean, torch.exp(0.5 * log_var)).log_prob(z).sum(-1)
    torch.testing.assert_close(log_ratio, expected, rtol=1e-9, atol=1e-9)


def test_fresh_context_diffusion_draws_have_the_base_moments():
    n = 20_000
    posterior = _build("diffusion-context", 3)
    h = _features(1)
    with torch.no_grad():
        z, _ = posterior.rsample(h.expand(n, -1), _noise(posterior, n))
    mean, var = _head(posterior, h)
    z = z.double().numpy()
    np.testing.assert_allclose(z.mean(0), mean[0], atol=4 * np.sqrt(var.max() / n))
    np.testing.assert_allclose(z.std(0), np.sqrt(var[0]), rtol=0.03)


def test_fresh_latent_diffusion_draw_rescales_each_step():
    """Without context a fresh step is y_{t-1} = y_t / sqrt(alpha_t) + s_t eps."""
    n, dim = 6, 2
    posterior = _build("diffusion-latent", dim).double()
    h = _features(n, dtype=torch.float64)
    noise = _noise(posterior, n, dtype=torch.float64)
    z, _ = posterior.rsample(h, noise)
    mean, var = _head(posterior, h)
    sched = _schedule()
    blocks = noise.reshape(n, N_STEPS + 1, dim).numpy()
    abar_T = sched["abars"][-1]
    y = np.sqrt(abar_T) * mean + np.sqrt(abar_T * var + 1 - abar_T) * blocks[:, 0]
    for k, t in enumerate(range(N_STEPS, 0, -1), start=1):
        y = y / np.sqrt(1 - sched["betas"][t - 1]) + np.sqrt(sched["reverse"][t - 1]) * blocks[:, k]
    np.testing.assert_allclose(z.detach().numpy(), y, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("kind", ["diffusion-context", "diffusion-latent"])
@pytest.mark.parametrize("n_steps", [1, 2, 4])
def test_log_ratio_is_log_q_minus_log_r_per_draw(kind, n_steps):
    """Rebuild the chain from the noise (the trained-looking denoiser as a black box) and
    score it with scipy: the Gaussian steps of q, minus the joint forward density
    r(y_{1:T} | z) (not the bridge factorisation the implementation uses)."""
    n, dim = 7, 2
    context = kind == "diffusion-context"
    posterior = _build(kind, dim, n_steps=n_steps).double()
    _perturb_denoiser_output(posterior)
    h = _features(n, dtype=torch.float64)
    noise = _noise(posterior, n, dtype=torch.float64)
    with torch.no_grad():
        z, log_ratio = posterior.rsample(h, noise)
        condition = posterior.denoiser.condition(posterior.context(h)) if context else None
    mean, var = _head(posterior, h)
    sched = _schedule(n_steps)
    blocks = noise.reshape(n, n_steps + 1, dim).numpy()

    abar_T = sched["abars"][-1]
    y_mean, y_var = np.sqrt(abar_T) * mean, abar_T * var + 1 - abar_T
    y = y_mean + np.sqrt(y_var) * blocks[:, 0]
    log_q = norm(y_mean, np.sqrt(y_var)).logpdf(y).sum(-1)
    path = {n_steps: y}
    for k, t in enumerate(range(n_steps, 0, -1), start=1):
        with torch.no_grad():
            delta = posterior.denoiser(torch.from_numpy(y), t, condition).numpy()
        step_mean, step_var = _step(sched, t, y, mean, var, delta, context)
        y = step_mean + np.sqrt(step_var) * blocks[:, k]
        log_q += norm(step_mean, np.sqrt(step_var)).logpdf(y).sum(-1)
        path[t - 1] = y
    np.testing.assert_allclose(z.numpy(), path[0], rtol=1e-9, atol=1e-9)

    ys = np.stack([path[t] for t in range(1, n_steps + 1)], axis=-1)  # (n, dim, T)
    cov = _forward_covariance(sched["abars"])
    log_r = np.zeros(n)
    for i in range(n):
        for j in range(dim):
            signal = np.sqrt(sched["abars"]) * path[0][i, j]
            log_r[i] += multivariate_normal(signal, cov).logpdf(ys[i, j])
    np.testing.assert_allclose(log_ratio.numpy(), log_q - log_r, rtol=1e-7, atol=1e-7)


def test_fresh_latent_log_ratio_has_the_gaussian_expectation():
    """E_q[log_ratio] = E_q[log q(y_{0:T} | x)] - E_q[log r(y_{1:T} | z)] in closed form:
    the fresh latent chain is linear-Gaussian, v = mu + L eps with v = (y_T, ..., y_0)."""
    n, dim = 100_000, 2
    posterior = _build("diffusion-latent", dim)
    h = _features(1)
    with torch.no_grad():
        _, log_ratio = posterior.rsample(h.expand(n, -1), _noise(posterior, n))
    mean, var = _head(posterior, h)
    sched = _schedule()
    abars = sched["abars"]
    cov = _forward_covariance(abars)
    inv = np.linalg.inv(cov)
    expected = 0.0
    for j in range(dim):
        eye = np.eye(N_STEPS + 1)
        var_T = abars[-1] * var[0, j] + 1 - abars[-1]
        mu, lin, step_vars = [np.sqrt(abars[-1]) * mean[0, j]], [np.sqrt(var_T) * eye[0]], [var_T]
        for k, t in enumerate(range(N_STEPS, 0, -1), start=1):
            scale = 1.0 / np.sqrt(1 - sched["betas"][t - 1])
            mu.append(scale * mu[-1])
            lin.append(scale * lin[-1] + np.sqrt(sched["reverse"][t - 1]) * eye[k])
            step_vars.append(sched["reverse"][t - 1])
        mu, lin = np.array(mu), np.array(lin)
        expected_log_q = -0.5 * np.sum(np.log(2 * np.pi * np.array(step_vars)) + 1.0)
        rows = [N_STEPS - t for t in range(1, N_STEPS + 1)]  # y_t sits at row T - t
        e_mu = mu[rows] - np.sqrt(abars) * mu[-1]
        e_lin = lin[rows] - np.sqrt(abars)[:, None] * lin[-1]
        expected_log_r = -0.5 * (
            N_STEPS * np.log(2 * np.pi)
            + np.linalg.slogdet(cov)[1]
            + np.trace(inv @ e_lin @ e_lin.T)
            + e_mu @ inv @ e_mu
        )
        expected += expected_log_q - expected_log_r
    values = log_ratio.double()
    se = values.std().item() / math.sqrt(n)
    assert abs(values.mean().item() - expected) < 5 * se + 1e-3
    assert 5 * se < 0.05


def test_fresh_full_sleep_loss_is_minus_the_base_log_density_on_average():
    """Delta = 0 makes q(y, z | x~) = N(z; a, v) r(y | z), so E[sleep] = -log N(z; a, v)."""
    n = 200_000
    posterior = _build("diffusion-context", 2).double()
    h = _features(1, dtype=torch.float64)
    mean, var = _head(posterior, h)
    for offset in ([0.0, 0.0], [0.5, -0.8]):
        z = mean + np.array(offset) * np.sqrt(var)
        with torch.no_grad():
            loss = posterior.sleep_loss(
                torch.from_numpy(z).expand(n, -1),
                h.expand(n, -1),
                torch.Generator().manual_seed(0),
            )
        expected = -norm(mean, np.sqrt(var)).logpdf(z).sum()
        se = loss.std().item() / math.sqrt(n)
        assert abs(loss.mean().item() - expected) < 5 * se + 1e-3
        assert 5 * se < 0.15


def test_fresh_latent_sleep_loss_has_the_gaussian_expectation():
    """E[sleep] = E log r(y | z) - sum_t E_r[log q(y_{t-1} | y_t)] for a fixed z, where
    y_{t-1} - y_t / sqrt(alpha_t) is Gaussian under the forward process."""
    n, dim = 200_000, 2
    posterior = _build("diffusion-latent", dim).double()
    z = np.array([0.8, -1.3])
    with torch.no_grad():
        loss = posterior.sleep_loss(
            torch.from_numpy(z)[None].expand(n, -1), None, torch.Generator().manual_seed(0)
        )
    sched = _schedule()
    expected_log_q = 0.0
    for t in range(1, N_STEPS + 1):
        beta, s_sq = sched["betas"][t - 1], sched["reverse"][t - 1]
        # y_{t-1} ~ N(sqrt(prev) z, 1 - prev), y_t = sqrt(1 - beta) y_{t-1} + sqrt(beta) eps,
        # and the step's mean is y_t / sqrt(1 - beta): the residual is -sqrt(beta / (1 - beta)) eps.
        res_var = beta / (1 - beta)
        expected_log_q += dim * (-0.5 * np.log(2 * np.pi * s_sq) - res_var / (2 * s_sq))
    neg_entropy_r = -0.5 * dim * np.sum(np.log(2 * np.pi * sched["betas"]) + 1.0)
    expected = neg_entropy_r - expected_log_q
    se = loss.std().item() / math.sqrt(n)
    assert abs(loss.mean().item() - expected) < 5 * se + 1e-3
    assert 5 * se < 0.05 * abs(expected)


def test_sleep_loss_ignores_dreams_without_context():
    posterior = _build("diffusion-latent", 2)
    z = torch.randn(10, 2, generator=torch.Generator().manual_seed(0))
    a = posterior.sleep_loss(z, None, torch.Generator().manual_seed(1))
    b = posterior.sleep_loss(z, _features(10), torch.Generator().manual_seed(1))
    torch.testing.assert_close(a, b)


def test_denoiser_output_starts_at_zero():
    posterior = _build("diffusion-context", 2)
    assert isinstance(posterior.denoiser.output, nn.Linear)
    assert torch.count_nonzero(posterior.denoiser.output.weight) == 0
    assert torch.count_nonzero(posterior.denoiser.output.bias) == 0


# ------------------------------------------------------------------ baselines


def test_contract_matched_by_critic(posterior):
    assert posterior.matched_by_critic is isinstance(posterior, AdversarialPosterior)


def test_fresh_iaf_is_a_scaled_gaussian():
    """Zero-initialised MADE outputs give m = 0 and a constant gate g = sigmoid(2):
    z = g^K z_0, whose density follows by the change of variables."""
    posterior = _build("iaf", 2).double()
    h = _features(50, dtype=torch.float64)
    noise = _noise(posterior, 50, dtype=torch.float64)
    z, log_ratio = posterior.rsample(h, noise)
    mean, log_var = posterior.head(h)
    shrink = torch.sigmoid(torch.tensor(2.0, dtype=torch.float64)) ** len(posterior.flows)
    expected = torch.distributions.Normal(mean * shrink, torch.exp(0.5 * log_var) * shrink)
    torch.testing.assert_close(log_ratio, expected.log_prob(z).sum(-1))
    torch.testing.assert_close(posterior.embed(h), mean * shrink)


def test_iaf_log_ratio_is_the_change_of_variables_density():
    """With trained-looking weights, log q(z | x) matches log q(z_0) - log|det dz/dz_0|
    computed by autograd."""
    posterior = _build("iaf", 3).double()
    _perturb_denoiser_output(posterior)
    h = _features(4, dtype=torch.float64)
    noise = _noise(posterior, 4, dtype=torch.float64)
    _, log_ratio = posterior.rsample(h, noise)
    mean, log_var = posterior.head(h)
    for i in range(4):
        z0 = (mean[i] + torch.exp(0.5 * log_var[i]) * noise[i]).detach()
        row = h[i : i + 1]
        jac = torch.autograd.functional.jacobian(
            lambda v, row=row: posterior._flow(v[None], row)[0][0], z0
        )
        base = torch.distributions.Normal(mean[i], torch.exp(0.5 * log_var[i])).log_prob(z0).sum()
        torch.testing.assert_close(log_ratio[i], base - torch.logdet(jac), rtol=1e-8, atol=1e-8)


@pytest.mark.parametrize("reverse", [False, True])
def test_made_is_autoregressive(reverse):
    torch.manual_seed(0)
    made = MADE(4, (12, 12), context_dim=3, reverse=reverse).double()
    with torch.no_grad():
        for p in made.parameters():
            p.copy_(torch.randn(p.shape))
    z, c = torch.randn(4, dtype=torch.float64), torch.randn(1, 3, dtype=torch.float64)
    jac = torch.autograd.functional.jacobian(lambda v: torch.cat(made(v[None], c), -1)[0], z)
    order = torch.arange(4).flip(0) if reverse else torch.arange(4)
    for out in range(8):
        i = out % 4
        for j in range(4):
            if order[j] >= order[i]:
                assert jac[out, j] == 0, (out, j)
    assert jac.abs().sum() > 0


def test_adversarial_losses_train_encoder_and_critic_separately():
    posterior = _build("adversarial", 2)
    h = _features(32)
    z, _ = posterior.rsample(h, _noise(posterior, 32))
    z_prior = torch.randn(32, 2, generator=torch.Generator().manual_seed(3))
    regulariser, critic_loss = posterior.adversarial_losses(z, z_prior)
    regulariser.backward(retain_graph=True)
    assert posterior.head.weight.grad.abs().sum() > 0
    assert all(p.grad is None for p in posterior.critic.parameters())
    posterior.zero_grad()
    critic_loss.backward()
    assert posterior.head.weight.grad is None or posterior.head.weight.grad.abs().sum() == 0
    assert all(p.grad.abs().sum() > 0 for p in posterior.critic.parameters())


def test_adversarial_posterior_is_a_narrow_gaussian_around_the_encoder():
    posterior = _build("adversarial", 2).double()
    h = _features(20, dtype=torch.float64)
    noise = _noise(posterior, 20, dtype=torch.float64)
    z, log_ratio = posterior.rsample(h, noise)
    point = posterior.embed(h)
    torch.testing.assert_close(z, point + 0.05 * noise)
    expected = torch.distributions.Normal(point, 0.05).log_prob(z).sum(-1)
    torch.testing.assert_close(log_ratio, expected)
