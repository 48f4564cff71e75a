"""Quickstart: embed digits, embed new rows, decode, sample, score.

Run: python examples/quickstart.py  (writes quickstart.png)
"""

import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from skddvi import DDVIEmbedding
from skddvi.metrics import knn_accuracy, trustworthiness
from skddvi.plot import plot_embedding

# SKDDVI_QUICK=1 (used by the test suite) trains briefly.
N_EPOCHS = 5 if os.environ.get("SKDDVI_QUICK") else None

X, y = load_digits(return_X_y=True)
X_train, X_new, y_train, y_new = train_test_split(X, y, test_size=0.25, random_state=0)

# Fit and embed the training rows (a drop-in for umap.UMAP().fit_transform).
model = DDVIEmbedding(n_epochs=N_EPOCHS, random_state=0)
Z_train = model.fit_transform(X_train)

# New rows are embedded by the encoder and the deterministic denoising chain:
# no re-optimisation, and the same row always lands on the same point.
Z_new = model.transform(X_new)
print(f"trustworthiness of new rows: {trustworthiness(X_new, Z_new, n_neighbors=10):.3f}")
print(f"10-NN accuracy (training embedding): {knn_accuracy(Z_train, y_train):.3f}")

# The generative model: a lower bound on log p(x), decodings and samples.
print(f"ELBO of new rows: {model.score(X_new):.1f} nats per row")
X_decoded = model.inverse_transform(Z_new[:8])
X_sampled = model.sample(8, random_state=0)

fig, axes = plt.subplots(1, 3, figsize=(13, 4.5), gridspec_kw={"width_ratios": [1.3, 1, 1]})
plot_embedding(Z_train, y_train, ax=axes[0], title="training rows")
plot_embedding(Z_new, y_new, ax=axes[1], title="new rows (transform)")
axes[1].get_legend().remove()
gallery = [*X_new[:4], *X_decoded[:4], *X_sampled[:4]]
tiles = np.block([[img.reshape(8, 8) for img in gallery[i : i + 4]] for i in (0, 4, 8)])
axes[2].imshow(tiles, cmap="gray_r")
axes[2].set_title("rows: data, decoded, sampled")
axes[2].axis("off")
fig.tight_layout()
fig.savefig("quickstart.png", dpi=100)
print("wrote quickstart.png")
