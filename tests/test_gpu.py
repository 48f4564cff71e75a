"""Training and inference on CUDA (skipped where there is no GPU)."""

import os
import pickle
import subprocess
import sys
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from sklearn.datasets import load_digits

from skddvi import DDVIEmbedding
from skddvi._data import DeviceRows

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"),
]

FAST = dict(n_epochs=20, random_state=0, device="cuda")


@pytest.fixture(scope="module")
def digits():
    return load_digits(return_X_y=True)


@pytest.fixture(scope="module")
def fitted(digits):
    return DDVIEmbedding(**FAST).fit(digits[0])


def test_auto_picks_cuda_and_data_stays_on_the_device(digits):
    model = DDVIEmbedding(n_epochs=2, random_state=0).fit(digits[0][:300])
    assert model.device_.type == "cuda"
    n = len(digits[0])
    ring = sp.csr_matrix((np.ones(n), (np.arange(n), (np.arange(n) + 1) % n)), shape=(n, n))
    rows = DeviceRows(digits[0], torch.device("cuda"), ring)
    index = torch.arange(10, device="cuda")
    assert rows.rows(index).is_cuda
    drawn = rows.neighbor_rows(index, None)
    assert drawn.is_cuda
    torch.testing.assert_close(drawn, rows.rows(index + 1))


def test_neighbor_graph_on_cuda_matches_sklearn(digits):
    from sklearn.neighbors import NearestNeighbors

    from skddvi.neighbors import neighbor_graph

    X = digits[0]
    found = neighbor_graph(X, 10, device=torch.device("cuda"))
    expected_distances, expected = NearestNeighbors(n_neighbors=11).fit(X).kneighbors(X)
    # Exact up to float32 rounding: ties and near-ties may swap.
    assert np.mean(found == expected[:, 1:]) > 0.97
    with_distances, distances = neighbor_graph(
        X, 10, device=torch.device("cuda"), return_distance=True
    )
    np.testing.assert_array_equal(with_distances, found)
    np.testing.assert_allclose(distances, expected_distances[:, 1:], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("metric", ["cosine", "correlation", "manhattan"])
def test_neighbor_graph_with_a_metric_on_cuda_matches_the_cpu(digits, metric):
    """Cosine and correlation search on the device; the other metrics on the CPU."""
    from skddvi.neighbors import neighbor_graph

    X = digits[0]
    found, distances = neighbor_graph(
        X, 10, device=torch.device("cuda"), return_distance=True, metric=metric
    )
    expected, expected_distances = neighbor_graph(X, 10, return_distance=True, metric=metric)
    assert np.mean(found == expected) > 0.97
    np.testing.assert_allclose(distances, expected_distances, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("edge_weights", ["uniform", "fuzzy", "mutual"])
def test_training_replays_a_cuda_graph(digits, edge_weights):
    """Both edge samplers (randint over a table, searchsorted over a weighted
    graph) are captured with the step."""
    from skddvi._training import cuda_graphs_apply

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a failed capture warns
        model = DDVIEmbedding(**FAST, edge_weights=edge_weights).fit(digits[0])
    rows = DeviceRows(digits[0], torch.device("cuda"))
    assert cuda_graphs_apply(model.module_, rows)
    assert len(model.loss_curve_) == FAST["n_epochs"]
    assert model.loss_curve_[-1] < model.loss_curve_[0]


def test_cuda_fit_embeds_and_scores(digits, fitted):
    X, _ = digits
    assert np.all(np.isfinite(fitted.embedding_))
    assert np.isfinite(fitted.score(X))
    # The stored model lives on the CPU; transform copies it to the GPU in float64.
    assert all(t.device.type == "cpu" for t in fitted.module_.state_dict().values())
    np.testing.assert_allclose(fitted.transform(X), fitted.embedding_, atol=1e-10)


def test_gpu_and_cpu_inference_agree(digits, fitted):
    X, _ = digits
    on_cpu = pickle.loads(pickle.dumps(fitted))
    on_cpu.device_ = torch.device("cpu")
    np.testing.assert_allclose(on_cpu.transform(X), fitted.transform(X), atol=1e-8)


def test_same_seed_agrees_on_cuda_to_documented_tolerance(digits, fitted):
    again = DDVIEmbedding(**FAST).fit(digits[0])
    spread = np.ptp(fitted.embedding_, axis=0).max()
    assert np.abs(again.embedding_ - fitted.embedding_).max() <= 1e-3 * max(spread, 1.0)


def test_cuda_pickle_loads_and_transforms_on_a_cpu_only_process(digits, fitted, tmp_path):
    X, _ = digits
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(fitted))
    np.save(tmp_path / "X.npy", X[:100])
    code = (
        "import pickle, numpy as np, torch; assert not torch.cuda.is_available();"
        f"m = pickle.loads(open({str(path)!r}, 'rb').read());"
        f"np.save({str(tmp_path / 'Z.npy')!r}, m.transform(np.load({str(tmp_path / 'X.npy')!r})))"
    )

    env = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
    np.testing.assert_allclose(np.load(tmp_path / "Z.npy"), fitted.transform(X[:100]), atol=1e-8)


def test_sparse_input_on_cuda(digits):
    X, _ = digits
    model = DDVIEmbedding(n_epochs=3, random_state=0, device="cuda").fit(sp.csr_matrix(X))
    assert np.all(np.isfinite(model.embedding_))


@pytest.mark.parametrize("posterior", ["iaf", "adversarial"])
def test_baseline_posteriors_on_cuda(digits, posterior):
    X, _ = digits
    model = DDVIEmbedding(n_epochs=3, posterior=posterior, random_state=0, device="cuda")
    model.fit(X[:500])
    assert np.all(np.isfinite(model.embedding_))
    assert np.isfinite(model.score(X[:50]))


def test_clustering_and_semi_supervised_on_cuda(digits):
    X, y = digits
    clusters = DDVIEmbedding(prior="mixture", n_epochs=10, random_state=0, device="cuda")
    assert clusters.fit_predict(X[:600]).shape == (600,)
    # The CPU test's semi-supervised fit (test_clustering.py): 200 labelled
    # rows, 210 steps. At 20 steps the pinwheel's predict varied from 0.73 to
    # 0.92 between seeds and devices; here the CPU's seeds 0-3 gave 0.93-0.99
    # on the labelled rows and 0.54-0.71 on the others (chance: 0.1).
    partial = y.copy()
    partial[200:] = -1
    model = DDVIEmbedding(
        prior="pinwheel",
        n_epochs=30,
        hidden_dims=(64,),
        n_steps=3,
        batch_size=256,
        random_state=0,
        device="cuda",
    ).fit(X, partial)
    predicted = model.predict(X)
    assert np.mean(predicted[:200] == y[:200]) >= 0.9
    assert np.mean(predicted[200:] == y[200:]) >= 0.4


def test_auto_epochs_and_batch_on_cuda_see_large_sets_twice(monkeypatch):
    import skddvi.estimator

    class Planned(Exception):
        """Stops the fit before training: only the plan is asked about."""

    plans = []

    def record(model, data, plan, generator, verbose):
        plans.append(plan)
        raise Planned

    monkeypatch.setattr(skddvi.estimator, "train", record)
    X = np.random.default_rng(0).normal(size=(70_000, 4))
    with pytest.raises(Planned):
        DDVIEmbedding(graph_weight=0, device="cuda").fit(X)
    with pytest.raises(Planned):
        DDVIEmbedding(graph_weight=0, device="cpu").fit(X)
    (cuda, cpu) = plans
    assert (cuda.n_epochs, cuda.batch_size) == (80, 4096)
    assert (cpu.n_epochs, cpu.batch_size) == (43, 2048)
