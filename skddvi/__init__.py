"""skddvi: embeddings by Denoising Diffusion Variational Inference, for scikit-learn."""

from ._training import NonFiniteLossError
from .estimator import DDVIEmbedding
from .priors import Prior, make_prior

__all__ = ["DDVIEmbedding", "NonFiniteLossError", "Prior", "__version__", "make_prior"]
__version__ = "0.1.0"
