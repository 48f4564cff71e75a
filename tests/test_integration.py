"""DDVIEmbedding inside scikit-learn workflows: Pipeline, GridSearchCV, clone."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skddvi import DDVIEmbedding
from skddvi.metrics import clustering_scorer, knn_scorer

FAST = dict(n_epochs=4, hidden_dims=(32,), n_steps=3, batch_size=128, random_state=0)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:300], y[:300]


def test_clone_get_set_params():
    model = DDVIEmbedding(n_components=3, prior="mixture", n_clusters=4, kl_weight=0.2)
    twin = clone(model)
    assert twin.get_params() == model.get_params()
    twin.set_params(kl_weight=0.5, sleep="latent")
    assert twin.kl_weight == 0.5 and twin.sleep == "latent"
    assert model.kl_weight == 0.2


def test_pipeline_with_scaler(digits):
    X, _ = digits
    pipe = make_pipeline(StandardScaler(), DDVIEmbedding(**FAST))
    Z = pipe.fit_transform(X)
    assert Z.shape == (len(X), 2)
    np.testing.assert_allclose(pipe.transform(X), Z, atol=1e-12)
    assert np.isfinite(pipe.score(X))


def test_pipeline_with_a_regressor_fits_the_embedding_without_labels():
    from sklearn.datasets import make_regression
    from sklearn.linear_model import Ridge

    X, y = make_regression(n_samples=300, n_features=8, noise=1.0, random_state=0)
    pipe = make_pipeline(StandardScaler(), DDVIEmbedding(**FAST), Ridge())
    with pytest.warns(UserWarning, match="y is continuous"):
        pipe.fit(X, y)
    assert not hasattr(pipe[1], "classes_")
    assert pipe.predict(X).shape == (len(X),)


def test_grid_search_without_scoring_uses_the_elbo(digits):
    X, _ = digits
    search = GridSearchCV(
        DDVIEmbedding(**FAST), {"n_epochs": [1, 20]}, cv=2, error_score="raise"
    ).fit(X)
    # More training raises the held-out ELBO, so the search must pick it.
    assert search.best_params_ == {"n_epochs": 20}
    assert search.cv_results_["mean_test_score"][1] > search.cv_results_["mean_test_score"][0]


def test_grid_search_with_clustering_scorer_over_a_pipeline(digits):
    X, y = digits
    pipe = make_pipeline(StandardScaler(), DDVIEmbedding(**{**FAST, "n_epochs": 100}))
    search = GridSearchCV(
        pipe,
        {"ddviembedding__posterior": ["diffusion", "gaussian"]},
        scoring={"nmi": clustering_scorer(n_clusters=10), "knn": knn_scorer(n_neighbors=5, cv=3)},
        refit="nmi",
        cv=2,
        error_score="raise",
    ).fit(X, y)
    scores = search.cv_results_["mean_test_nmi"]
    # 150 rows per fold; random clusters score about 0.15 NMI, random k-NN 0.1.
    assert np.all((scores > 0.35) & (scores <= 1.0))
    assert np.all(search.cv_results_["mean_test_knn"] > 0.4)
    assert search.best_estimator_.transform(X).shape == (len(X), 2)
