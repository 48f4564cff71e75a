"""Clustering with a mixture prior: each component of p(z) is a cluster.

With ``prior="mixture"`` the latent space has ``n_clusters`` Gaussian
components; the fitted prior (``prior_``) gives each embedded row's
responsibilities, and the most responsible component is its cluster.

Run: python examples/mixture_clustering.py  (writes mixture_clustering.png)
"""

import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import torch
from sklearn.datasets import load_digits
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from skddvi import DDVIEmbedding
from skddvi.metrics import cluster_embedding, cluster_purity
from skddvi.plot import plot_embedding

N_EPOCHS = 5 if os.environ.get("SKDDVI_QUICK") else None

X, y = load_digits(return_X_y=True)
model = DDVIEmbedding(
    prior="mixture", n_clusters=10, kl_weight=0.1, n_epochs=N_EPOCHS, random_state=0
)
Z = model.fit_transform(X)

with torch.no_grad():
    responsibilities = model.prior_.responsibilities(torch.as_tensor(Z, dtype=torch.float32))
components = responsibilities.argmax(1).numpy()
kmeans = cluster_embedding(Z, n_clusters=10)

for name, labels in [("prior components", components), ("KMeans on the embedding", kmeans)]:
    print(
        f"{name:>24}: NMI {normalized_mutual_info_score(y, labels):.3f}, "
        f"ARI {adjusted_rand_score(y, labels):.3f}, purity {cluster_purity(y, labels):.3f}"
    )

fig, axes = plt.subplots(1, 2, figsize=(11, 5))
plot_embedding(Z, y, ax=axes[0], title="coloured by digit")
plot_embedding(Z, components, ax=axes[1], title="coloured by prior component")
means = model.prior_.means.detach().numpy()
axes[1].scatter(means[:, 0], means[:, 1], c="k", marker="x", s=60)
fig.tight_layout()
fig.savefig("mixture_clustering.png", dpi=100)
print("wrote mixture_clustering.png")
