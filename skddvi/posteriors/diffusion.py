"""The DDVI posterior: a Gaussian start followed by a denoising diffusion chain."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import torch
from torch import Tensor, nn

from ..diffusion import NoiseSchedule, linear_betas
from ..networks import Denoiser
from ..objectives import normal_log_prob, standard_normal_log_prob
from ._base import GaussianHead, Posterior


class _Base(NamedTuple):
    """Per-row quantities a conditioned chain reads at every step."""

    mean: Tensor  # a(x), mean of the base Gaussian
    var: Tensor  # v(x), its variance
    condition: Tensor | None  # the context's share of the denoiser's first layer


class DiffusionPosterior(Posterior):
    """The DDVI posterior: a Gaussian ``q(y_T | x)`` followed by a denoising chain.

    The encoder gives a base Gaussian ``N(a(x), diag v(x))`` and a context
    ``c(x)``. The chain starts from ``q(y_T | x) = N(sqrt(abar_T) a,
    abar_T v + 1 - abar_T)`` (the forward process applied to the base) and each
    reverse step is the forward bridge towards a predicted endpoint::

        q(y_{t-1} | y_t, x) = N(w_z z_hat + w_y y_t, s_t^2),
        z_hat = a + g_t (y_t / sqrt(abar_t) - a) + Delta(y_t, t, c(x)),
        g_t = abar_t v / (abar_t v + 1 - abar_t),
        s_t^2 = beta_tilde_t + w_z^2 v (1 - abar_t) / (abar_t v + 1 - abar_t).

    With the correction ``Delta = 0`` this chain is the exact time reversal of
    the forward process started from ``N(a, v)``: the posterior is then exactly
    that Gaussian and the auxiliary gap is zero, so the family contains the
    AEVB posterior. ``Delta``, a time-conditioned network that starts at zero,
    makes it non-Gaussian and multi-modal. (This is the DDPM reverse step with
    an ``x_0``-prediction, equivalent to predicting the noise.)

    With ``context_dim=0`` the chain does not see ``x`` (the "latent" sleep
    variant needs that): ``z_hat = y_t / sqrt(abar_t) + Delta(y_t, t)`` and
    ``s_t^2 = beta_tilde_t`` (``beta_tilde_2`` at ``t = 1``).

    Parameters
    ----------
    in_features : int
        Width of the encoder features.
    dim : int
        Latent dimension ``d``.
    n_steps : int
        Number of diffusion steps ``T``.
    final_alpha_bar : float
        ``alpha_bar_T`` of the linear noise schedule.
    context_dim : int
        Size of ``c(x)``; 0 for a chain that does not see ``x``.
    denoiser_dims : sequence of int
        Hidden widths of the correction network.
    """

    has_sleep = True

    def __init__(
        self,
        in_features: int,
        dim: int,
        n_steps: int,
        final_alpha_bar: float,
        context_dim: int,
        denoiser_dims: Sequence[int],
    ) -> None:
        super().__init__()
        self.dim = dim
        self.noise_dim = dim * (n_steps + 1)
        self.head = GaussianHead(in_features, dim)
        self.context = nn.Linear(in_features, context_dim) if context_dim > 0 else None
        self.schedule = NoiseSchedule(linear_betas(n_steps, final_alpha_bar))
        self.denoiser = Denoiser(dim, context_dim, n_steps, denoiser_dims)

    @property
    def n_steps(self) -> int:
        return self.schedule.n_steps

    @property
    def uses_dreams(self) -> bool:
        return self.context is not None

    def _base(self, h: Tensor) -> _Base:
        mean, log_var = self.head(h)
        condition = None if self.context is None else self.denoiser.condition(self.context(h))
        return _Base(mean, torch.exp(log_var), condition)

    def _y_T(self, base: _Base) -> tuple[Tensor, Tensor]:
        """Mean and variance of ``q(y_T | x)``."""
        abar = self.schedule.scalars["alpha_bars"][-1]
        return abar**0.5 * base.mean, abar * base.var + (1.0 - abar)

    def _affine(self, base: _Base, sched: dict[str, Tensor]) -> tuple[Tensor, Tensor, Tensor]:
        """``(offset, gain, std)`` of the reverse steps given by ``sched``.

        The mean of ``q(y_{t-1} | y_t, x)`` is ``offset + gain * y_t + coef_z *
        Delta(y_t, t, c)`` and its standard deviation ``std``: the formulas of
        the class docstring, gathered so that a whole chain's worth is computed
        in a few vectorised operations (``sched`` from
        :meth:`NoiseSchedule.step_tensors`).
        """
        abar, w_z, w_y = sched["alpha_bar"], sched["coef_z"], sched["coef_y"]
        if base.condition is None:
            return torch.zeros_like(abar), w_z / abar.sqrt() + w_y, sched["reverse_var"].sqrt()
        spread = abar * base.var + (1.0 - abar)
        shrink = abar * base.var / spread
        offset = w_z * (1.0 - shrink) * base.mean
        gain = w_z * shrink / abar.sqrt() + w_y
        std = (sched["bridge_var"] + w_z**2 * base.var * (1.0 - abar) / spread).sqrt()
        return offset, gain, std

    def rsample(self, h: Tensor, noise: Tensor) -> tuple[Tensor, Tensor]:
        steps = self.n_steps
        noise = noise.reshape(noise.shape[0], steps + 1, self.dim)
        base = self._base(h)
        mean_T, var_T = self._y_T(base)
        sched = self.schedule.step_tensors(None, mean_T)
        offset, gain, std = self._affine(base, sched)
        y = mean_T + var_T.sqrt() * noise[:, 0]
        path = [y]  # y_T, y_{T-1}, ..., y_0
        for k, t in enumerate(range(steps, 0, -1), start=1):
            i = t - 1
            correction = self.denoiser(y, t, base.condition)
            y = offset[i] + gain[i] * y + sched["coef_z"][i] * correction + std[i] * noise[:, k]
            path.append(y)
        # log q(y_T | x) + sum_t log q(y_{t-1} | y_t, x), all steps at once.
        log_q = standard_normal_log_prob(noise[:, 0], 0.5 * torch.log(var_T))
        log_q = log_q + standard_normal_log_prob(noise[:, 1:].flatten(1), 0.0)
        log_q = log_q - torch.log(std.expand(steps, *y.shape)).sum((0, 2))
        z = y
        return z, log_q - self._log_r(torch.stack(path[::-1]), sched)

    def _log_r(self, path: Tensor, sched: dict[str, Tensor]) -> Tensor:
        """``log r(y_{1:T} | z)`` for ``path[t] = y_t``, shape ``(T + 1, N, d)``."""
        z = path[0]
        signal, spread = self.schedule.forward_marginal(z, self.n_steps)
        log_r = normal_log_prob(path[-1], signal, spread)
        if self.n_steps > 1:  # bridges r(y_{t-1} | y_t, z) for t = 2 .. T
            mean = sched["coef_z"][1:] * z + sched["coef_y"][1:] * path[2:]
            std = sched["bridge_var"][1:].sqrt()
            log_r = log_r + normal_log_prob(path[1:-1], mean, std.expand_as(mean)).sum(0)
        return log_r

    def embed(self, h: Tensor) -> Tensor:
        base = self._base(h)
        y = self._y_T(base)[0]
        sched = self.schedule.step_tensors(None, y)
        offset, gain, _ = self._affine(base, sched)
        for t in range(self.n_steps, 0, -1):
            i = t - 1
            y = offset[i] + gain[i] * y + sched["coef_z"][i] * self.denoiser(y, t, base.condition)
        return y

    def sleep_loss(
        self, z: Tensor, h_dream: Tensor | None, generator: torch.Generator | None
    ) -> Tensor:
        """``log r(y | z) - log q(y, z | x~)`` with ``y ~ r(y | z)``, an unbiased estimate.

        ``E log r(y | z)`` is a constant (minus the entropy of the forward
        process). The ``T`` reverse-step terms are estimated DDPM-style, from
        one uniformly drawn step per row (times ``T``), and ``log q(y_T | x~)``
        from its own draw of ``y_T ~ r(y_T | z)``. ``h_dream`` (the "full"
        sleep) are the features of the dreams; None (the "latent" sleep, a
        chain that does not see ``x``) leaves out the ``y_T`` term.
        """
        n, steps, sched = z.shape[0], self.n_steps, self.schedule
        noise = torch.randn(3, n, self.dim, generator=generator, device=z.device, dtype=z.dtype)
        t = torch.randint(1, steps + 1, (n,), generator=generator, device=z.device)
        mean_prev, std_prev = sched.forward_previous(z, t)
        y_prev = mean_prev + std_prev * noise[0]
        y_t = sched.forward_step(y_prev, t, noise[1])
        conditioned = h_dream is not None and self.context is not None
        base = self._base(h_dream) if conditioned else _Base(z, z, None)  # z, z: unread
        offset, gain, std = self._affine(base, sched.step_tensors(t, z))
        correction = self.denoiser(y_t, t, base.condition)
        mean = offset + gain * y_t + sched.at("posterior_coef_z", t, z) * correction
        log_q = steps * normal_log_prob(y_prev, mean, std.expand_as(mean))
        if conditioned:
            signal, spread = sched.forward_marginal(z, steps)
            mean_T, var_T = self._y_T(base)
            log_q = log_q + normal_log_prob(signal + spread * noise[2], mean_T, var_T.sqrt())
        return self._neg_entropy_r - log_q

    @property
    def _neg_entropy_r(self) -> float:
        """``E log r(y_{1:T} | z)``, the same for every ``z``."""
        betas = self.schedule.scalars["betas"]
        return -0.5 * self.dim * sum(math.log(2 * math.pi * b) + 1.0 for b in betas)
