"""`personas segment`: find the segments in the research, explain the choice and profile each segment."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from persona_map.atomic import atomic_output, write_atomic
from persona_map.errors import SegmentError
from persona_map.repository import Repository
from persona_map.research.cluster import AutoKClusterer, fit_labels
from persona_map.research.features import (
    FeatureTable,
    build_table,
    make_preprocessor,
)
from persona_map.research.manifest import load_manifest
from persona_map.research.profiles import profiles
from persona_map.research.report import markdown
from persona_map.research.results import RESULTS_DIR, fingerprint
from persona_map.research.segmentation import Progress, SegmentOptions, SegmentResult
from persona_map.research.sources import Research, load_research
from persona_map.research.structure import Structure, assess_structure, describe
from persona_map.research.text_segments import interview_features, interview_profiles

WEAK_STABILITY = 0.6  # mean adjusted Rand index across bootstrap refits


def segment(
    research: Research,
    options: SegmentOptions,
    inputs: str = "",
    progress: Progress | None = None,
    today: date | None = None,
) -> SegmentResult:
    """Cluster the respondents, choose k, measure stability and profile every segment.

    The model is fitted on a sample of `fit_sample` rows (all rows when there are fewer); every row is
    then assigned to its nearest segment in chunks, so time grows linearly and memory stays bounded.
    """
    # One BLAS/OpenMP thread per fit: on small machines k-means and silhouette spend more time in
    # contention between numpy's, scipy's and scikit-learn's thread pools than in computing (measured
    # 10x slower). The candidate fits run side by side on their own threads instead (n_jobs below).
    with threadpool_limits(1):
        return _segment(research, options, inputs, progress or (lambda _: None), today)


def _segment(
    research: Research, options: SegmentOptions, inputs: str, step: Progress, today: date | None
) -> SegmentResult:
    if (
        not research.by_kind("survey")
        and not research.by_kind("analytics")
        and research.by_kind("interviews")
    ):
        return _segment_interviews(research, options, inputs, step, today)
    step("joining sources")
    table = build_table(research)
    n = len(table.frame)
    if n < 3:
        raise SegmentError(
            f"{n} respondent{'s' if n != 1 else ''} in the research: segmenting needs at least 3"
        )
    rng = np.random.default_rng(options.seed)
    sample = (
        np.sort(rng.choice(n, options.fit_sample, replace=False)) if n > options.fit_sample else np.arange(n)
    )
    step("building features")
    pre = make_preprocessor(table)
    X_fit = pre.fit_transform(table.frame.iloc[sample]).astype(_dtype(options.method))
    step("choosing k")
    # Whether there is structure at all needs only the features and the range of k: it runs on a thread
    # of its own while k is chosen, then while every row is assigned.
    pool = ThreadPoolExecutor(2)
    structure = pool.submit(
        assess_structure,
        X_fit,
        range(options.k_min, options.k_max + 1),
        fit_labels(options.method),
        options.seed,
    )
    with _fitting(options.method):
        clusterer = AutoKClusterer(
            options.k_min,
            options.k_max,
            options.method,
            options.fit_sample,
            options.score_sample,
            n_init=3,
            random_state=options.seed,
            n_jobs=-1,  # the candidate fits run side by side, one thread each
        ).fit(X_fit)
    step("checking stability, assigning every respondent")
    # The stability refits need only the fitted model, so they run on a thread of their own while every
    # row is assigned and the segments are profiled.
    with pool:
        checks = pool.submit(_stability, clusterer, X_fit, options)
        raw = _assign(table, pre, clusterer, sample)
        order = np.argsort(-np.bincount(raw, minlength=clusterer.n_clusters_), kind="stable")
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        labels = rank[raw]
        step("profiling segments")
        segments, notes = profiles(table, research, labels, clusterer.n_clusters_)
        with _fitting(options.method):
            stability, by_k = checks.result()
            found = structure.result()
    warnings = _warnings(found, stability, by_k, clusterer.n_clusters_)
    return SegmentResult(
        created=(today or date.today()).isoformat(),
        inputs=inputs,
        options=asdict(options),
        respondents=n,
        features=X_fit.shape[1],
        k=clusterer.n_clusters_,
        scores=clusterer.scores_,
        structure=found.to_dict(),
        verdict=found.verdict,
        stability=stability,
        stability_by_k=by_k,
        weak=not found.real or _mean(stability) < WEAK_STABILITY,
        warnings=warnings,
        segments=segments,
        model=_model(pre, clusterer, order, table),
        columns=_columns(table),
        notes=notes,
        unit="respondents" if research.specs[table.base].kind == "survey" else "accounts",
        keys=table.frame.index,
        labels=labels,
    )


def _segment_interviews(
    research: Research, options: SegmentOptions, inputs: str, step: Progress, today: date | None
) -> SegmentResult:
    """Interview-only research: participants segmented by their own words, with the same honesty checks."""
    step("reading the participants' words")
    keys, X, turns = interview_features(research, options.seed)
    ks = range(min(options.k_min, len(keys) - 1), min(options.k_max, len(keys) - 1) + 1)
    step("choosing k")
    with _fitting(options.method):
        found = assess_structure(X, ks, fit_labels(options.method), options.seed)
        clusterer = AutoKClusterer(
            ks.start, ks.stop - 1, options.method, options.fit_sample, options.score_sample,
            n_init=3, random_state=options.seed, n_jobs=-1,
        ).fit(X)  # fmt: skip
        step("checking stability")
        stability, by_k = _stability(clusterer, X, options)
    order = np.argsort(-np.bincount(clusterer.labels_, minlength=clusterer.n_clusters_), kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    labels = rank[clusterer.labels_]
    step("profiling segments")
    segments, notes = interview_profiles(turns, keys, labels, clusterer.n_clusters_)
    return SegmentResult(
        created=(today or date.today()).isoformat(),
        inputs=inputs,
        options=asdict(options),
        respondents=len(keys),
        features=X.shape[1],
        k=clusterer.n_clusters_,
        scores=clusterer.scores_,
        structure=found.to_dict(),
        verdict=found.verdict,
        stability=stability,
        stability_by_k=by_k,
        weak=not found.real or _mean(stability) < WEAK_STABILITY,
        warnings=_warnings(found, stability, by_k, clusterer.n_clusters_),
        segments=segments,
        model={},  # words are not in a CRM export: contacts are routed by the rules alone
        notes=notes,
        unit="participants",
        keys=keys,
        labels=labels,
    )


def _stability(
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


def _columns(table: FeatureTable) -> dict[str, dict[str, Any]]:
    """Every feature column as people should read it, with how many of its values were missing (and filled)."""
    out = {}
    for name in table.roles:
        missing = int(table.frame[name].isna().sum())
        out[name] = {**table.meta.get(name, {}), "missing": missing}
    return out


def _mean(values: list[float]) -> float:
    return float(np.mean(values)) if values else 0.0


@contextmanager
def _fitting(method: str) -> Iterator[None]:
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


def _assign(
    table: FeatureTable, pre: Any, clusterer: AutoKClusterer, sample: np.ndarray, chunk: int = 100_000
) -> np.ndarray:
    """Segment of every row: the fitted rows' labels, the rest transformed and assigned chunk by chunk."""
    n = len(table.frame)
    if len(sample) == n:
        return clusterer.labels_
    if clusterer.method == "kmeans":  # nearest centre, block by block, without building the feature matrix
        distances = np.zeros((n, clusterer.n_clusters_), dtype=np.float64)
        for name, transformer, columns in pre.transformers_:
            if name != "remainder":
                block = clusterer.cluster_centers_[:, pre.output_indices_[name]]
                distances += transformer.squared_distances(table.frame[columns], block)
        return distances.argmin(axis=1)
    out = np.empty(n, dtype=np.int64)
    for start in range(0, n, chunk):
        block = pre.transform(table.frame.iloc[start : start + chunk]).astype(np.float64)
        out[start : start + chunk] = clusterer.predict(block)
    return out


def _warnings(structure: Structure, stability: list[float], by_k: dict[str, float], k: int) -> list[str]:
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


def _model(pre: Any, clusterer: AutoKClusterer, order: np.ndarray, table: FeatureTable) -> dict[str, Any]:
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


def save(result: SegmentResult, root: Path) -> tuple[Path, Path]:
    """Write assignments.csv, report.md and segments.json under build/segments/ (gitignored), each atomically.

    segments.json goes last: it says which research the results are from, so it never describes files
    that an interrupted run did not write.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    folder = root / RESULTS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    keys = result.keys.astype("string") if not isinstance(result.keys.dtype, pd.StringDtype) else result.keys
    segment_ids = pa.array([s.id for s in result.segments]).take(pa.array(result.labels))
    with atomic_output(folder / "assignments.csv") as handle:
        pacsv.write_csv(pa.table({"key": pa.array(keys.array), "segment": segment_ids}), handle)
    report = folder / "report.md"
    write_atomic(report, markdown(result).encode("utf-8"))
    json_path = folder / "segments.json"
    write_atomic(
        json_path, (json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    )
    return json_path, report


def run(
    repo: Repository,
    today: date,
    k_min: int | None,
    k_max: int | None,
    method: str,
    seed: int,
    progress: Progress | None = None,
) -> tuple[SegmentResult | None, tuple[Path, Path] | None, list]:
    """Load and validate the research, segment it and save the results; findings explain any failure."""
    step = progress or (lambda _: None)
    manifest, findings = load_manifest(repo)
    if not manifest.loaded or any(f.is_error for f in findings):
        return None, None, findings
    step("reading research")
    research, problems = load_research(repo, manifest)
    findings += problems
    if any(f.is_error for f in findings):
        return None, None, findings
    options = SegmentOptions(k_min or repo.config.primary_min, k_max or repo.config.primary_max, method, seed)
    result = segment(research, options, fingerprint(repo, manifest), step, today)
    return result, save(result, repo.root), findings
