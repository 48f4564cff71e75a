"""scikit-learn's own estimator checks, with settings that keep each fit fast."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skddvi import DDVIEmbedding


def _fast_estimator():
    return DDVIEmbedding(n_epochs=2, hidden_dims=(8,), n_steps=2, batch_size=32, n_neighbors=3)


@parametrize_with_checks([_fast_estimator()])
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
