"""``DDVIEmbedding``: the scikit-learn estimator (numpy in, numpy out)."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils import ClassifierTags, check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from ._build import build_model
from ._checks import (
    check_float32_scale,
    encode_labels,
    refittable,
    reject_bools,
    resolve_device,
    sum_duplicates,
    warn_few_rows,
    warn_if_diverged,
)
from ._compat import fit_context
from ._data import DeviceRows, feature_moments, input_scaling
from ._generative import GenerativeMixin
from ._inference import BatchedInferenceMixin
from ._parameters import INTEGER_PARAMETERS, PARAMETER_CONSTRAINTS
from ._predict import GroupPredictionMixin
from ._resolve import (
    graph_rows,
    resolve_batch_size,
    resolve_graph_pca,
    resolve_hidden_dims,
    resolve_likelihood,
    resolve_n_epochs,
    resolve_offset,
    resolve_prior,
)
from ._torch_state import cpu_threads
from ._training import TrainingPlan, check_finite_embedding, train
from .graph import observed_graph
from .neighbors import canonical_metric

__all__ = ["DDVIEmbedding"]

# A learned mixture prior is moved onto the embedding (k-means) after these
# fractions of training, so that its components follow the data's clusters.
_REFIT_PRIOR_AT = (0.2, 0.5)


class DDVIEmbedding(
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    GenerativeMixin,
    GroupPredictionMixin,
    BatchedInferenceMixin,
    BaseEstimator,
):
    """Embedding by Denoising Diffusion Variational Inference (DDVI).

    Fits a latent-variable model ``p(x | z) p(z)`` whose approximate posterior
    ``q(z | x)`` is a denoising diffusion chain in latent space (Piriyakulkij,
    Wang and Kuleshov, 2025), trained on the Markovian ELBO (optionally with a
    wake-sleep regulariser, ``sleep``) and, unless ``graph_weight=0``, the
    likelihood of the data's neighbour graph ``p(G | z)``. ``transform`` maps
    rows to the deterministic end of the chain; ``inverse_transform``
    decodes; ``score`` is a lower bound on the log-likelihood; ``sample``
    draws from the generative model.

    Parameters
    ----------
    n_components : int, default=2
        Dimension of the embedding (the latent space).
    prior : {"gaussian", "mixture", "pinwheel", "swiss_roll", "square"} or object, \
            default="gaussian"
        The prior ``p(z)``. The pinwheel, swiss roll and square are the
        paper's 2-D shapes; ``"mixture"`` has ``n_clusters`` components. An
        object with ``n_components``, ``log_prob(z)`` and
        ``sample(n, generator=None)`` works too (:mod:`skddvi.priors` has the
        protocol, with what clusters and labels need); it is copied, never
        modified. With labels it is split into one group per class: the
        pinwheel's arms, the swiss roll's and square's segments, the
        mixture's components round-robin, or one learned Gaussian per class.
    n_clusters : int, default=None
        Number of components of ``prior="mixture"`` (10 when None, or the
        number of classes of a fit with labels), whose means, weights and
        scales are learned with the model. With labels it must be at least
        the number of classes: the components are shared among the classes
        round-robin. Ignored by the other priors.
    posterior : {"diffusion", "gaussian", "iaf", "adversarial"}, default="diffusion"
        The variational family: the DDVI diffusion chain; or one of the
        paper's baselines with the same encoder, decoder and training: a
        diagonal Gaussian (AEVB, the VAE), a Gaussian followed by 4 inverse
        autoregressive flow layers (AEVB-IAF), or an adversarial autoencoder's
        point encoder matched to the prior by a critic (AAEB).
    n_steps : int, default=5
        Number of denoising steps ``T`` of the diffusion posterior. Five fit
        18 to 40% faster than ten on a CPU, with the same embedding quality
        and a slightly higher ELBO in our benchmarks
        (``benchmarks/results/n_steps5.md``). The paper's reproductions in
        ``benchmarks/paper`` set 20.
    hidden_dims : int or tuple of int, default=(256, 256)
        Hidden widths of the encoder (an int: one hidden layer); the decoder
        mirrors them.
    likelihood : {"auto", "gaussian", "isotropic", "bernoulli"}, default="auto"
        ``p(x | z)``: Gaussian with a learned variance per feature; Gaussian
        with one learned variance shared by all features (``"isotropic"``, the
        noise model of probabilistic PCA and of a mean-squared-error loss:
        large-variance directions such as leading principal components count
        most); or Bernoulli for data in ``[0, 1]``. ``"auto"`` picks Bernoulli
        when all of ``X`` lies in ``[0, 1]`` and some value reaches 0.5 (data
        that fill the interval, such as pixel intensities or 0/1 data),
        Gaussian otherwise. A Gaussian's variances start no lower than 1e-3
        times the features' mean variance, learn down slowly from there, and
        stop at 1e-6 times it: a feature that varies far less (one measured
        in much smaller units than the others) keeps too much noise, so its
        ``sample`` values spread too far and ``score`` bounds it loosely.
        Standardise features of different units (``StandardScaler``) when
        you use ``sample`` or ``score``.
    kl_weight : float, default=0.01
        Weight of the prior and auxiliary (KL) terms against the
        reconstruction, which is averaged over features as in the paper's
        code (``kl_weight = 1 / n_features`` is the plain ELBO; the paper used
        0.003 to 0.5). ``score`` always uses the plain ELBO.
    kl_warmup : float, default=0.1
        Fraction of training over which the KL weight grows linearly from a
        tenth of ``kl_weight`` to ``kl_weight``.
    sleep : {"full", "latent", "none"}, default="none"
        The paper's sleep regulariser: ``"full"`` trains the x-conditioned
        posterior on the model's dreams ``(z, x~) ~ p(z) p(x | z)``; ``"latent"``
        uses a chain that does not see ``x``, trained on prior samples only
        (cheaper, looser); ``"none"`` trains on the Markovian ELBO alone. With
        the neighbour graph (the default model) dreams from the prior pull the
        encoder away from the data's clusters, and ``"none"`` embeds best
        (``benchmarks/results/digits.md``); with a structured prior and
        ``graph_weight=0`` (the paper's setting) use ``"full"``. Only the
        diffusion posterior has a sleep term; the others ignore ``sleep``.
    sleep_weight : float, default=0.1
        Weight of the sleep term, relative to the KL terms.
    n_neighbors : int, default=15
        Size of the k-nearest-neighbour graph whose edges the model also
        explains (see ``graph_weight``), as in UMAP. At least the number of
        rows warns (as UMAP does) and gives each row all the other rows.
    metric : {"euclidean", "manhattan", "cosine", "correlation", "chebyshev", \
            "canberra", "braycurtis", "hamming", "jaccard", "hellinger", \
            "sqeuclidean"}, default="euclidean"
        Distance between rows that finds their nearest neighbours, as UMAP's
        ``metric`` (with scikit-learn's meanings: ``"cosine"`` is one minus
        the cosine similarity, ``"hamming"`` the share of features that
        differ, ``"jaccard"`` compares the sets of non-zero features;
        ``"hellinger"`` is UMAP's, between rows of non-negative counts read as
        distributions). ``"l2"`` and ``"l1"``, ``"cityblock"``, ``"taxicab"``
        name the Euclidean and Manhattan distances. Only the neighbour graph
        uses it; the likelihood ``p(x | z)`` and ``transform`` do not. Sparse
        ``X`` supports ``"euclidean"``, ``"sqeuclidean"``, ``"manhattan"``,
        ``"cosine"`` and ``"hellinger"``.
    graph_pca : int, "auto" or None, default="auto"
        Search the neighbours among the first ``graph_pca`` principal
        components of ``X`` (as scanpy's ``n_pcs``) instead of its features.
        ``"auto"``: 50 components when ``X`` has more than 100 features and
        the metric is Euclidean (or squared Euclidean), else the features
        (``graph_pca_`` says which).
        None, or at least ``min(n_samples, n_features)``, uses the features.
        Only the graph uses it: the model still explains every feature, and
        ``score`` still bounds ``log p(x)``. On wide, noisy data this cleans
        the graph: on eHGDP's 8,170 genotype columns 50 components raised
        10-NN accuracy from 0.863 to 0.939, pbmc68k's from 0.751 to 0.778,
        MNIST 10k's from 0.937 to 0.944 (five seeds,
        ``benchmarks/results/graph_pca.md``). Not with ``metric="hamming"``
        or ``"jaccard"``, which compare sets of features, nor with
        ``"hellinger"``, which needs non-negative counts.
    min_dist : float, default=0.1
        UMAP's ``min_dist``: sets the heavy-tailed kernel of edge
        probabilities in the latent space (with ``spread``): how tightly
        neighbours may pack. At most ``spread``.
    spread : float, default=1.0
        UMAP's ``spread``: the latent distance over which the kernel falls
        off beyond ``min_dist``. The kernel at ``(min_dist, spread)`` is the
        one at ``(min_dist / spread, 1)`` with distances scaled by
        ``spread``, and the embedding's scale adapts to it, so what changes
        the embedding is ``min_dist`` relative to ``spread`` (on digits,
        spread 0.5 to 2 at min_dist 0.1 left 10-NN accuracy, trustworthiness
        and how tight the clusters are level).
    graph_weight : float, default=1.0
        Weight of the neighbour-graph likelihood. The graph is an observed
        variable of the generative model, so the posterior respects local
        structure; ``p(x)`` and ``score`` are unchanged by it. 0 gives the
        paper's plain model.
    edge_weights : {"mutual", "uniform", "fuzzy"}, default="mutual"
        How a row's observed edge is drawn. "mutual": uniformly among its
        mutual neighbours, the rows that also count it among their
        ``n_neighbors`` nearest (:func:`skddvi.graph.mutual_adjacency`); a
        row with none draws among all its nearest neighbours. This drops the
        one-way edges into hubs, rows near the centre of the data that are
        among the neighbours of very many rows (common in high dimensions
        and after mean imputation). Each row's edge term is weighted by its
        number of mutual neighbours, so every mutual edge counts alike
        (:func:`skddvi.graph.mutual_edge_weights`); a semi-supervised fit
        keeps one unit per row, so that its labels set the clusters.
        "uniform": one of its ``n_neighbors`` nearest neighbours, each alike
        (the earlier default). "fuzzy": from UMAP's fuzzy graph
        (:func:`skddvi.graph.membership_graph`), edges weighted by distance
        relative to the row's nearest neighbour and symmetrised by a fuzzy
        union. Measured on five real sets in
        ``benchmarks/results/edge_weights.md``.
    n_epochs : int, default=None
        Passes over the data. None chooses from the data size: about 3
        million rows in all (3,000 steps of 1024) within 40 to 500 epochs,
        and at least 600 optimisation steps: 600 epochs up to 1,024 rows (one
        batch an epoch), 500 up to 6,000 rows (as UMAP, 500 below 10,000),
        300 for 10,000, 150 for 20,000, 43 for 70,000, 40 from 75,000. On
        CUDA the floor is 80 epochs (from 37,500 rows on), since there a
        larger batch costs little more time (see ``batch_size``): on MNIST
        70k on an H200, 80 epochs of 4096 rows took 6.4 s against 5.6 s for
        40 of 2048 and raised trustworthiness from 0.942 to 0.948 (three
        seeds, ``benchmarks/results/batch_size_seeds_gpu.md``). What each
        part of the rule bought (MNIST 10k, digits, pbmc68k, breast cancer)
        is measured in ``benchmarks/results/README.md``. Unlike
        UMAP's ``n_epochs``, which moves each point a few times, this trains
        networks: a UMAP setting such as 200 is too few for small data (on
        digits, trustworthiness 0.981 at 300 epochs against 0.985 with the
        default 500, ``benchmarks/results/ablation.md``, and lower below);
        leave it None unless fit time matters more.
    batch_size : int or "auto", default="auto"
        Minibatch size (capped at the number of rows). Non-edges of the graph
        are sampled inside the minibatch, so large batches help. ``"auto"``
        is 1024, doubled (up to 8192) while an epoch still has at least 32
        steps: 1024 up to 65,535 rows, 2048 for MNIST's 70,000. On CUDA it
        doubles while an epoch has at least 16 steps: 2048 from 32,768 rows,
        4096 for MNIST's 70,000. On MNIST 70k (GPU, 40 epochs, learning rate
        1e-2) 2048 beat 1024 on 10-NN accuracy (0.964 against 0.954) in half
        the steps.
    learning_rate : float, default=5e-3
        Initial learning rate of Adam; it decays linearly to 2% of this value.
        Gradients are clipped to norm 1. Against 1e-2, 5e-3 raised 10-NN
        accuracy on MNIST 10k (0.913 to 0.921 over two seeds) and eHGDP (0.758
        to 0.810) and left digits, iris, wine, breast cancer and blobs level;
        on small sets (300 to 600 steps, before the 600-step floor) it cost
        2 to 4 nats of ELBO (results README). The encoder's first layer,
        where more than 256 features wide, steps at ``learning_rate *
        256 / n_features``: Adam moves every weight by about the rate, so
        that layer's units would move ``n_features / 256`` times as far as
        a hidden layer's (on 50 rows of 5,000 features, 23 rows ended on
        one point). Not UMAP's ``learning_rate`` (an SGD step of 1.0):
        copied over, 1.0 diverges.
    device : str or torch.device, default="auto"
        Where to train: ``"auto"`` picks CUDA when available, else the CPU.
        On CUDA with dense input and a prior of this library, one training
        step is captured as a CUDA graph and replayed for every batch (on an
        H200, 2.9 ms a step against 21 ms launched eagerly); with dense input
        and the Euclidean, squared Euclidean, cosine, correlation or
        Hellinger metric, the neighbour graph is an exact search on the GPU
        (the other metrics search on the CPU, as there). With
        ``n_epochs=None`` and ``batch_size="auto"``, sets of 32,768 rows or
        more train on CUDA with larger batches (and from 37,500 rows more
        epochs) than on the CPU (see those parameters), so the same seed
        does not give the same fit on both.
    n_jobs : int, default=None
        CPU threads for the neighbour search and for torch while fitting and
        inferring (``transform``, ``score``, ...): -1 uses all cores, -2 all
        but one (joblib's convention). torch's own setting is restored
        afterwards. None keeps torch's setting and searches on all cores.
        Results on the CPU may differ in the last bits between thread counts,
        and above 20,000 rows more than that: pynndescent's approximate search
        may find another graph at another thread count (UMAP instead runs
        single-threaded when seeded). Fix ``n_jobs`` to reproduce such fits on
        other machines.
    random_state : int, RandomState instance or None, default=None
        Seeds the weights, minibatches, noise and the approximate neighbour
        search. The same value gives bitwise-identical results on the CPU with
        the same ``n_jobs`` and thread counts, whatever the import order (rows
        at equal distances enter the exact neighbour graph by index); on
        CUDA, results agree to about
        1e-3 of the embedding's extent (some GPU kernels are not
        deterministic). A graphed CUDA fit draws its noise from the device's
        default generator, seeded from ``random_state``, and restores that
        generator's state afterwards.
    verbose : bool, default=False
        Show a progress bar with the current loss.

    Attributes
    ----------
    embedding_ : ndarray of shape (n_samples, n_components)
        Embedding of the training rows (``transform`` of them).
    classes_ : ndarray of shape (n_classes,)
        After a fit with labels: the class labels, the columns of
        ``predict_proba``.
    label_source_ : {"embedding", "encoder"}
        After a fit with labels: what ``predict`` reads. ``"embedding"``: the
        vote of the 10 labelled training rows nearest in the embedding
        (``label_classifier_``); ``"encoder"``: the classifier ``q(l | x)``
        of the encoder's features. The fit chooses the vote unless a
        cross-validated logistic regression of the standardised labelled
        rows classifies them better than the vote does with each row left
        out (the map then misses what the data hold about the classes); the
        paper's plain model (``graph_weight=0``) keeps ``q(l | x)``.
    label_classifier_ : KNeighborsClassifier or None
        After a fit with labels: the vote of the labelled rows in the
        embedding (inverse-distance weights), fitted on their ``embedding_``
        and class indices (positions in ``classes_``, so its ``predict``
        gives indices); None when ``label_source_`` is ``"encoder"``.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during ``fit``, when ``X`` has string column names.
    likelihood_ : str
        The likelihood used (``"auto"`` resolved).
    graph_pca_ : int or None
        The number of principal components the neighbour graph was searched
        among (``"auto"`` resolved); None: among the features (also when
        ``graph_weight=0``, which builds no graph).
    prior_ : Prior
        The prior used (a copy when an object was passed).
    module_ : DDVIModel
        The fitted torch model (float32, on the CPU). It reads rows
        ``X - module_.offset`` (the training mean, or its robust counterpart
        that leaves outlying rows out, subtracted in float64, for
        dense data with a Gaussian likelihood; zero otherwise). Edits to
        its weights take effect in ``transform`` and the other methods when
        made under ``torch.no_grad()``, not through ``.data`` (see
        :func:`skddvi.model.inference_copy`).
    device_ : torch.device
        The device the model was trained on.
    history_ : dict of ndarray
        Per epoch: ``loss`` (the weighted training loss), ``reconstruction``,
        ``prior``, ``auxiliary_kl``, ``sleep``, ``graph`` (the edges' negative
        log-likelihood), ``adversarial`` (the adversarial posterior's
        regulariser), ``classification`` (a fit with labels) as batch means in
        nats per row (0 where a term does not apply), and ``kl_weight``.
    loss_curve_ : list of float
        Training loss of each epoch (``history_["loss"]``: its batches' mean).
    n_iter_ : int
        Number of epochs run.

    See Also
    --------
    sklearn.decomposition.PCA : Linear embedding with a likelihood ``score``.
    sklearn.manifold.TSNE : Neighbour embedding without ``transform``.

    References
    ----------
    W. Piriyakulkij, Y. Wang and V. Kuleshov. Denoising Diffusion Variational
    Inference: Diffusion Models as Expressive Variational Posteriors. AAAI 2025.
    arXiv:2401.02739.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skddvi import DDVIEmbedding
    >>> X, y = load_digits(return_X_y=True)
    >>> model = DDVIEmbedding(n_epochs=5, random_state=0)
    >>> Z = model.fit_transform(X)
    >>> Z.shape
    (1797, 2)
    """

    _parameter_constraints: ClassVar[dict] = PARAMETER_CONSTRAINTS

    def __init__(
        self,
        *,
        n_components=2,
        prior="gaussian",
        n_clusters=None,
        posterior="diffusion",
        n_steps=5,
        hidden_dims=(256, 256),
        likelihood="auto",
        kl_weight=0.01,
        kl_warmup=0.1,
        sleep="none",
        sleep_weight=0.1,
        n_neighbors=15,
        metric="euclidean",
        graph_pca="auto",
        min_dist=0.1,
        spread=1.0,
        graph_weight=1.0,
        edge_weights="mutual",
        n_epochs=None,
        batch_size="auto",
        learning_rate=5e-3,
        device="auto",
        n_jobs=None,
        random_state=None,
        verbose=False,
    ):
        self.n_components = n_components
        self.prior = prior
        self.n_clusters = n_clusters
        self.posterior = posterior
        self.n_steps = n_steps
        self.hidden_dims = hidden_dims
        self.likelihood = likelihood
        self.kl_weight = kl_weight
        self.kl_warmup = kl_warmup
        self.sleep = sleep
        self.sleep_weight = sleep_weight
        self.n_neighbors = n_neighbors
        self.metric = metric
        self.graph_pca = graph_pca
        self.min_dist = min_dist
        self.spread = spread
        self.graph_weight = graph_weight
        self.edge_weights = edge_weights
        self.n_epochs = n_epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.device = device
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ fit

    @fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Fit the model to ``X``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data. Sparse input is densified one minibatch at a time.
        y : array-like of shape (n_samples,), default=None
            Labels (ints or strings) for a semi-supervised fit; -1 marks an
            unlabelled row (the UMAP convention). The prior is partitioned into
            one part per class (see ``prior``), a classifier ``q(l | x)`` is
            trained beside the model, labelled rows use their class and
            unlabelled rows marginalise over it; ``predict`` then returns
            labels (see ``label_source_``). The neighbour graph keeps the
            edges within a class or with an unlabelled end; neighbours of two
            different classes become observed non-edges, so that the classes
            move apart where they touch (UMAP's supervised mode intersects its graph with the labels
            alike), and a second classifier, linear in the embedding, is
            trained on the labelled rows, so that the classes are apart in the
            map (an auxiliary term, outside the ELBO; not with
            ``graph_weight=0``, the paper's model). None, or all -1, is an
            unsupervised fit; so is a continuous ``y`` (floats that are not
            all whole numbers, or more than 20 distinct float values, such as
            a regressor's target that a Pipeline passes to every step), with a
            warning. Int and string labels are class labels however many there
            are.

        Returns
        -------
        self : DDVIEmbedding
            The fitted estimator.
        """
        self._clear_fitted()
        try:
            # Training needs autograd, even when called under torch.no_grad().
            with cpu_threads(self.n_jobs), torch.inference_mode(False), torch.enable_grad():
                self._fit(X, y)
        except BaseException:
            self._clear_fitted()
            raise
        return self

    def fit_transform(self, X, y=None):
        """Fit the model and return the embedding of ``X``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,), default=None
            Labels for a semi-supervised fit (see :meth:`fit`).

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_components)
            Same as ``fit(X, y).transform(X)``.
        """
        return self.fit(X, y).embedding_

    def _fit(self, X, y) -> None:
        reject_bools(self, INTEGER_PARAMETERS)
        if self.min_dist > self.spread:
            raise ValueError(
                f"min_dist must be at most spread, got min_dist={self.min_dist} "
                f"and spread={self.spread}."
            )
        X = validate_data(self, X, accept_sparse="csr", dtype=[np.float64, np.float32])
        X = sum_duplicates(X)
        labels, classes = encode_labels(y, X.shape[0])
        n_samples, n_features = X.shape
        hidden_dims = resolve_hidden_dims(self.hidden_dims)
        prior = resolve_prior(
            self.prior,
            self.n_components,
            self.n_clusters,
            None if classes is None else len(classes),
        )
        likelihood = resolve_likelihood(self.likelihood, X)
        metric = canonical_metric(self.metric)
        graph_pca = resolve_graph_pca(self.graph_pca, metric, X.shape)
        device = resolve_device(self.device)
        seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        mean, variance = feature_moments(X)
        check_float32_scale(variance)
        scaling = input_scaling(X, mean, variance)
        offset = resolve_offset(X, scaling.center, likelihood)
        model = build_model(
            n_features=n_features,
            prior=prior,
            posterior=self.posterior,
            n_steps=self.n_steps,
            hidden_dims=hidden_dims,
            likelihood=likelihood,
            sleep=self.sleep,
            mean=mean,
            variance=variance,
            seed=seed,
            min_dist=self.min_dist if self.graph_weight > 0 else None,
            spread=self.spread,
            n_classes=None if classes is None else len(classes),
            offset=offset,
            scaling=scaling,
        ).to(device, torch.float32)  # whatever torch's default dtype
        cuda = device.type == "cuda"
        plan = TrainingPlan(
            n_epochs=resolve_n_epochs(self.n_epochs, self.batch_size, n_samples, cuda),
            batch_size=resolve_batch_size(self.batch_size, n_samples, cuda),
            learning_rate=self.learning_rate,
            kl_weight=self.kl_weight,
            kl_warmup=self.kl_warmup,
            sleep_weight=self.sleep_weight,
            graph_weight=self.graph_weight,
            reconstruction_weight=1.0 / n_features,
            refit_prior_at=_REFIT_PRIOR_AT if refittable(prior, classes) else (),
        )
        graph = edge_weights = non_edges = None
        if self.graph_weight > 0:
            warn_few_rows(self.n_neighbors, n_samples)
            graph, edge_weights, non_edges = observed_graph(
                graph_rows(X, graph_pca, seed),
                self.n_neighbors,
                self.edge_weights,
                seed,
                device,
                labels,
                metric,
                -1 if self.n_jobs is None else self.n_jobs,
            )
        generator = torch.Generator(device=device).manual_seed(seed)
        data = DeviceRows(X, device, graph, labels, edge_weights, non_edges, offset)
        history = train(model, data, plan, generator, self.verbose)
        self.device_ = device
        self.module_ = model.cpu()
        self.prior_ = self.module_.prior
        self.likelihood_ = likelihood
        self.graph_pca_ = graph_pca if self.graph_weight > 0 else None
        self.history_ = history
        self.loss_curve_ = history["loss"].tolist()
        self.n_iter_ = plan.n_epochs
        self.embedding_ = self._embed(X)
        check_finite_embedding(self.embedding_, self.learning_rate)
        if classes is not None:
            self.classes_ = classes
            self._fit_label_classifier(X, labels, seed)
        warn_if_diverged(self.embedding_, self.prior_, self.learning_rate)

    def _clear_fitted(self) -> None:
        for name in [k for k in vars(self) if k.endswith("_") and not k.startswith("__")]:
            delattr(self, name)

    def transform(self, X):
        """Embed ``X``: the deterministic end of the posterior's denoising chain.

        Each row maps to the same point whatever batch it is in, up to float64
        rounding (about 1e-16; the matrix products may sum in another order
        for another batch size): ``y_T`` is the encoder mean and each reverse
        step takes its mean (no noise).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_components)
            Same floating dtype as ``X`` (float32 or float64).
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, accept_sparse="csr", dtype=[np.float64, np.float32])
        return self._embed(X)

    @property
    def _n_features_out(self) -> int:
        return self.prior_.n_components

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        # After a semi-supervised fit, predict_proba has one column per class,
        # however many there are (it stays a transformer, not a classifier).
        tags.classifier_tags = ClassifierTags(multi_class=True)
        return tags
