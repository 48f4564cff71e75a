"""Neural network building blocks: MLPs and the time-conditioned denoiser."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from torch import Tensor, nn

__all__ = ["MLP", "Denoiser"]


class MLP(nn.Sequential):
    """``Linear -> SiLU`` blocks for each hidden width, then a final ``Linear``.

    Parameters
    ----------
    in_features : int
    hidden_dims : sequence of int
        Widths of the hidden layers (may be empty: a single linear map).
    out_features : int
    """

    def __init__(self, in_features: int, hidden_dims: Sequence[int], out_features: int) -> None:
        layers: list[nn.Module] = []
        width = in_features
        for hidden in hidden_dims:
            layers += [nn.Linear(width, hidden), nn.SiLU()]
            width = hidden
        layers.append(nn.Linear(width, out_features))
        super().__init__(*layers)


class Denoiser(nn.Module):
    """Noise-prediction network ``eps_phi(y_t, t, c)``.

    Each hidden layer adds a learned embedding of the step ``t`` before its
    activation (the time-conditioned linear layers of DDPM-style MLPs). The
    context enters the first layer linearly, so its share is computed once per
    row by :meth:`condition` and reused by every step of the chain. The output
    layer starts at zero, so a fresh chain only rescales ``y_T``.

    Parameters
    ----------
    dim : int
        Latent dimension ``d``.
    context_dim : int
        Size of the context vector ``c(x)``; 0 for an unconditional denoiser.
    n_steps : int
        Number of diffusion steps ``T``.
    hidden_dims : sequence of int
        Widths of the time-conditioned hidden layers (at least one).
    """

    def __init__(
        self, dim: int, context_dim: int, n_steps: int, hidden_dims: Sequence[int]
    ) -> None:
        super().__init__()
        widths = [dim, *hidden_dims]
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in itertools.pairwise(widths))
        self.context = nn.Linear(context_dim, hidden_dims[0], bias=False) if context_dim else None
        self.time_embeddings = nn.ModuleList(nn.Embedding(n_steps, b) for b in hidden_dims)
        for embedding in self.time_embeddings:
            nn.init.normal_(embedding.weight, std=0.1)
        self.output = nn.Linear(widths[-1], dim)
        nn.init.zeros_(self.output.weight)
        nn.init.zeros_(self.output.bias)

    def condition(self, context: Tensor | None) -> Tensor | None:
        """First-layer share of the context, shape ``(N, hidden_dims[0])`` (None without one)."""
        return None if self.context is None or context is None else self.context(context)

    def forward(self, y: Tensor, t: int | Tensor, condition: Tensor | None) -> Tensor:
        """Predict the noise.

        Parameters
        ----------
        y : Tensor of shape (N, d)
        t : int, or Tensor of shape (N,) (long)
            1-based step, shared by all rows or one per row.
        condition : Tensor of shape (N, hidden_dims[0]) or None
            Output of :meth:`condition`.

        Returns
        -------
        Tensor of shape (N, d)
        """
        h = y
        for k, (layer, embedding) in enumerate(zip(self.layers, self.time_embeddings)):
            # A shared step adds one row of the table (a broadcast, cheaper than a gather).
            pre = layer(h) + (embedding.weight[t - 1] if isinstance(t, int) else embedding(t - 1))
            if k == 0 and condition is not None:
                pre = pre + condition
            h = nn.functional.silu(pre)
        return self.output(h)
