"""The estimator under torch's process-wide settings: threads, grad mode,
default dtype and the global generators."""

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from sklearn.datasets import load_iris

from skddvi import DDVIEmbedding
from skddvi._torch_state import cpu_threads, seeded_global_rng

FAST = dict(n_epochs=3, hidden_dims=(32,), n_steps=3, batch_size=64, random_state=0, n_jobs=1)


@pytest.fixture(scope="module")
def iris():
    return load_iris().data


@pytest.fixture(scope="module")
def reference(iris):
    return DDVIEmbedding(**FAST).fit(iris).embedding_


def _fit(X, seed=0):
    return DDVIEmbedding(**{**FAST, "random_state": seed}).fit(X).embedding_


def test_fits_in_threads_match_sequential_fits_and_leave_the_global_rng(iris):
    expected = {seed: _fit(iris, seed) for seed in range(4)}
    torch.manual_seed(123)
    state = torch.get_rng_state()
    for _ in range(2):
        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(lambda seed: _fit(iris, seed), range(4)))
        for seed, embedding in enumerate(results):
            np.testing.assert_array_equal(embedding, expected[seed])
    assert torch.equal(torch.get_rng_state(), state)


def test_seeded_global_rng_restores_the_state_and_repeats_its_draws():
    torch.manual_seed(5)
    state = torch.get_rng_state()
    with seeded_global_rng(7):
        first = torch.rand(3)
    with seeded_global_rng(7):
        np.testing.assert_array_equal(torch.rand(3).numpy(), first.numpy())
    assert torch.equal(torch.get_rng_state(), state)


def test_overlapping_n_jobs_calls_restore_the_callers_thread_count(iris):
    model = DDVIEmbedding(**FAST).fit(iris)
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        rows = np.tile(iris, (40, 1))
        with ThreadPoolExecutor(3) as pool:
            list(pool.map(lambda _: model.transform(rows), range(6)))
        seen = []
        thread = threading.Thread(target=lambda: seen.append(torch.get_num_threads()))
        thread.start()
        thread.join()
        assert torch.get_num_threads() == 2
        assert seen == [2]  # a thread started later is not left at n_jobs=1
    finally:
        torch.set_num_threads(before)


def test_nested_cpu_threads_restore_the_enclosing_count():
    before = torch.get_num_threads()
    with cpu_threads(1):
        with cpu_threads(2):
            assert torch.get_num_threads() == 2
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before


@pytest.mark.parametrize("mode", [torch.no_grad, torch.inference_mode])
def test_fit_trains_under_no_grad_and_inference_mode(iris, reference, mode):
    with mode():
        embedding = _fit(iris)
    np.testing.assert_array_equal(embedding, reference)


@pytest.mark.parametrize("sparse", [False, True])
def test_fit_under_a_float64_default_dtype_gives_the_float32_fit(iris, sparse):
    """It crashed (float64 weights, float32 rows); cast afterwards, its weights
    were drawn in float64 and the embedding moved by up to 0.55."""
    X = sp.csr_matrix(iris) if sparse else iris
    expected = DDVIEmbedding(**FAST).fit(X)
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        model = DDVIEmbedding(**FAST).fit(X)
        assert torch.get_default_dtype() == torch.float64  # restored
    finally:
        torch.set_default_dtype(previous)
    assert {p.dtype for p in model.module_.parameters()} == {torch.float32}
    np.testing.assert_array_equal(model.embedding_, expected.embedding_)
    assert model.score(X) == expected.score(X)


def test_score_does_not_depend_on_the_default_dtype(iris):
    """torch's Sobol engine computed its first point in the default dtype:
    score_samples moved by up to 2.6e-6 nats when another library set float64."""
    model = DDVIEmbedding(**FAST).fit(iris)
    expected = model.score_samples(iris)
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        scores = model.score_samples(iris)
    finally:
        torch.set_default_dtype(previous)
    np.testing.assert_array_equal(scores, expected)


def test_the_global_generator_is_held_by_one_thread_at_a_time():
    """Two threads seeding it at once drew each other's numbers."""
    import time

    entered = threading.Event()
    order = []

    def hold():
        with seeded_global_rng(1):
            entered.set()
            time.sleep(0.3)
            order.append("first out")

    thread = threading.Thread(target=hold)
    thread.start()
    entered.wait()
    with seeded_global_rng(2):
        order.append("second in")
    thread.join()
    assert order == ["first out", "second in"]
