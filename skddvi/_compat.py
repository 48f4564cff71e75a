"""The only module that touches private scikit-learn API."""

from __future__ import annotations

import functools

try:  # scikit-learn >= 1.3
    from sklearn.base import _fit_context as fit_context
except ImportError:  # pragma: no cover - future sklearn without it

    def fit_context(*, prefer_skip_nested_validation: bool):
        """Validate the estimator's parameters before running ``fit``."""

        def decorator(fit_method):
            @functools.wraps(fit_method)
            def wrapper(estimator, *args, **kwargs):
                estimator._validate_params()
                return fit_method(estimator, *args, **kwargs)

            return wrapper

        return decorator


from sklearn.utils._param_validation import HasMethods, Interval, StrOptions

__all__ = ["HasMethods", "Interval", "StrOptions", "fit_context"]
