"""The fixed forward (noising) process of the diffusion posterior.

Steps are numbered as in the paper: ``y_0 = z`` and ``t = 1 .. T``. Arrays of
length ``T`` hold step ``t`` at index ``t - 1``.

The schedule is pure numbers (registered buffers, so it follows the module to
any device or dtype); it never holds a network. Its quantities:

- ``r(y_t | y_{t-1}) = N(sqrt(alpha_t) y_{t-1}, beta_t I)``, ``alpha_t = 1 - beta_t``;
- ``r(y_t | z) = N(sqrt(alpha_bar_t) z, (1 - alpha_bar_t) I)``;
- the bridge ``r(y_{t-1} | y_t, z) = N(w_z z + w_y y_t, beta_tilde_t I)`` (for
  ``t = 1`` its mean is ``z`` itself and its variance 0);
- the reverse (denoising) step of the posterior is the bridge towards a
  *predicted* endpoint ``z_hat``: ``q(y_{t-1} | y_t) = N(w_z z_hat + w_y y_t, s_t^2 I)``
  with ``s_t^2 = beta_tilde_t``, and ``s_1^2 = beta_tilde_2`` because
  ``beta_tilde_1 = 0`` (the clipped choice of Nichol & Dhariwal, 2021). This is
  the DDPM step written with an ``x_0``-prediction instead of a noise
  prediction; the two are equivalent reparameterisations.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor, nn

__all__ = ["NoiseSchedule", "linear_betas"]

# beta_T / beta_1 of the linear schedule, as in DDPM (0.02 / 1e-4).
_BETA_RATIO = 200.0


def linear_betas(n_steps: int, final_alpha_bar: float) -> np.ndarray:
    """Linear schedule ``beta_1 .. beta_T`` whose ``alpha_bar_T`` is ``final_alpha_bar``.

    ``beta_T = 200 beta_1`` as in DDPM; ``beta_1`` is found by bisection. With
    ``n_steps=1`` the single step has ``beta_1 = 1 - final_alpha_bar``.

    Parameters
    ----------
    n_steps : int
        Number of diffusion steps ``T >= 1``.
    final_alpha_bar : float
        Target signal fraction ``alpha_bar_T`` in ``(0, 1)``.

    Returns
    -------
    betas : ndarray of shape (n_steps,)
    """
    if n_steps < 1:
        raise ValueError(f"n_steps must be >= 1, got {n_steps}.")
    if not 0.0 < final_alpha_bar < 1.0:
        raise ValueError(f"final_alpha_bar must lie in (0, 1), got {final_alpha_bar}.")
    if n_steps == 1:
        return np.array([1.0 - final_alpha_bar])
    shape = np.linspace(1.0, _BETA_RATIO, n_steps)
    low, high = 0.0, 1.0 / _BETA_RATIO
    for _ in range(200):
        mid = 0.5 * (low + high)
        if np.prod(1.0 - mid * shape) > final_alpha_bar:
            low = mid
        else:
            high = mid
    return 0.5 * (low + high) * shape


class NoiseSchedule(nn.Module):
    """Buffers of the forward process for ``T`` steps.

    Parameters
    ----------
    betas : array-like of shape (T,)
        Noise variances ``beta_t`` in ``(0, 1)``.
    """

    betas: Tensor
    alphas: Tensor
    alpha_bars: Tensor
    reverse_variances: Tensor
    posterior_coef_z: Tensor
    posterior_coef_y: Tensor
    posterior_variances: Tensor

    def __init__(self, betas: np.ndarray) -> None:
        super().__init__()
        betas = np.asarray(betas, dtype=np.float64)
        alphas = 1.0 - betas
        alpha_bars = np.cumprod(alphas)
        prev = np.concatenate([[1.0], alpha_bars[:-1]])  # alpha_bar_{t-1}
        beta_tilde = betas * (1.0 - prev) / (1.0 - alpha_bars)
        reverse_var = beta_tilde.copy()
        reverse_var[0] = beta_tilde[1] if len(betas) > 1 else betas[0]
        values = {
            "betas": betas,
            "alphas": alphas,
            "alpha_bars": alpha_bars,
            "prev_alpha_bars": prev,
            "reverse_variances": reverse_var,
            # r(y_{t-1} | y_t, z); index 0 (t = 1) is unused: y_0 = z exactly.
            "posterior_coef_z": betas * np.sqrt(prev) / (1.0 - alpha_bars),
            "posterior_coef_y": np.sqrt(alphas) * (1.0 - prev) / (1.0 - alpha_bars),
            "posterior_variances": beta_tilde,
        }
        # float64, cast to the computation's dtype on use: the tiny variances
        # near t = 1 amplify rounding, and float64 inference should be exact.
        for name, value in values.items():
            self.register_buffer(name, torch.as_tensor(value, dtype=torch.float64))
        # Python floats for a step shared by the whole batch: scalar arithmetic
        # is cheaper than indexing buffers, and exact in any dtype.
        self.scalars = {name: value.tolist() for name, value in values.items()}

    @property
    def n_steps(self) -> int:
        """Number of steps ``T``."""
        return int(self.betas.shape[0])

    def at(self, name: str, t: int | Tensor, like: Tensor) -> float | Tensor:
        """Quantity ``name`` at 1-based step ``t``: a float for an int ``t``, else a
        ``(N, 1)`` column of per-row values in ``like``'s dtype."""
        if isinstance(t, int):
            return self.scalars[name][t - 1]
        return getattr(self, name)[t - 1].to(like.dtype).unsqueeze(-1)

    def step_tensors(self, t: Tensor | None, like: Tensor) -> dict[str, Tensor]:
        """Schedule quantities as tensors shaped for broadcasting against ``like``.

        ``t=None`` gives every step, shape ``(T, 1, 1)`` (index ``t - 1``);
        a ``(N,)`` tensor of steps gives ``(N, 1)`` columns. Keys: ``alpha_bar``,
        ``coef_z``, ``coef_y``, ``bridge_var`` (``beta_tilde_t``) and
        ``reverse_var`` (``s_t^2``).
        """
        names = {
            "alpha_bar": self.alpha_bars,
            "coef_z": self.posterior_coef_z,
            "coef_y": self.posterior_coef_y,
            "bridge_var": self.posterior_variances,
            "reverse_var": self.reverse_variances,
        }
        if t is None:
            return {k: v.to(like.dtype).view(-1, 1, 1) for k, v in names.items()}
        return {k: v[t - 1].to(like.dtype).unsqueeze(-1) for k, v in names.items()}

    def bridge_mean(self, y_t: Tensor, z: Tensor, t: int | Tensor) -> Tensor:
        """Mean of ``r(y_{t-1} | y_t, z)``, the step towards endpoint ``z``.

        ``t`` is the 1-based step: an int, or a ``(N,)`` tensor for per-row steps.
        """
        return self.at("posterior_coef_z", t, z) * z + self.at("posterior_coef_y", t, z) * y_t

    def reverse_std(self, t: int | Tensor, like: Tensor) -> float | Tensor:
        """Standard deviation ``s_t`` of the reverse step."""
        return self.at("reverse_variances", t, like) ** 0.5

    def forward_marginal(self, z: Tensor, t: int | Tensor) -> tuple[Tensor, float | Tensor]:
        """Mean and standard deviation of ``r(y_t | z)``; ``t = 0`` gives ``z`` itself.

        ``t`` is an int, or a ``(N,)`` tensor of per-row steps (then ``>= 1``:
        use :meth:`forward_previous` for ``t - 1``).
        """
        if isinstance(t, int) and t == 0:
            return z, 0.0
        alpha_bar = self.at("alpha_bars", t, z)
        return alpha_bar**0.5 * z, (1.0 - alpha_bar) ** 0.5

    def forward_previous(self, z: Tensor, t: Tensor) -> tuple[Tensor, Tensor]:
        """Mean and standard deviation of ``r(y_{t-1} | z)`` for per-row steps ``t >= 1``."""
        alpha_bar = self.at("prev_alpha_bars", t, z)
        return alpha_bar**0.5 * z, (1.0 - alpha_bar) ** 0.5

    def forward_step(self, y_prev: Tensor, t: int | Tensor, noise: Tensor) -> Tensor:
        """Draw ``y_t ~ r(y_t | y_{t-1})`` with the given standard normal ``noise``."""
        beta = self.at("betas", t, y_prev)
        return (1.0 - beta) ** 0.5 * y_prev + beta**0.5 * noise

    def bridge_std(self, t: int) -> float:
        """Standard deviation of ``r(y_{t-1} | y_t, z)`` for ``t >= 2``."""
        return self.scalars["posterior_variances"][t - 1] ** 0.5
