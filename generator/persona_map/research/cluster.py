"""A clusterer that picks its own number of clusters, within the persona budget, by silhouette.

`AutoKClusterer` follows scikit-learn's estimator contract (parameters in `__init__`, learned attributes
ending in `_`, explicit `random_state`). It fits on a sample (all rows when there are fewer), scores every
k in the range by silhouette on a sample, keeps the best, and assigns every row to its nearest centre.
The candidate fits (and the stability refits) run on `n_jobs` threads: scikit-learn's k-means releases
the GIL, and each fit has its own seed, so the result does not depend on the number of threads.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, silhouette_score
from sklearn.mixture import GaussianMixture
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_array, check_is_fitted, validate_data


class AutoKClusterer(ClusterMixin, BaseEstimator):
    """k-means (or a Gaussian mixture) with k chosen by silhouette within [k_min, k_max]."""

    def __init__(
        self,
        k_min: int = 3,
        k_max: int = 5,
        method: str = "kmeans",
        fit_sample: int = 50_000,
        score_sample: int = 4_000,
        n_init: int = 4,
        random_state: int | None = 0,
        n_jobs: int | None = None,
    ) -> None:
        self.k_min = k_min
        self.k_max = k_max
        self.method = method
        self.fit_sample = fit_sample
        self.score_sample = score_sample
        self.n_init = n_init
        self.random_state = random_state
        self.n_jobs = n_jobs

    def _model(self, k: int, seed: int) -> KMeans | GaussianMixture:
        if self.method == "kmeans":
            return KMeans(n_clusters=k, n_init=self.n_init, random_state=seed)
        if self.method == "gmm":
            return GaussianMixture(
                n_components=k, covariance_type="diag", n_init=max(1, self.n_init // 2), random_state=seed
            )
        raise ValueError(f"method must be 'kmeans' or 'gmm', not {self.method!r}")

    def fit(self, X: np.ndarray, y: object = None) -> AutoKClusterer:
        X = validate_data(self, X, dtype=[np.float64, np.float32])
        rng = check_random_state(self.random_state)
        n = X.shape[0]
        k_max = min(self.k_max, n - 1)
        k_min = min(self.k_min, k_max)
        if k_min < 2:
            raise ValueError(f"need at least 3 rows to cluster, got n_samples = {n}")
        fit_rows = rng.choice(n, self.fit_sample, replace=False) if n > self.fit_sample else np.arange(n)
        score_rows = (
            fit_rows
            if len(fit_rows) <= self.score_sample
            else rng.choice(fit_rows, self.score_sample, replace=False)
        )
        seed = int(rng.randint(np.iinfo(np.int32).max))
        fitted, scored = X[fit_rows], X[score_rows]

        def candidate(k: int) -> tuple[int, KMeans | GaussianMixture, float]:
            model = self._model(k, seed).fit(fitted)
            labels = model.predict(scored)
            return k, model, float(silhouette_score(scored, labels)) if len(set(labels)) > 1 else -1.0

        self.scores_: dict[int, float] = {}
        self.models_: dict[int, KMeans | GaussianMixture] = {}
        best = None
        for k, model, score in _map(candidate, range(k_min, k_max + 1), self.n_jobs):
            self.scores_[k] = score
            self.models_[k] = model
            if best is None or score > self.scores_[best[0]]:
                best = (k, model)
        self.n_clusters_, self.model_ = best
        self.cluster_centers_ = self._centres(self.model_)
        self.silhouette_ = self.scores_[self.n_clusters_]
        self.fit_rows_ = fit_rows
        self.score_rows_ = score_rows
        self.labels_ = self.predict(X)
        return self

    @staticmethod
    def _centres(model: KMeans | GaussianMixture) -> np.ndarray:
        return model.cluster_centers_ if isinstance(model, KMeans) else model.means_

    def predict(self, X: np.ndarray) -> np.ndarray:
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        if isinstance(self.model_, GaussianMixture):
            return self.model_.predict(X)
        return nearest_centre(X, self.cluster_centers_)

    def fit_predict(self, X: np.ndarray, y: object = None, **kwargs: object) -> np.ndarray:
        return self.fit(X).labels_

    def stability(self, X: np.ndarray, n_resamples: int = 5, k: int | None = None) -> list[float]:
        """Adjusted Rand index between the fitted labels and fits on bootstrap resamples of the fit rows.

        `k` measures another number of segments than the chosen one (its candidate fit is the reference).
        """
        check_is_fitted(self)
        X = check_array(X, dtype=[np.float64, np.float32])
        k = self.n_clusters_ if k is None else k
        rng = check_random_state(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        reference = self.models_[k].predict(X[self.score_rows_])
        size = min(len(self.fit_rows_), 2 * self.score_sample)  # enough rows to tell stable from not
        draws = []  # drawn in order first, so the refits may run in any order
        for _ in range(n_resamples):
            rows = rng.choice(self.fit_rows_, size, replace=True)
            draws.append((rows, int(rng.randint(np.iinfo(np.int32).max))))
        scored = X[self.score_rows_]

        def refit(draw: tuple[np.ndarray, int]) -> float:
            model = self._model(k, draw[1]).fit(X[draw[0]])
            return float(adjusted_rand_score(reference, model.predict(scored)))

        return list(_map(refit, draws, self.n_jobs))


_T = TypeVar("_T")
_R = TypeVar("_R")


def _map(function: Callable[[_T], _R], items: Iterable[_T], n_jobs: int | None) -> list[_R]:
    """`function` over `items`, in order, on up to `n_jobs` threads (None: one; -1: one per CPU)."""
    items = list(items)
    workers = min((os.cpu_count() or 1) if n_jobs == -1 else (n_jobs or 1), len(items))
    if workers <= 1:
        return [function(item) for item in items]
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(function, items))


def nearest_centre(X: np.ndarray, centres: np.ndarray, chunk: int = 200_000) -> np.ndarray:
    """Index of the nearest centre for every row, in chunks to bound memory."""
    out = np.empty(X.shape[0], dtype=np.int64)
    c_sq = (centres**2).sum(axis=1)
    for start in range(0, X.shape[0], chunk):
        block = X[start : start + chunk]
        distances = c_sq[None, :] - 2.0 * block @ centres.T.astype(block.dtype)
        out[start : start + chunk] = distances.argmin(axis=1)
    return out


def fit_labels(method: str, n_init: int = 2) -> Callable[[np.ndarray, int, int], np.ndarray]:
    """Cluster labels of data at k with a seed, by the same method (for the structure test's nulls)."""
    template = AutoKClusterer(method=method, n_init=n_init)

    def fit(X: np.ndarray, k: int, seed: int) -> np.ndarray:
        return template._model(k, seed).fit(X).predict(X)

    return fit
