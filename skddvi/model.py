"""The torch latent-variable model: encoder -> posterior -> decoder, plus prior.

:class:`DDVIModel` knows nothing of numpy or scikit-learn. It computes the
named loss terms of a minibatch (:class:`~skddvi.objectives.LossTerms`), the
per-row ELBO, the deterministic embedding, decodings and samples.
"""

from __future__ import annotations

import copy
import itertools
import weakref

import torch
from torch import Tensor, nn

from .edges import EdgeModel
from .likelihoods import GaussianLikelihood, Likelihood
from .objectives import LossTerms, LossWeights
from .posteriors import Posterior
from .priors import Prior

__all__ = ["DDVIModel", "inference_copy"]

# Dreams per step for the sleep term: a regulariser needs no more than this
# many draws per step, and each costs a decoder and an encoder pass.
_N_DREAMS = 256


class DDVIModel(nn.Module):
    """``p_theta(x | z) p(z)`` with the approximate posterior ``q_phi(z | x)``.

    Parameters
    ----------
    encoder : nn.Module
        Maps model-space rows ``(N, p)`` to features ``(N, H)``.
    posterior : Posterior
        Reads the features; see :mod:`skddvi.posteriors`.
    decoder : nn.Module
        Maps latents ``(N, d)`` to the likelihood's parameters ``(N, p)``.
    likelihood : Likelihood
    prior : Prior
    center : Tensor of shape (p,)
        Training mean of each feature, in the units of the rows the model
        reads (``x - offset``).
    scale : float
        Common scale of the model space (see :mod:`skddvi.likelihoods`).
    sleep : {"full", "latent", "none"}
        Which sleep term to train with.
    graph : EdgeModel or None
        Likelihood of the neighbour graph; None for the paper's plain model.
    classifier : nn.Module or None
        ``q(l | x)`` of a semi-supervised model: features ``(N, H)`` to class
        logits ``(N, C)``, the classes being the prior's groups.
    latent_classifier : nn.Module or None
        A second classifier, from the latent ``(N, d)`` to class logits,
        trained beside ``classifier`` by the labelled rows' cross-entropy (an
        auxiliary term, as that of ``classifier``, outside the ELBO): linear
        in the latent, it asks for the classes to be apart in the embedding,
        as UMAP's supervised mode has them. None: no such term.
    offset : Tensor of shape (p,) or None
        The model reads rows ``x - offset`` (float64, subtracted by the caller
        in float64): with the training mean as offset, float32 rows of data far
        from zero keep their digits. :meth:`absorb_offset` turns a float64 copy
        into one that reads ``x`` itself. None: zero.
    radius : float, default=inf
        The encoder reads a row further than ``radius`` from ``center`` (in
        units of ``scale``) shrunk onto that sphere, so that an outlier
        cannot swamp the encoder's first layer.
    """

    center: Tensor
    scale: Tensor
    radius: Tensor

    def __init__(
        self,
        encoder: nn.Module,
        posterior: Posterior,
        decoder: nn.Module,
        likelihood: Likelihood,
        prior: Prior,
        center: Tensor,
        scale: float,
        sleep: str,
        graph: EdgeModel | None = None,
        classifier: nn.Module | None = None,
        offset: Tensor | None = None,
        radius: float = float("inf"),
        latent_classifier: nn.Module | None = None,
    ) -> None:
        super().__init__()
        # A plain attribute, not a buffer: it stays float64 whatever dtype the
        # model is cast to, and on the CPU.
        self.offset = (
            torch.zeros(center.shape, dtype=torch.float64)
            if offset is None
            else torch.as_tensor(offset, dtype=torch.float64).clone()
        )
        self.graph = graph
        self.classifier = classifier
        self.latent_classifier = latent_classifier
        self.encoder = encoder
        self.posterior = posterior
        self.decoder = decoder
        self.likelihood = likelihood
        self.prior = prior
        self.sleep = sleep
        self.register_buffer("center", center.float())
        self.register_buffer("scale", torch.tensor(float(scale)))
        self.register_buffer("radius", torch.tensor(float(radius)))

    def absorb_offset(self) -> DDVIModel:
        """Make the model read rows ``x`` where it read ``x - offset``; returns it.

        ``offset`` moves into the centres (of the encoder's input and of a
        Gaussian likelihood) and becomes zero. Meant for a float64 copy: in
        float32 the sum would round away the digits the offset keeps.
        """
        shift = self.offset.to(self.center.device, self.center.dtype)
        self.center += shift
        if isinstance(self.likelihood, GaussianLikelihood):
            self.likelihood.center += shift
        self.offset = torch.zeros_like(self.offset)
        return self

    def features(self, x: Tensor) -> Tensor:
        """Encoder features of raw rows ``x`` ``(N, p)``."""
        u = (x - self.center) / self.scale
        # No branch on the data (a CUDA graph replays this): rows within the
        # radius are multiplied by exactly 1.
        shrink = (self.radius / _norm(u)).clamp(max=1.0)
        return self.encoder(u * shrink)

    def elbo_parts(self, x: Tensor, noise: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Per-row ``log p(x | z)``, ``log p(z)`` and ``log_ratio`` for one draw.

        ``noise`` has shape ``(N, posterior.noise_dim)``, or ``(1, noise_dim)`` to
        give every row the same draw.
        """
        z, log_ratio = self.posterior.rsample(self.features(x), noise.expand(x.shape[0], -1))
        log_lik = self.likelihood.log_prob(x, self.decoder(z))
        return log_lik, self.prior.log_prob(z), log_ratio

    def loss_terms(
        self,
        x: Tensor,
        x_neighbor: Tensor | None,
        weights: LossWeights,
        generator: torch.Generator | None,
        labels: Tensor | None = None,
        edge_weight: Tensor | None = None,
        x_non_edge: tuple[Tensor, Tensor] | None = None,
    ) -> LossTerms:
        """Named loss terms of a minibatch (see :mod:`skddvi.objectives`).

        ``x_neighbor`` holds one graph neighbour of each row of ``x``; None (or
        a model without ``graph``) leaves out the graph term. ``edge_weight``
        ``(N,)`` weighs each row's edge term (None: all 1). ``x_non_edge`` is
        ``(rows, mask)``: one observed non-edge neighbour of each row (a near
        row of another class) and which rows have one. ``labels`` (class
        indices, -1 for unlabelled rows) are read by a semi-supervised model.
        """
        h = self.features(x)
        z, log_ratio = self.posterior.rsample(h, self._noise(x, generator))
        reconstruction = -self.likelihood.log_prob(x, self.decoder(z)).mean()
        prior, classification = self._prior_terms(z, h, labels)
        aux = log_ratio.mean()
        latent = prior + aux
        adversarial = critic_loss = z.new_zeros(())
        if self.posterior.matched_by_critic:
            z_prior = self.prior.sample(x.shape[0], generator=generator).to(z.dtype)
            adversarial, critic_loss = self.posterior.adversarial_losses(z, z_prior)
            latent = adversarial
        graph = self._graph(z, x_neighbor, generator, edge_weight, x_non_edge)
        sleep = self._sleep(min(x.shape[0], _N_DREAMS), generator)
        loss = (
            weights.reconstruction * reconstruction
            + weights.kl * (latent + weights.sleep * sleep)
            + weights.graph * graph
            + weights.classification * classification
            + critic_loss
        )
        return LossTerms(
            loss, reconstruction, prior, aux, sleep, graph, adversarial, classification
        )

    def _prior_terms(self, z: Tensor, h: Tensor, labels: Tensor | None) -> tuple[Tensor, Tensor]:
        """Batch means of the prior term and of the classification cross-entropy."""
        if self.classifier is None or labels is None:
            return -self.prior.log_prob(z).mean(), z.new_zeros(())
        log_joint = self.prior.group_log_prob(z)  # log p(z, l), (N, C)
        log_q = torch.log_softmax(self.classifier(h), dim=-1)  # log q(l | x)
        labelled = labels >= 0
        index = labels.clamp_min(0).unsqueeze(-1)
        marginal = (log_q.exp() * (log_q - log_joint)).sum(-1)
        prior = torch.where(labelled, -log_joint.gather(-1, index).squeeze(-1), marginal)
        cross_entropy = -log_q.gather(-1, index).squeeze(-1)
        if self.latent_classifier is not None:
            log_s = torch.log_softmax(self.latent_classifier(z), dim=-1)
            cross_entropy = cross_entropy - log_s.gather(-1, index).squeeze(-1)
        classification = (cross_entropy * labelled).sum() / labelled.sum().clamp_min(1)
        return prior.mean(), classification

    def class_log_proba(self, x: Tensor) -> Tensor:
        """``log q(l | x)`` of a semi-supervised model, shape ``(N, C)``."""
        return torch.log_softmax(self.classifier(self.features(x)), dim=-1)

    def _noise(self, x: Tensor, generator: torch.Generator | None) -> Tensor:
        shape = (x.shape[0], self.posterior.noise_dim)
        return torch.randn(shape, generator=generator, device=x.device, dtype=x.dtype)

    def _graph(
        self,
        z: Tensor,
        x_neighbor: Tensor | None,
        generator: torch.Generator | None,
        edge_weight: Tensor | None = None,
        x_non_edge: tuple[Tensor, Tensor] | None = None,
    ) -> Tensor:
        if self.graph is None or x_neighbor is None:
            return z.new_zeros(())
        z_neighbor = self._latent(x_neighbor, generator)
        log_lik = self.graph.log_likelihood(z, z_neighbor, generator)
        if edge_weight is not None:
            log_lik = edge_weight * log_lik
        if x_non_edge is not None:
            x_other, has_one = x_non_edge
            far = self.graph.non_edge_log_likelihood(z, self._latent(x_other, generator))
            log_lik = log_lik + has_one * far
        return -log_lik.mean()

    def _latent(self, x: Tensor, generator: torch.Generator | None) -> Tensor:
        """One posterior draw for each row of ``x``."""
        return self.posterior.rsample(self.features(x), self._noise(x, generator))[0]

    def _sleep(self, n: int, generator: torch.Generator | None) -> Tensor:
        zero = self.center.new_zeros(())
        if self.sleep == "none" or not self.posterior.has_sleep:
            return zero
        with torch.no_grad():
            z = self.prior.sample(n, generator=generator).to(self.center.dtype)
            dreams = None
            if self.posterior.uses_dreams and self.sleep == "full":
                dreams = self.likelihood.mean(self.decoder(z))
        h_dream = None if dreams is None else self.features(dreams)
        return self.posterior.sleep_loss(z, h_dream, generator).mean()

    def elbo(self, x: Tensor, noise: Tensor) -> Tensor:
        """Per-row ELBO (KL weight 1), averaged over the draws in ``noise``.

        ``noise`` has shape ``(S, noise_dim)``: draw ``s`` is shared by all rows.
        """
        total = x.new_zeros(x.shape[0])
        for draw in noise:
            log_lik, log_prior, log_ratio = self.elbo_parts(x, draw[None])
            total = total + log_lik + log_prior - log_ratio
        return total / noise.shape[0]

    def embed(self, x: Tensor) -> Tensor:
        """Deterministic embedding of raw rows ``x``."""
        return self.posterior.embed(self.features(x))

    def decode(self, z: Tensor) -> Tensor:
        """Decoder mean ``E[x | z]`` in original units."""
        return self.likelihood.mean(self.decoder(z))

    def sample(self, n: int, generator: torch.Generator | None) -> tuple[Tensor, Tensor]:
        """Draw ``z ~ p(z)`` and ``x ~ p(x | z)``; returns ``(x, z)``."""
        z = self.prior.sample(n, generator=generator).to(self.center.dtype)
        return self.likelihood.sample(self.decoder(z), generator), z


# Float64 inference copies, by the model they copy (see inference_copy).
_INFERENCE_COPIES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _state_key(model: DDVIModel, device: torch.device) -> tuple:
    """What an inference copy of ``model`` depends on: the device, and the
    storage and in-place version of every parameter, buffer and the offset."""
    tensors = itertools.chain(model.parameters(), model.buffers(), (model.offset,))
    return (str(device), *((t.data_ptr(), t._version) for t in tensors))


def inference_copy(model: DDVIModel, device: torch.device) -> DDVIModel:
    """A float64 copy of ``model`` on ``device`` that reads rows ``x`` as they
    are (its offset absorbed), for inference without gradients.

    float64 makes a row's result independent of the batch it is in. The copy
    is kept while ``model`` lives and reused until one of its tensors changes
    (in place or replaced) or another device is asked for: a deep copy costs
    milliseconds, which would dominate ``transform`` of a few rows. An edit
    through a tensor's ``.data`` bypasses torch's version counter and is not
    seen; edit under ``torch.no_grad()`` instead.
    """
    try:
        key = _state_key(model, device)
    except RuntimeError:  # an inference-mode tensor tracks no version: no caching
        key = None
    cached = _INFERENCE_COPIES.get(model)
    if key is not None and cached is not None and cached[0] == key:
        return cached[1]
    copied = copy.deepcopy(model).to(device=device, dtype=torch.float64).absorb_offset()
    if key is not None:
        _INFERENCE_COPIES[model] = (key, copied)
    return copied


def _norm(u: Tensor) -> Tensor:
    """Euclidean norm of each row ``(N, 1)``, without overflow for rows whose
    squares exceed the dtype's range (divided by the row's largest entry)."""
    peak = u.abs().amax(dim=-1, keepdim=True).clamp_min(torch.finfo(u.dtype).tiny)
    return torch.linalg.vector_norm(u / peak, dim=-1, keepdim=True) * peak
