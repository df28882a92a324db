"""Fitting segments on a sample, the same for every engine: features, k, the structure test, stability.

The default engine fits on a sample of its in-memory table; the Dask engine on a sample its workers draw.
Either way, choosing k, testing the structure against its nulls and measuring stability happen here, on
this machine, and the result is what every row is then assigned with: the fitted features and centres.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from persona_map.errors import SegmentError
from persona_map.research.cluster import AutoKClusterer, fit_labels
from persona_map.research.features import FeatureTable, make_preprocessor
from persona_map.research.segmentation import Progress, SegmentOptions, SegmentResult
from persona_map.research.structure import Structure, assess_structure, describe

WEAK_STABILITY = 0.6  # mean adjusted Rand index across bootstrap refits


@dataclass
class Checks:
    """How far to trust the segments: the structure verdict and the stability (at other k when unstable)."""

    structure: Structure
    stability: list[float]
    by_k: dict[str, float]

    @property
    def weak(self) -> bool:
        return not self.structure.real or _mean(self.stability) < WEAK_STABILITY


class Fitted:
    """Features and segments fitted on a sample; the structure and stability checks run on threads of their
    own (call `checks()` to wait for them) while the caller assigns every row."""

    def __init__(self, sample: FeatureTable, options: SegmentOptions, step: Progress) -> None:
        self.options = options
        step("building features")
        self.pre = make_preprocessor(sample)
        self.X = self.pre.fit_transform(sample.frame).astype(_dtype(options.method))
        step("choosing k")
        self.pool = ThreadPoolExecutor(2)
        ks = range(options.k_min, options.k_max + 1)
        self._structure = self.pool.submit(
            assess_structure, self.X, ks, fit_labels(options.method), options.seed
        )
        with fitting(options.method):
            self.clusterer = clusterer(options, ks).fit(self.X)
        self._stability: Future = self.pool.submit(stability_checks, self.clusterer, self.X, options)

    @property
    def k(self) -> int:
        return self.clusterer.n_clusters_

    def checks(self) -> Checks:
        with fitting(self.options.method), self.pool:
            stability, by_k = self._stability.result()
            return Checks(self._structure.result(), stability, by_k)

    def assign(self, frame: pd.DataFrame) -> np.ndarray:
        """The segment (0 .. k-1, before ranking) of every row of `frame`."""
        return assign(self.pre, self.clusterer, frame)


def assign(pre: Any, clusterer: AutoKClusterer, frame: pd.DataFrame, chunk: int = 1 << 18) -> np.ndarray:
    """The segment (0 .. k-1, before ranking) of every row of `frame`, a chunk of rows at a time.

    k-means measures each chunk's distances to the centres encoder by encoder, without building the feature
    matrix; memory holds one chunk's distances, whatever the number of rows.
    """
    out = np.empty(len(frame), dtype=np.int16)
    for start in range(0, len(frame), chunk):
        rows = frame.iloc[start : start + chunk]
        if clusterer.method == "kmeans":
            distances = np.zeros((len(rows), clusterer.n_clusters_), dtype=np.float64)
            for name, transformer, columns in pre.transformers_:
                if name != "remainder":
                    block = clusterer.cluster_centers_[:, pre.output_indices_[name]]
                    distances += transformer.squared_distances(rows[columns], block)
            out[start : start + len(rows)] = distances.argmin(axis=1)
        else:
            out[start : start + len(rows)] = clusterer.predict(pre.transform(rows).astype(np.float64))
    return out


def clusterer(options: SegmentOptions, ks: range) -> AutoKClusterer:
    """The estimator that chooses k in `ks` as every engine fits it (the candidate fits run side by side)."""
    return AutoKClusterer(
        ks.start, ks.stop - 1, options.method, options.fit_sample, options.score_sample,
        n_init=3, random_state=options.seed, n_jobs=-1,
    )  # fmt: skip


def ranked(raw: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(order, labels): segments renumbered largest first (S1 is the biggest); labels two bytes a row."""
    order = np.argsort(-np.bincount(raw, minlength=k), kind="stable")
    return order, ranks(order).astype(np.int16)[raw]


def ranks(order: np.ndarray) -> np.ndarray:
    """Each segment's new number when segments are renumbered in `order` (the inverse permutation)."""
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return rank


def result(
    options: SegmentOptions,
    inputs: str,
    today: date | None,
    clusterer: AutoKClusterer,
    checks: Checks,
    **rest: Any,
) -> SegmentResult:
    """The run's result: what every engine and every kind of research says the same way."""
    return SegmentResult(
        created=(today or date.today()).isoformat(),
        inputs=inputs,
        options=asdict(options),
        k=clusterer.n_clusters_,
        scores=clusterer.scores_,
        structure=checks.structure.to_dict(),
        verdict=checks.structure.verdict,
        stability=checks.stability,
        stability_by_k=checks.by_k,
        weak=checks.weak,
        warnings=warnings(checks.structure, checks.stability, checks.by_k, clusterer.n_clusters_),
        **rest,
    )


def stability_checks(
    clusterer: AutoKClusterer, X: np.ndarray, options: SegmentOptions
) -> tuple[list[float], dict[str, float]]:
    """Agreement of bootstrap refits at the chosen k; when it is unstable, at every other k in range too."""
    stability = clusterer.stability(X, options.resamples)
    by_k: dict[str, float] = {}
    if _mean(stability) < WEAK_STABILITY:
        for k in clusterer.scores_:
            if k != clusterer.n_clusters_:
                by_k[str(k)] = round(_mean(clusterer.stability(X, options.resamples, k)), 3)
    return stability, by_k


def column_notes(table: FeatureTable, missing: dict[str, int] | None = None) -> dict[str, dict[str, Any]]:
    """Every feature column as people should read it, with how many of its values were missing (and filled):
    counted in `table`'s rows, or given (`Tally.missing`, when the rows are on workers)."""
    out = {}
    for name in table.roles:
        found = missing.get(name, 0) if missing is not None else int(table.frame[name].isna().sum())
        out[name] = {**table.meta.get(name, {}), "missing": found}
    return out


def _mean(values: list[float]) -> float:
    return float(np.mean(values)) if values else 0.0


@contextmanager
def fitting(method: str) -> Iterator[None]:
    """A Gaussian mixture that cannot be fitted is the user's to fix (another method or fewer segments)."""
    try:
        yield
    except ValueError as e:  # its components collapse onto a few identical rows
        if method != "gmm":
            raise
        raise SegmentError(
            f"the Gaussian mixture could not be fitted ({str(e).split('.')[0].lower()}); "
            "use the default k-means (--method kmeans) or fewer segments (--k-max)"
        ) from e


def _dtype(method: str) -> type:
    """float32 makes k-means about a quarter faster at no cost in quality; Gaussian mixtures need float64."""
    return np.float32 if method == "kmeans" else np.float64


def warnings(structure: Structure, stability: list[float], by_k: dict[str, float], k: int) -> list[str]:
    """What a person must know before acting on these segments, in plain words."""
    out = []
    if not structure.real:
        out.append(
            describe(structure) + " Collect more or better research (more respondents, questions that tell "
            "customers apart: goals, pains, behaviours) before changing personas."
        )
    mean = _mean(stability)
    if mean < WEAK_STABILITY:
        stable = [(int(other), value) for other, value in by_k.items() if value >= WEAK_STABILITY]
        alternative = "".join(
            f" k = {other} is stable: agreement {value:.2f} (run with --k-min {other} --k-max {other})."
            for other, value in sorted(stable, key=lambda item: -item[1])[:1]
        )
        out.append(
            f"Unstable segments: refits on resampled data agree only {mean:.2f} with these {k} segments "
            f"(adjusted Rand index; 1 is identical every time). Treat them as tentative.{alternative}"
        )
    return out


def model_export(
    pre: Any, clusterer: AutoKClusterer, order: np.ndarray, table: FeatureTable
) -> dict[str, Any]:
    """What classifying a new respondent needs, as plain data (no pickles)."""
    encoders = []
    for name, transformer, columns in pre.transformers_:
        if name == "remainder":
            continue
        if hasattr(transformer, "categories_"):
            encoders.append(
                {"kind": "one-hot", "columns": list(columns), "categories": transformer.categories_}
            )
        elif hasattr(transformer, "choices_"):
            encoders.append(
                {
                    "kind": "multi-select",
                    "columns": list(columns),
                    "separator": transformer.separator,
                    "choices": transformer.choices_,
                }
            )
        else:
            encoders.append(
                {
                    "kind": "scaled",
                    "columns": list(columns),
                    "median": transformer.median_.round(6).tolist(),
                    "mean": transformer.mean_.round(6).tolist(),
                    "scale": transformer.scale_.round(6).tolist(),
                    "log": [bool(x) for x in (transformer.log or [False] * len(columns))],
                }
            )
    return {
        "columns": table.roles,
        "separators": table.separators,
        "encoders": encoders,
        "centres": clusterer.cluster_centers_[order].round(6).tolist(),
        "features": [str(n) for n in pre.get_feature_names_out()],
        "k_scores": {str(k): round(v, 4) for k, v in clusterer.scores_.items()},
    }
