"""DDVIEmbedding in a Pipeline, tuned by GridSearchCV with and without labels.

Without ``scoring``, GridSearchCV ranks settings by ``score``: the held-out ELBO,
a bound on the likelihood that needs no labels. With a clustering scorer from
``skddvi.metrics`` it ranks them by how well KMeans clusters of the embedding
agree with the labels.

Run: python examples/pipeline_gridsearch.py
"""

import os

from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from skddvi import DDVIEmbedding
from skddvi.metrics import clustering_scorer, knn_scorer

N_EPOCHS = 5 if os.environ.get("SKDDVI_QUICK") else 100

X, y = load_digits(return_X_y=True)
# clip=True keeps held-out folds in [0, 1], where the Bernoulli likelihood that
# [0, 1] data get (likelihood="auto") has its density.
pipe = make_pipeline(MinMaxScaler(clip=True), DDVIEmbedding(n_epochs=N_EPOCHS, random_state=0))
grid = {"ddviembedding__kl_weight": [0.003, 0.03], "ddviembedding__n_steps": [5, 10]}

# 1. No labels: the ELBO decides.
unsupervised = GridSearchCV(pipe, grid, cv=3).fit(X)
print(
    "best by held-out ELBO:",
    unsupervised.best_params_,
    f"({unsupervised.best_score_:.1f} nats per row)",
)

# 2. Labels: NMI of KMeans clusters of the embedding, with k-NN accuracy beside it.
supervised = GridSearchCV(
    pipe,
    grid,
    scoring={"nmi": clustering_scorer(n_clusters=10), "knn": knn_scorer(n_neighbors=10)},
    refit="nmi",
    cv=3,
).fit(X, y)
print("best by KMeans NMI:", supervised.best_params_, f"(NMI {supervised.best_score_:.3f})")
for params, nmi, knn in zip(
    supervised.cv_results_["params"],
    supervised.cv_results_["mean_test_nmi"],
    supervised.cv_results_["mean_test_knn"],
):
    print(f"  {params}: NMI {nmi:.3f}, 10-NN accuracy {knn:.3f}")
