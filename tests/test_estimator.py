"""Behaviour of DDVIEmbedding as a scikit-learn transformer."""

import io
import math
import pickle
import warnings

import joblib
import numpy as np
import pytest
import scipy.sparse as sp
import torch
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning, NotFittedError

from skddvi import DDVIEmbedding
from skddvi import estimator as estimator_module
from skddvi.edges import kernel_params
from skddvi.metrics import knn_accuracy
from skddvi.priors import GaussianPrior

FAST = dict(n_epochs=3, hidden_dims=(32,), n_steps=3, batch_size=128, random_state=0)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:400], y[:400]


@pytest.fixture(scope="module")
def fitted(digits):
    return DDVIEmbedding(**FAST).fit(digits[0])


def test_fit_returns_self_and_sets_attributes(digits):
    X, _ = digits
    model = DDVIEmbedding(**FAST)
    assert model.fit(X) is model
    assert model.embedding_.shape == (len(X), 2)
    assert model.n_features_in_ == X.shape[1]
    assert model.n_iter_ == 3
    assert len(model.loss_curve_) == 3
    assert set(model.history_) == {
        "loss",
        "reconstruction",
        "prior",
        "auxiliary_kl",
        "sleep",
        "graph",
        "adversarial",
        "classification",
        "kl_weight",
    }
    assert all(len(v) == 3 for v in model.history_.values())
    assert model.likelihood_ == "gaussian"  # digits range over 0..16
    assert model.device_ == torch.device("cpu")
    assert isinstance(model.prior_, GaussianPrior)


def test_fit_transform_equals_fit_then_transform(digits, fitted):
    X, _ = digits
    Z = DDVIEmbedding(**FAST).fit_transform(X)
    np.testing.assert_array_equal(Z, fitted.transform(X))
    np.testing.assert_array_equal(fitted.embedding_, fitted.transform(X))


def test_same_random_state_is_bitwise_reproducible(digits, fitted):
    X, _ = digits
    again = DDVIEmbedding(**FAST).fit(X)
    np.testing.assert_array_equal(again.embedding_, fitted.embedding_)
    np.testing.assert_array_equal(again.history_["loss"], fitted.history_["loss"])


_FIT_HASH = """
import sys
if sys.argv[1] == "torch":
    import torch  # its OpenMP runtime loads before scikit-learn's
import hashlib
from sklearn.datasets import load_digits
from skddvi import DDVIEmbedding
X = load_digits().data
model = DDVIEmbedding(n_epochs=2, hidden_dims=(32,), n_steps=3, random_state=0, n_jobs=1)
Z = model.fit_transform(X)
print(hashlib.sha256(Z.tobytes()).hexdigest())
"""


def test_seeded_fit_does_not_depend_on_the_import_order():
    """Digits' pixels are whole numbers, so many rows lie at equal distances.
    scikit-learn's neighbour search orders them by how its threads split the
    work, which changed when torch's OpenMP runtime was loaded first; the
    graph orders them by index."""
    import subprocess
    import sys

    hashes = {
        order: subprocess.run(
            [sys.executable, "-c", _FIT_HASH, order], capture_output=True, text=True, check=True
        ).stdout
        for order in ("torch", "sklearn")
    }
    assert hashes["torch"] == hashes["sklearn"]


def test_different_random_state_differs(digits, fitted):
    X, _ = digits
    other = DDVIEmbedding(**{**FAST, "random_state": 1}).fit(X)
    assert not np.allclose(other.embedding_, fitted.embedding_)


def test_fit_leaves_global_torch_rng_alone(digits):
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    DDVIEmbedding(**FAST).fit(digits[0][:100])
    np.testing.assert_array_equal(torch.rand(3).numpy(), expected.numpy())


def test_transform_is_deterministic_and_batch_invariant(digits, fitted):
    X, _ = digits
    full = fitted.transform(X)
    np.testing.assert_array_equal(full, fitted.transform(X))
    one_by_one = np.vstack([fitted.transform(X[i : i + 1]) for i in range(20)])
    np.testing.assert_allclose(one_by_one, full[:20], rtol=0, atol=1e-12)
    order = np.random.default_rng(0).permutation(len(X))
    np.testing.assert_allclose(fitted.transform(X[order]), full[order], rtol=0, atol=1e-12)


def test_inference_copy_is_reused_until_the_model_changes(digits):
    X, _ = digits
    model = DDVIEmbedding(**FAST).fit(X)
    copy_, _ = model._inference_module()
    assert model._inference_module()[0] is copy_  # no deep copy per transform
    before = model.transform(X[:5])
    # An in-place edit of a parameter, and a state dict loaded into the model,
    # reach transform: the copy is rebuilt.
    weight = next(model.module_.encoder.parameters())
    with torch.no_grad():
        weight.mul_(2.0)
    edited = model.transform(X[:5])
    assert model._inference_module()[0] is not copy_
    assert not np.allclose(edited, before)
    state = DDVIEmbedding(**FAST).fit(X).module_.state_dict()
    model.module_.load_state_dict(state)
    np.testing.assert_allclose(model.transform(X[:5]), before, rtol=0, atol=1e-12)
    # A buffer made in inference mode has no version to key on: a fresh copy
    # each time, still right.
    with torch.inference_mode():
        model.module_.scale = model.module_.scale.clone()
    np.testing.assert_allclose(model.transform(X[:5]), before, rtol=0, atol=1e-12)
    assert model._inference_module()[0] is not model._inference_module()[0]
    # A refit's new model gets its own copy.
    model.set_params(random_state=1).fit(X)
    assert not np.allclose(model.transform(X[:5]), before)


def test_encoder_shrinks_rows_beyond_its_radius_onto_it(digits):
    X, _ = digits
    X = X.copy()
    X[0] = 1e6  # an outlier: left out of the encoder's scaling, shrunk onto its radius
    model = DDVIEmbedding(**FAST).fit(X).module_
    assert torch.isfinite(model.radius)
    x = torch.as_tensor(X[:3], dtype=torch.float32) - model.offset.float()
    u = (x - model.center) / model.scale
    norms = torch.linalg.vector_norm(u, dim=1, keepdim=True)
    assert norms[0] > model.radius and torch.all(norms[1:] < model.radius)
    with torch.no_grad():
        expected = model.encoder(torch.cat([u[:1] * model.radius / norms[:1], u[1:]]))
        torch.testing.assert_close(model.features(x), expected)


@pytest.mark.parametrize("value", [1e15, 1e20])
def test_one_huge_cell_does_not_shrink_the_others_to_a_point(value):
    """The rows' offset was the plain mean, which a 1e20 fill value drags far
    from the encoder's robust centre; their float32 difference lost the
    centre's digits and every row embedded within 1e-8 of one point."""
    from sklearn.datasets import make_blobs

    X, _ = make_blobs(600, n_features=10, centers=5, random_state=0)
    spread = DDVIEmbedding(**FAST).fit(X).embedding_.std(axis=0)
    X[0, 0] = value
    model = DDVIEmbedding(**FAST).fit(X)
    np.testing.assert_array_equal(model.module_.center.numpy(), 0.0)  # the offset is the centre
    assert np.all(model.embedding_[1:].std(axis=0) > 0.3 * spread)


def test_one_outlying_row_does_not_collapse_the_others():
    """A data-entry error of 1e6 used to set the encoder's scale: the other rows
    embedded within 1e-5 of one point (trust 0.70 on this set; 0.93 now)."""
    from sklearn.datasets import make_blobs
    from sklearn.preprocessing import StandardScaler

    from skddvi.metrics import trustworthiness

    X, _ = make_blobs(300, n_features=10, centers=4, cluster_std=3.0, random_state=0)
    X[0] = 1e6
    Z = DDVIEmbedding(n_epochs=100, random_state=0).fit_transform(StandardScaler().fit_transform(X))
    assert np.all(Z[1:].std(axis=0) > 0.1)
    assert trustworthiness(X[1:], Z[1:], n_neighbors=10) > 0.88


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_preserved(digits, fitted, dtype):
    X, _ = digits
    assert fitted.transform(X.astype(dtype)).dtype == dtype
    model = DDVIEmbedding(**FAST).fit(X.astype(dtype))
    assert model.embedding_.dtype == dtype
    Z = np.zeros((2, 2), dtype=dtype)
    assert fitted.inverse_transform(Z).dtype == dtype


def test_inverse_transform_and_sample(digits, fitted):
    X, _ = digits
    trained = DDVIEmbedding(**{**FAST, "n_epochs": 40}).fit(X)
    X_back = trained.inverse_transform(trained.transform(X))
    assert X_back.shape == X.shape
    # Decoding the embedding explains much of the data's variance.
    assert np.mean((X_back - X) ** 2) < 0.85 * np.mean((X - X.mean(0)) ** 2)
    with pytest.raises(ValueError, match="n_components=2"):
        fitted.inverse_transform(np.zeros((3, 5)))
    draws = fitted.sample(7, random_state=0)
    assert draws.shape == (7, X.shape[1])
    np.testing.assert_array_equal(draws, fitted.sample(7, random_state=0))
    assert not np.array_equal(draws, fitted.sample(7, random_state=1))
    with pytest.raises(ValueError, match="n_samples"):
        fitted.sample(0)


def test_sample_draws_in_blocks(fitted, monkeypatch):
    import skddvi._inference as inference
    from skddvi.model import DDVIModel

    monkeypatch.setitem(inference._INFERENCE_BATCH, "cpu", 4)  # 10 draws: blocks of 4, 4, 2
    sizes = []
    sample = DDVIModel.sample

    def record(self, n, generator):
        sizes.append(n)
        return sample(self, n, generator)

    monkeypatch.setattr(DDVIModel, "sample", record)
    draws = fitted.sample(10, random_state=0)
    assert sizes == [4, 4, 2]
    assert draws.shape == (10, fitted.n_features_in_) and np.isfinite(draws).all()
    np.testing.assert_array_equal(draws, fitted.sample(10, random_state=0))
    assert len(np.unique(draws, axis=0)) == 10  # each block its own draws


def test_score_samples_is_deterministic_per_row(digits, fitted):
    X, _ = digits
    scores = fitted.score_samples(X[:50])
    assert scores.shape == (50,)
    assert np.all(np.isfinite(scores))
    np.testing.assert_allclose(fitted.score_samples(X[:50][::-1]), scores[::-1], atol=1e-9)
    np.testing.assert_allclose(fitted.score_samples(X[:5]), scores[:5], atol=1e-9)
    assert fitted.score(X[:50]) == pytest.approx(scores.mean())


def test_score_rises_with_training(digits):
    # Training on the ELBO alone raises it. (The neighbour graph trades some of
    # it for local structure: this tiny network, trained 160 steps with the
    # mutual edges' row weights, ends below its first epoch.)
    X, _ = digits
    settings = {**FAST, "n_epochs": 1, "graph_weight": 0.0}
    short = DDVIEmbedding(**settings).fit(X).score(X)
    long = DDVIEmbedding(**{**settings, "n_epochs": 40}).fit(X).score(X)
    assert long > short + 5.0


def test_score_is_the_elbo_with_kl_weight_one(digits):
    """score_samples uses the KL terms at full weight, whatever kl_weight trained with."""
    from skddvi._generative import _SCORE_DRAWS, _score_noise

    X, _ = digits
    model = DDVIEmbedding(**{**FAST, "kl_weight": 1e-4}).fit(X)
    module = model.module_.double()
    noise = _score_noise(module.posterior.noise_dim)
    assert noise.shape == (_SCORE_DRAWS, module.posterior.noise_dim)
    x = torch.as_tensor(X[:10]) - module.offset  # the rows the model reads
    with torch.no_grad():
        parts = [module.elbo_parts(x, draw[None]) for draw in noise]
    elbo = np.mean([(lik + prior - ratio).numpy() for lik, prior, ratio in parts], axis=0)
    np.testing.assert_allclose(model.score_samples(X[:10]), elbo, rtol=1e-10)
    kl = np.mean([(ratio - prior).numpy() for _, prior, ratio in parts], axis=0)
    assert np.all(kl > 1.0)  # the KL part is large and enters at weight 1


def test_score_noise_is_standard_normal_and_evenly_spread():
    """Quasi-random draws: the sample moments of 64 points are closer to
    N(0, 1)'s than 64 plain draws' (largest error of 12 means about 0.25)."""
    from skddvi._generative import _score_noise

    noise = _score_noise(12).numpy()
    assert noise.shape == (64, 12) and np.all(np.isfinite(noise))
    np.testing.assert_allclose(noise.mean(axis=0), 0.0, atol=0.04)
    np.testing.assert_allclose(noise.std(axis=0), 1.0, atol=0.1)
    np.testing.assert_array_equal(noise, _score_noise(12).numpy())  # deterministic
    # Past a Sobol sequence's 21,201 dimensions (a diffusion posterior's noise
    # is n_components * (n_steps + 1) wide): plain seeded draws, not a crash.
    wide = _score_noise(30_000)
    assert wide.shape == (64, 30_000) and abs(float(wide.std()) - 1.0) < 0.01
    np.testing.assert_array_equal(wide.numpy(), _score_noise(30_000).numpy())


def test_bernoulli_is_picked_for_unit_interval_data(digits):
    X, _ = digits
    model = DDVIEmbedding(**FAST).fit(X / 16.0)
    assert model.likelihood_ == "bernoulli"
    with pytest.raises(ValueError, match="bernoulli"):
        DDVIEmbedding(**{**FAST, "likelihood": "bernoulli"}).fit(X)


def test_isotropic_likelihood_fits_and_scores(digits):
    X, _ = digits
    model = DDVIEmbedding(**{**FAST, "likelihood": "isotropic"}).fit(X)
    assert model.likelihood_ == "isotropic"
    assert model.module_.likelihood.variance().shape == (1,)
    assert np.isfinite(model.score(X))
    assert model.inverse_transform(model.embedding_[:5]).shape == (5, X.shape[1])


@pytest.mark.parametrize("edge_weights", ["fuzzy", "mutual"])
def test_edge_weights_fit_and_change_the_embedding(digits, edge_weights):
    X, y = digits
    settings = {**FAST, "n_epochs": 30, "learning_rate": 1e-2}  # 450 steps: a faster rate
    uniform = DDVIEmbedding(**{**settings, "edge_weights": "uniform"}).fit(X)
    other = DDVIEmbedding(**{**settings, "edge_weights": edge_weights}).fit(X)
    assert not np.allclose(other.embedding_, uniform.embedding_)
    assert knn_accuracy(other.embedding_, y) > 0.8  # all three about 0.85 after 30 epochs
    assert np.isfinite(other.score(X))


# 450 steps at a faster rate, as for edge_weights above: the graph options below
# are each compared with one fit of the defaults at these settings.
GRAPH_SETTINGS = {**FAST, "n_epochs": 30, "learning_rate": 1e-2}


@pytest.fixture(scope="module")
def graph_default(digits):
    return DDVIEmbedding(**GRAPH_SETTINGS).fit(digits[0])


@pytest.mark.parametrize("metric", ["cosine", "manhattan"])
def test_metric_fits_and_changes_the_embedding(digits, graph_default, metric):
    X, y = digits
    euclidean = graph_default
    other = DDVIEmbedding(**GRAPH_SETTINGS, metric=metric).fit(X)
    assert not np.allclose(other.embedding_, euclidean.embedding_)
    assert knn_accuracy(other.embedding_, y) > 0.8
    assert other.get_params()["metric"] == metric


def test_spread_sets_the_edge_kernel_as_umap_does(digits, graph_default):
    X, _ = digits
    default = graph_default
    wide = DDVIEmbedding(**GRAPH_SETTINGS, spread=2.0, min_dist=0.5).fit(X)
    assert (default.module_.graph.a, default.module_.graph.b) == kernel_params(0.1, 1.0)
    assert (wide.module_.graph.a, wide.module_.graph.b) == kernel_params(0.5, 2.0)
    assert not np.allclose(wide.embedding_, default.embedding_)


def test_min_dist_above_spread_raises_before_fitting(digits):
    model = DDVIEmbedding(**FAST, min_dist=1.5, spread=1.0)
    with pytest.raises(ValueError, match="min_dist must be at most spread"):
        model.fit(digits[0][:50])
    assert not hasattr(model, "n_features_in_")


def test_n_jobs_sets_torch_threads_and_restores_them(digits, monkeypatch):
    X = digits[0][:200]
    previous = torch.get_num_threads()
    calls = []
    set_threads = torch.set_num_threads

    def record(n):
        calls.append(n)
        set_threads(n)

    monkeypatch.setattr(torch, "set_num_threads", record)
    model = DDVIEmbedding(**FAST, n_jobs=1).fit(X)
    # fit sets 1 thread (and so does embedding the training rows inside it)
    assert set(calls[:-1]) == {1} and calls[-1] == previous
    assert torch.get_num_threads() == previous
    calls.clear()
    model.transform(X)
    model.sample(3, random_state=0)
    assert calls == [1, previous] * 2
    again = DDVIEmbedding(**FAST, n_jobs=1).fit(X)
    np.testing.assert_array_equal(again.embedding_, model.embedding_)
    calls.clear()
    DDVIEmbedding(**FAST).fit(X).transform(X)  # None: torch's setting is left alone
    assert calls == []


def test_graph_pca_searches_the_neighbours_among_principal_components(digits, graph_default):
    X, y = digits
    plain = graph_default
    on_pcs = DDVIEmbedding(**GRAPH_SETTINGS, graph_pca=10).fit(X)
    assert (on_pcs.graph_pca_, plain.graph_pca_) == (10, None)  # "auto": 64 features
    assert not np.allclose(on_pcs.embedding_, plain.embedding_)
    assert knn_accuracy(on_pcs.embedding_, y) > 0.8
    sparse = DDVIEmbedding(**FAST, graph_pca=10).fit(sp.csr_matrix(X[:300]))
    assert np.isfinite(sparse.embedding_).all()


def test_graph_pca_auto_searches_wide_data_among_50_components(digits):
    X = digits[0][:300]
    wide = np.hstack([X, np.random.default_rng(0).normal(size=(300, 60))])  # 124 features
    assert DDVIEmbedding(**FAST).fit(wide).graph_pca_ == 50
    assert DDVIEmbedding(**FAST, graph_pca=None).fit(wide).graph_pca_ is None
    assert DDVIEmbedding(**FAST, metric="manhattan").fit(wide).graph_pca_ is None
    assert DDVIEmbedding(**FAST, graph_weight=0).fit(wide).graph_pca_ is None


def test_sparse_input_with_a_dense_only_metric_raises_before_fitting(digits):
    model = DDVIEmbedding(**FAST, metric="correlation")
    with pytest.raises(ValueError, match="metric='correlation' needs dense X"):
        model.fit(sp.csr_matrix(digits[0][:100]))
    assert not hasattr(model, "embedding_") and not hasattr(model, "n_features_in_")
    sparse_cosine = DDVIEmbedding(**FAST, metric="cosine").fit(sp.csr_matrix(digits[0][:100]))
    assert np.isfinite(sparse_cosine.embedding_).all()


def test_sparse_input_matches_dense_without_graph(digits):
    X, _ = digits
    settings = {**FAST, "graph_weight": 0.0}
    dense = DDVIEmbedding(**settings).fit(X)
    sparse = DDVIEmbedding(**settings).fit(sp.csr_matrix(X))
    # Dense rows are centred before their float32 copy, sparse rows in the
    # model: the same arithmetic but for float32 rounding.
    np.testing.assert_allclose(sparse.embedding_, dense.embedding_, atol=1e-6)
    np.testing.assert_allclose(dense.transform(sp.csc_matrix(X)), dense.embedding_, atol=1e-12)
    np.testing.assert_allclose(
        dense.score_samples(sp.csr_matrix(X[:5])), dense.score_samples(X[:5])
    )


def test_pickle_and_joblib_round_trips(digits, fitted, tmp_path):
    X, _ = digits
    expected = fitted.transform(X)
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.transform(X), expected)
    path = tmp_path / "model.joblib"
    joblib.dump(fitted, path)
    np.testing.assert_array_equal(joblib.load(path).transform(X), expected)


def test_pickle_does_not_contain_training_data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 20)) + 1e3 * np.arange(20)  # distinctive values
    model = DDVIEmbedding(**FAST).fit(X)
    blob = pickle.dumps(model)
    assert X[7].astype(np.float32).tobytes() not in blob
    assert X[7].tobytes() not in blob
    assert len(blob) < X.nbytes + 400_000  # weights only, no copy of X


def test_model_fitted_on_cuda_transforms_on_cpu_only_machine(digits, fitted):
    """A pickle holds CPU tensors; a device that is absent falls back to the CPU."""
    X, _ = digits
    buffer = io.BytesIO()
    pickle.dump(fitted, buffer)
    restored = pickle.loads(buffer.getvalue())
    restored.device_ = torch.device("cuda", 7)  # as if fitted on a GPU we do not have
    np.testing.assert_array_equal(restored.transform(X), fitted.transform(X))
    assert all(t.device.type == "cpu" for t in restored.module_.state_dict().values())


def test_pandas_output_and_feature_names(digits):
    pd = pytest.importorskip("pandas")
    X, _ = digits
    frame = pd.DataFrame(X[:200], columns=[f"pixel{i}" for i in range(X.shape[1])])
    model = DDVIEmbedding(**FAST).set_output(transform="pandas").fit(frame)
    out = model.transform(frame)
    assert list(out.columns) == ["ddviembedding0", "ddviembedding1"]
    assert list(model.feature_names_in_) == list(frame.columns)
    np.testing.assert_array_equal(model.get_feature_names_out(), out.columns)


def test_unfitted_raises(digits):
    X, _ = digits
    model = DDVIEmbedding()
    for method in (model.transform, model.score_samples, model.inverse_transform):
        with pytest.raises(NotFittedError):
            method(X[:2])
    with pytest.raises(NotFittedError):
        model.sample(2)
    with pytest.raises(NotFittedError):
        model.get_feature_names_out()


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (np.full((5, 64), np.nan), "NaN"),
        (np.full((5, 64), np.inf), "infinity"),
        (np.zeros((0, 64)), "0 sample"),
        (np.zeros(64), "Expected 2D array"),
        (np.zeros((5, 64), dtype=complex), "Complex data not supported"),
        (np.full((5, 64), "a", dtype=object), "could not convert"),
    ],
)
def test_bad_input_raises_clear_value_error(fitted, bad, message):
    with pytest.raises(ValueError, match=message):
        DDVIEmbedding(**FAST).fit(bad)
    with pytest.raises(ValueError, match=message):
        fitted.transform(bad)


def test_wrong_number_of_features_at_transform(fitted):
    with pytest.raises(ValueError, match="X has 10 features, but DDVIEmbedding is expecting 64"):
        fitted.transform(np.zeros((3, 10)))


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"n_components": 0}, "n_components"),
        ({"prior": "banana"}, "prior"),
        ({"posterior": "banana"}, "posterior"),
        ({"kl_weight": -1.0}, "kl_weight"),
        ({"sleep_weight": -1.0}, "sleep_weight"),
        ({"graph_weight": -1.0}, "graph_weight"),
        ({"edge_weights": "banana"}, "edge_weights"),
        ({"metric": "minkowsky"}, "metric"),
        ({"spread": 0.0}, "spread"),
        ({"n_jobs": 0}, "n_jobs"),
        ({"graph_pca": 0}, "graph_pca"),
        ({"graph_pca": "banana"}, "graph_pca"),
        ({"graph_pca": 10, "metric": "jaccard"}, "graph_pca=10 .* metric='jaccard'"),
        ({"learning_rate": 0.0}, "learning_rate"),
        ({"sleep": "banana"}, "sleep"),
        ({"n_epochs": 0}, "n_epochs"),
        ({"hidden_dims": (16, 0)}, "hidden_dims"),
        ({"hidden_dims": ()}, "hidden_dims"),
        ({"hidden_dims": 0}, "hidden_dims"),
        ({"device": "banana"}, "device"),
        ({"prior": "pinwheel", "n_components": 3}, "pinwheel.*n_components=3"),
        ({"prior": "square", "n_components": 1}, "square.*n_components=1"),
        ({"prior": GaussianPrior(3)}, "n_components=2"),
    ],
)
def test_invalid_parameters_raise_at_fit(digits, params, message):
    model = DDVIEmbedding(**{**FAST, **params})
    with pytest.raises(ValueError, match=message):
        model.fit(digits[0][:50])
    assert not hasattr(model, "embedding_")


def test_an_int_hidden_dims_is_one_hidden_layer(digits):
    """As MLPClassifier's hidden_layer_sizes=100."""
    model = DDVIEmbedding(**{**FAST, "hidden_dims": 16}).fit(digits[0][:50])
    widths = [m.out_features for m in model.module_.modules() if isinstance(m, torch.nn.Linear)]
    assert 16 in widths and 32 not in widths
    assert model.get_params()["hidden_dims"] == 16


def test_unavailable_cuda_is_a_value_error(digits):
    if torch.cuda.is_available():
        pytest.skip("CUDA is available here")
    with pytest.raises(ValueError, match="device='cuda'"):
        DDVIEmbedding(**{**FAST, "device": "cuda"}).fit(digits[0][:50])


def test_diverging_fit_raises_and_leaves_estimator_unfitted(digits):
    X, _ = digits
    model = DDVIEmbedding(**FAST).fit(X)
    model.set_params(learning_rate=1e8)
    with pytest.raises(FloatingPointError, match="smaller learning_rate") as error:
        model.fit(X * 1e8)
    assert isinstance(error.value, ValueError)
    with pytest.raises(NotFittedError):
        model.transform(X)
    assert not [k for k in vars(model) if k.endswith("_") and not k.startswith("__")]


@pytest.mark.parametrize(
    ("learning_rate", "n_epochs", "dtype", "message"),
    [
        (1e20, 1, np.float32, "embeds training rows at NaN or infinity"),  # finite weights
        (10.0, 2, np.float64, "parameters became NaN or infinite in the last"),
    ],
)
def test_a_divergence_in_the_last_step_raises(learning_rate, n_epochs, dtype, message):
    """The loss is checked before each step: the last step's divergence left a
    fitted model with an infinite embedding, or a NaN score and samples."""
    X = np.random.default_rng(0).normal(size=(60, 6)).astype(dtype)
    params = {"hidden_dims": (16,), "n_neighbors": 5, "n_jobs": 1, "random_state": 0}
    model = DDVIEmbedding(learning_rate=learning_rate, n_epochs=n_epochs, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", RuntimeWarning)  # numpy's, casting to float32
        with pytest.raises(FloatingPointError, match=message) as error:
            model.fit(X)
    assert isinstance(error.value, ValueError)
    assert not [k for k in vars(model) if k.endswith("_") and not k.startswith("__")]


def test_a_learning_rate_past_float32_is_refused(digits):
    """Adam's first step is 10x the rate: past float32's range torch raised a
    RuntimeError from inside the optimiser."""
    with pytest.raises(ValueError, match="learning_rate"):
        DDVIEmbedding(**{**FAST, "learning_rate": 1e37}).fit(digits[0][:50])


def test_failed_refit_does_not_leave_a_half_fitted_estimator(digits):
    X, _ = digits
    model = DDVIEmbedding(**FAST).fit(X)
    with pytest.raises(ValueError):
        model.fit(np.full_like(X, np.nan))
    with pytest.raises(NotFittedError):
        model.transform(X)


def test_fit_does_not_mutate_parameters_or_prior_object(digits):
    prior = GaussianPrior(2)
    model = DDVIEmbedding(**{**FAST, "prior": prior, "hidden_dims": [16, 8]})
    before = clone(model).get_params()
    model.fit(digits[0])
    after = model.get_params()
    assert after["prior"] is prior
    assert model.prior_ is not prior
    assert after["hidden_dims"] == [16, 8]
    assert {k: v for k, v in after.items() if k != "prior"} == {
        k: v for k, v in before.items() if k != "prior"
    }


@pytest.mark.parametrize("prior", ["gaussian", "mixture", "pinwheel", "swiss_roll", "square"])
@pytest.mark.parametrize("posterior", ["diffusion", "gaussian", "iaf", "adversarial"])
def test_every_prior_and_posterior_fits(digits, prior, posterior):
    X, _ = digits
    model = DDVIEmbedding(**{**FAST, "prior": prior, "posterior": posterior}).fit(X)
    assert np.all(np.isfinite(model.embedding_))
    assert np.isfinite(model.score(X[:20]))


@pytest.mark.parametrize("sleep", ["full", "latent", "none"])
def test_every_sleep_variant_fits(digits, sleep):
    X, _ = digits
    model = DDVIEmbedding(**{**FAST, "sleep": sleep, "sleep_weight": 1.0}).fit(X)
    assert (model.history_["sleep"] != 0).all() == (sleep != "none")


@pytest.mark.parametrize("prior", ["gaussian", "mixture"])
def test_more_than_two_components(digits, prior):
    X, _ = digits
    model = DDVIEmbedding(**{**FAST, "n_components": 5, "prior": prior, "n_clusters": 4})
    assert model.fit_transform(X).shape == (len(X), 5)
    assert model.get_feature_names_out().tolist() == [f"ddviembedding{i}" for i in range(5)]


def test_plain_model_has_no_graph_term(digits):
    model = DDVIEmbedding(**{**FAST, "graph_weight": 0.0}).fit(digits[0])
    assert np.all(model.history_["graph"] == 0)
    with_graph = DDVIEmbedding(**FAST).fit(digits[0])
    assert np.all(with_graph.history_["graph"] > 0)


def test_n_epochs_none_is_chosen_from_data_size(digits):
    X, _ = digits
    small = DDVIEmbedding(**{**FAST, "n_epochs": None, "batch_size": 1024}).fit(X[:60])
    assert small.n_iter_ == 600  # one batch an epoch: the 600-step floor
    assert len(small.loss_curve_) == 600


def test_verbose(digits, capsys):
    X, _ = digits
    DDVIEmbedding(**FAST).fit(X)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    DDVIEmbedding(**{**FAST, "verbose": True}).fit(X)
    assert "loss" in capsys.readouterr().err


def test_transform_memory_is_bounded_by_batches(fitted):
    """Transforming many rows allocates per block, not per whole input."""
    import tracemalloc

    X = np.random.default_rng(0).normal(size=(60_000, 64)).astype(np.float32)
    tracemalloc.start()
    fitted.transform(X)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # Output (60000 x 2 float32 = 0.5 MB) plus one densified block; a copy of
    # the input in float64 would take 31 MB.
    assert peak < 8e6


def test_sleep_is_ignored_by_posteriors_without_a_sleep_term(digits):
    """Only the diffusion posterior has a sleep term; the others fit alike with any ``sleep``."""
    X, _ = digits
    settings = {**FAST, "posterior": "gaussian", "sleep_weight": 1.0}
    plain = DDVIEmbedding(**{**settings, "sleep": "none"}).fit_transform(X)
    full = DDVIEmbedding(**{**settings, "sleep": "full"}).fit_transform(X)
    np.testing.assert_array_equal(plain, full)


def test_fitted_methods_read_the_fitted_dimension_not_the_parameter(digits, fitted):
    X, _ = digits
    model = clone(fitted).set_params(n_components=2).fit(X).set_params(n_components=3)
    assert model.transform(X[:5]).shape == (5, 2)
    assert model.inverse_transform(model.embedding_[:5]).shape == (5, X.shape[1])
    assert model.get_feature_names_out().tolist() == ["ddviembedding0", "ddviembedding1"]
    with pytest.raises(ValueError, match=r"expects n_components=2 \(as fitted\)"):
        model.inverse_transform(np.zeros((2, 3)))


def test_data_far_from_zero_train_on_the_rows_transform_embeds(digits):
    """Rows are centred in float64 before their float32 copy: with an offset of
    1e7 float32 alone would round digits' pixels (0 to 16) to whole numbers or
    worse, and training would see other rows than ``transform``."""
    X = digits[0][:200] + np.linspace(0.0, 1.0, 64) / 7 + 1e7
    model = DDVIEmbedding(**FAST).fit(X)
    np.testing.assert_allclose(model.module_.offset.numpy(), X.mean(axis=0), rtol=1e-15)
    rows = torch.as_tensor(X - X.mean(axis=0), dtype=torch.float32)
    with torch.no_grad():
        trained_on = model.module_.embed(rows).numpy()
    np.testing.assert_allclose(trained_on, model.embedding_, atol=1e-4)
    assert np.isfinite(model.score(X))
    sample = model.sample(50, random_state=0)
    assert np.abs(sample.mean(axis=0) - X.mean(axis=0)).max() < 10  # in the data's units


@pytest.mark.parametrize("sparse_input", [False, True])
def test_bernoulli_and_sparse_fits_take_no_offset(digits, sparse_input):
    X = digits[0][:100] / 16
    X = sp.csr_matrix(X) if sparse_input else X
    model = DDVIEmbedding(**{**FAST, "likelihood": "gaussian" if sparse_input else "auto"}).fit(X)
    assert model.likelihood_ == ("gaussian" if sparse_input else "bernoulli")
    assert not model.module_.offset.any()


@pytest.mark.parametrize("factor", [1e-50, 1e39])
def test_scales_beyond_float32_are_refused_with_a_clear_error(digits, factor):
    model = DDVIEmbedding(**FAST)
    with pytest.raises(ValueError, match="outside the float32 range"):
        model.fit(digits[0][:50] * factor)
    assert not hasattr(model, "embedding_")


def test_prior_objects_must_be_instances_with_a_dimension(digits):
    class NoDimension:
        def log_prob(self, z):
            return -0.5 * (z**2).sum(-1)

        def sample(self, n, generator=None):
            return torch.randn(n, 2, generator=generator)

    X = digits[0][:50]
    with pytest.raises(TypeError, match="class GaussianPrior; pass an instance"):
        DDVIEmbedding(**{**FAST, "prior": GaussianPrior}).fit(X)
    with pytest.raises(TypeError, match="needs an int attribute n_components"):
        DDVIEmbedding(**{**FAST, "prior": NoDimension()}).fit(X)
    flagged = NoDimension()
    flagged.n_components = True  # == 1 to Python, but not a dimension
    with pytest.raises(TypeError, match="needs an int attribute n_components"):
        DDVIEmbedding(**{**FAST, "prior": flagged, "n_components": 1}).fit(X)


class _GroupsWithoutCount:
    """A custom prior with two groups, unit Gaussians at (-3, 0) and (3, 0),
    that does not say how many groups it has (no n_groups)."""

    n_components = 2
    _means = torch.tensor([[-3.0, 0.0], [3.0, 0.0]])

    def group_log_prob(self, z):
        sq = ((z[:, None, :] - self._means.to(z)) ** 2).sum(-1)
        return -0.5 * sq - math.log(2 * math.pi) - math.log(2.0)

    def log_prob(self, z):
        return torch.logsumexp(self.group_log_prob(z), dim=-1)

    def sample(self, n, generator=None):
        side = torch.randint(2, (n,), generator=generator)
        return self._means[side] + torch.randn(n, 2, generator=generator)


class _TwoGroups(_GroupsWithoutCount):
    n_groups = 2


class _CountWithoutGroups:
    n_components, n_groups = 2, 2

    def log_prob(self, z):
        return -0.5 * (z**2).sum(-1)

    def sample(self, n, generator=None):
        return torch.randn(n, 2, generator=generator)


def test_a_custom_prior_needs_group_log_prob_and_n_groups_to_predict(digits):
    X, y = digits[0][:60], digits[1][:60] % 2
    grouped = DDVIEmbedding(**{**FAST, "prior": _TwoGroups()}).fit(X)
    assert grouped.predict_proba(X).shape == (60, 2)
    # Without n_groups there is no predict (it crashed reading n_groups).
    model = DDVIEmbedding(**{**FAST, "prior": _GroupsWithoutCount()}).fit(X)
    assert not hasattr(model, "predict")
    # A fit with labels refuses, before training, a prior without group_log_prob.
    with pytest.raises(ValueError, match=r"group_log_prob and n_groups=2.*no group_log_prob"):
        DDVIEmbedding(**{**FAST, "prior": _CountWithoutGroups()}).fit(X, y)


def test_a_custom_prior_whose_sample_takes_no_generator_keyword_fails_before_training(
    digits, monkeypatch
):
    class Positional(_TwoGroups):
        def sample(self, n, gen=None):
            return super().sample(n, generator=gen)

    monkeypatch.setattr(estimator_module, "train", lambda *a, **k: pytest.fail("training started"))
    with pytest.raises(TypeError, match=r"sample\(n, generator=None\)"):
        DDVIEmbedding(**{**FAST, "prior": Positional()}).fit(digits[0][:60])


def test_labels_of_mixed_types_are_a_type_error(digits):
    y = np.array(["a", 1] * 25, dtype=object)
    with pytest.raises(TypeError, match="labels of one type"):
        DDVIEmbedding(**FAST).fit(digits[0][:50], y)


def test_column_vector_labels_warn_as_in_scikit_learn(digits):
    """A (n, 1) y is read as its column, with scikit-learn's DataConversionWarning
    pointing at the caller's line."""
    from sklearn.exceptions import DataConversionWarning

    X, y = digits[0][:60], digits[1][:60]
    with pytest.warns(DataConversionWarning, match="column-vector y") as record:
        model = DDVIEmbedding(**FAST).fit(X, y[:, None])
    assert record[0].filename == __file__
    np.testing.assert_array_equal(model.classes_, np.unique(y))


def test_fit_warnings_point_at_the_users_line_through_every_entry_point(digits):
    """fit_transform, fit_predict, set_output's wrapper and a Pipeline all lie
    between the user and the check; the warning skips them all."""
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = digits[0][:12], np.linspace(0.0, 1.0, 12)  # a continuous y warns
    calls = {
        "fit": lambda: DDVIEmbedding(**FAST).fit(X, y),
        "fit_transform": lambda: DDVIEmbedding(**FAST).fit_transform(X, y),
        "set_output": lambda: (
            DDVIEmbedding(**FAST).set_output(transform="default").fit_transform(X, y)
        ),
        "fit_predict": lambda: DDVIEmbedding(**FAST, prior="mixture", n_clusters=2).fit_predict(
            X, y
        ),
        "pipeline": lambda: make_pipeline(StandardScaler(), DDVIEmbedding(**FAST)).fit(X, y),
        # A step that is not the last one is fitted through joblib's Memory.
        "pipeline step": lambda: make_pipeline(DDVIEmbedding(**FAST), StandardScaler()).fit(X, y),
    }
    for name, call in calls.items():
        with pytest.warns(UserWarning) as record:
            call()
        lines = {(w.filename, str(w.message)[:20]) for w in record}
        assert {filename for filename, _ in lines} == {__file__}, (name, lines)


def test_pandas_nullable_integer_labels_are_class_labels(digits):
    """pandas' Int64 and boolean columns reach numpy as floats: 30 classes
    were read as a continuous target and ignored, with a warning."""
    pd = pytest.importorskip("pandas")
    X = digits[0][:300]
    labels = np.arange(300) % 30
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = DDVIEmbedding(**{**FAST, "n_epochs": 1}).fit(X, pd.Series(labels, dtype="Int64"))
        np.testing.assert_array_equal(model.classes_, np.arange(30))
        assert model.classes_.dtype.kind == "i" and model.predict(X[:5]).dtype.kind == "i"
        model.fit(X, pd.Series(labels % 2 == 0, dtype="boolean"))
        np.testing.assert_array_equal(model.classes_, [False, True])


def test_rows_too_large_to_square_embed_as_rows_beyond_the_radius(digits):
    """A row of 1e160 (its squared norm overflows float64) embedded at the
    training centre; it is shrunk onto the encoder's radius as 1e150 is."""
    X, _ = digits
    model = DDVIEmbedding(**FAST).fit(X)
    rows = np.full((3, X.shape[1]), [[1e150], [1e160], [1e300]])
    embedded = model.transform(rows)
    np.testing.assert_allclose(embedded[1:], embedded[[0, 0]], rtol=1e-9)
    assert not np.allclose(embedded[0], model.transform(X.mean(axis=0, keepdims=True))[0])


@pytest.mark.parametrize("to_sparse", [False, True])
def test_values_that_overflow_are_one_clear_error(digits, to_sparse):
    X = digits[0][:100] * 1e200
    X = sp.csr_matrix(X) if to_sparse else X
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy overflow warning before the error
        with pytest.raises(ValueError, match=r"scale of inf.*rescale X"):
            DDVIEmbedding(**FAST).fit(X)


def test_a_fit_that_diverges_without_reaching_inf_warns():
    """UMAP's learning rate of 1.0 sends iris's embedding to about 1e13, with a
    finite loss."""
    from sklearn.datasets import load_iris
    from sklearn.exceptions import ConvergenceWarning

    X = load_iris().data
    with pytest.warns(ConvergenceWarning, match=r"diverged.*learning_rate \(it was 1\)") as caught:
        DDVIEmbedding(learning_rate=1.0, n_epochs=20, random_state=0).fit(X)
    assert caught[0].filename == __file__
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        DDVIEmbedding(n_epochs=20, random_state=0).fit(X)


def test_the_integer_parameters_are_those_constrained_to_ints():
    from skddvi._parameters import INTEGER_PARAMETERS

    assert set(INTEGER_PARAMETERS) == {
        "n_components",
        "n_clusters",
        "n_steps",
        "hidden_dims",
        "n_neighbors",
        "graph_pca",
        "n_epochs",
        "batch_size",
        "n_jobs",
    }


@pytest.mark.parametrize(
    "name", ["n_components", "hidden_dims", "n_neighbors", "n_epochs", "batch_size", "n_jobs"]
)
def test_true_for_an_integer_parameter_is_a_type_error(digits, name):
    with pytest.raises(TypeError, match=f"{name} must be an int, got True"):
        DDVIEmbedding(**{**FAST, name: True}).fit(digits[0][:50])


def test_missing_labels_are_a_value_error(digits):
    pd = pytest.importorskip("pandas")
    X = digits[0][:50]
    for y in (
        np.array(["a", None] * 25, dtype=object),
        pd.Series(["a", None] * 25, dtype="string"),  # pandas' NA
        pd.Series(pd.Categorical(["a", "b", np.nan] * 16 + ["a", "b"])),
        np.where(np.arange(50) % 2, np.nan, 1.0),
    ):
        with pytest.raises(ValueError, match="missing labels"):
            DDVIEmbedding(**FAST).fit(X, y)


def test_sparse_cells_stored_twice_count_once(digits):
    """scipy lets a CSR matrix store a cell twice (toarray adds them up): the
    neighbour graph and the likelihood must see the summed cells."""
    X = sp.csr_matrix(digits[0][:150] / 32.0)  # values in [0, 0.5]
    cells = sp.coo_matrix(X)
    rows, cols = np.r_[cells.row, cells.row], np.r_[cells.col, cells.col]
    order = np.lexsort((cols, rows))
    indptr = np.searchsorted(rows[order], np.arange(X.shape[0] + 1))
    data = np.r_[cells.data, cells.data][order]
    doubled = sp.csr_matrix((data, cols[order], indptr), shape=X.shape)  # raw: no summing
    assert not doubled.has_canonical_format
    np.testing.assert_array_equal(doubled.toarray(), 2 * X.toarray())
    expected = DDVIEmbedding(**FAST).fit(2 * X)
    model = DDVIEmbedding(**FAST).fit(doubled)
    np.testing.assert_array_equal(model.embedding_, expected.embedding_)
    assert model.likelihood_ == expected.likelihood_ == "bernoulli"
    # Stored values of at most 0.9 whose cells add up beyond 1: not Bernoulli.
    assert DDVIEmbedding(**FAST).fit(doubled * 1.8).likelihood_ == "gaussian"


@pytest.mark.parametrize("shift", [0.0, -5e-7])
def test_auto_likelihood_reads_small_values_as_gaussian(digits, shift):
    """Data that merely lie within rounding of [0, 1] (tiny units, centred or
    not) are not Bernoulli: it would decode and sample them as 0/1 values."""
    X = digits[0][:100] / 16 * 1e-6 + shift
    model = DDVIEmbedding(**FAST).fit(X)
    assert model.likelihood_ == "gaussian"
    assert np.abs(model.inverse_transform(model.embedding_[:5])).max() < 1e-5


def test_unit_interval_allows_rounding_and_scores_clip_values_outside(digits):
    from sklearn.preprocessing import MinMaxScaler

    X = MinMaxScaler().fit_transform(digits[0][:150]) * (1 + 1e-15)
    assert X.max() > 1.0
    model = DDVIEmbedding(**FAST).fit(X)
    assert model.likelihood_ == "bernoulli"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isfinite(model.score_samples(X)).all()  # rounding: no warning
    # Outside [0, 1] the Bernoulli likelihood has no density: binary
    # cross-entropy, linear in x, would score a row of -5s above real rows.
    with pytest.warns(UserWarning, match=r"outside \[0, 1\].*MinMaxScaler\(clip=True\)"):
        shifted = model.score_samples(X - 0.5)
    np.testing.assert_array_equal(shifted, model.score_samples(np.clip(X - 0.5, 0, 1)))
    with pytest.warns(UserWarning, match=r"from 0 to 2\).*clipped"):  # implicit zeros count
        doubled = model.score(sp.csr_matrix(X * 2))
    assert doubled == model.score(np.clip(X * 2, 0, 1))


def test_parameters_are_keyword_only():
    """UMAP(30) sets n_neighbors; DDVIEmbedding refuses a positional argument
    rather than read it as something else."""
    with pytest.raises(TypeError):
        DDVIEmbedding(30)


@pytest.mark.parametrize("metric", ["l2", "l1", "sqeuclidean", "hellinger"])
def test_umap_metric_names_fit(digits, metric):
    model = DDVIEmbedding(**{**FAST, "metric": metric}).fit(sp.csr_matrix(digits[0][:100]))
    assert np.isfinite(model.embedding_).all()


def test_hellinger_refuses_principal_components_and_negative_values(digits):
    X = digits[0][:60]
    with pytest.raises(ValueError, match=r"graph_pca=10 .* metric='hellinger'"):
        DDVIEmbedding(**FAST, metric="hellinger", graph_pca=10).fit(X)
    model = DDVIEmbedding(**FAST, metric="hellinger")
    with pytest.raises(ValueError, match="needs non-negative X"):
        model.fit(X - 8.0)
    assert not hasattr(model, "embedding_")


def test_more_neighbours_than_rows_warns_as_umap_does(digits):
    """UMAP warns and truncates n_neighbors to the rows there are; so does the
    graph here, and the warning points at the caller's fit."""
    X = digits[0][:12]
    with pytest.warns(UserWarning, match=r"n_neighbors=15 .* \(12\); .* 11 other rows") as record:
        DDVIEmbedding(**FAST).fit(X)
    assert record[0].filename == __file__
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        DDVIEmbedding(**FAST, n_neighbors=11).fit(X)
        DDVIEmbedding(**FAST, graph_weight=0).fit(X)  # no graph, nothing truncated


def test_inference_batches_of_wide_sparse_data_stay_small(monkeypatch):
    """A sparse batch is densified for the networks: a 4,096-row batch of a
    20,000-gene matrix would be 655 MB of float64, so wide data gets fewer rows."""
    import scipy.sparse as sp

    import skddvi._inference

    X = sp.random(600, 20_000, density=0.001, format="csr", random_state=0) * 10
    model = DDVIEmbedding(**{**FAST, "n_epochs": 1}).fit(X)
    sizes = []
    batches = skddvi._inference.host_batches

    def recording(X, batch_size):
        for start, block in batches(X, batch_size):
            sizes.append(block.shape)
            yield start, block

    monkeypatch.setattr(skddvi._inference, "host_batches", recording)
    Z = model.transform(X)
    assert max(rows * columns for rows, columns in sizes) <= 2**22
    assert sum(rows for rows, _ in sizes) == 600
    np.testing.assert_allclose(Z, model.embedding_, rtol=0, atol=1e-12)


@pytest.mark.parametrize("n_features", [64, 256, 1024])
def test_the_encoders_wide_first_layer_steps_at_a_smaller_rate(n_features):
    from skddvi._build import build_model
    from skddvi._training import _adam, _parameter_groups, _set_learning_rate

    model = build_model(
        n_features=n_features,
        prior=GaussianPrior(2),
        posterior="diffusion",
        n_steps=3,
        hidden_dims=(32,),
        likelihood="gaussian",
        sleep="none",
        mean=np.zeros(n_features),
        variance=np.ones(n_features),
        seed=0,
    )
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = _adam(_parameter_groups(model, params), 0.01, torch.device("cpu"), False)
    _set_learning_rate(optimizer, 0.005)
    rates = {id(p): group["lr"] for group in optimizer.param_groups for p in group["params"]}
    assert len(rates) == len(params)  # every parameter once
    first = model.encoder[0][0].weight
    assert rates.pop(id(first)) == pytest.approx(0.005 * min(1.0, 256 / n_features))
    assert set(rates.values()) == {0.005}


def test_training_gives_the_wide_first_layer_its_rate(monkeypatch):
    import skddvi._training as training

    seen = []
    adam = training._adam

    def record(groups, lr, device, graphed):
        seen.append(groups)
        return adam(groups, lr, device, graphed)

    monkeypatch.setattr(training, "_adam", record)
    X = np.random.default_rng(0).normal(size=(40, 1024))
    model = DDVIEmbedding(**FAST).fit(X)
    (groups,) = seen
    first = model.module_.encoder[0][0].weight
    assert [g["lr_scale"] for g in groups] == [1.0, 0.25]
    assert groups[1]["params"] == [first]
