"""`personas segment`: find the segments in the research, explain the choice and profile each segment."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from persona_map.errors import SegmentError
from persona_map.repository import Repository
from persona_map.research.cluster import AutoKClusterer, null_silhouette
from persona_map.research.features import (
    FeatureTable,
    as_categorical,
    build_table,
    choice_indicators,
    choice_names,
    make_preprocessor,
)
from persona_map.research.results import RESULTS_DIR, fingerprint, load_saved  # noqa: F401 - re-exported
from persona_map.research.sources import Research

WEAK_SILHOUETTE_MARGIN = 0.05  # real silhouette must beat the shuffled-data silhouette by this much
WEAK_STABILITY = 0.6  # mean adjusted Rand index across bootstrap refits

Progress = Callable[[str], None]


@dataclass(frozen=True)
class SegmentOptions:
    """Settings of one segmentation run."""

    k_min: int = 3
    k_max: int = 5
    method: str = "kmeans"
    seed: int = 0
    fit_sample: int = 12_000  # rows the model is fitted on; every row is then assigned to its nearest segment
    score_sample: int = 2_000  # rows silhouette and stability are computed on
    resamples: int = 5


@dataclass
class Segment:
    """One segment: how big it is and what sets it apart."""

    id: str
    size: int
    share: float
    categories: list[dict[str, Any]] = field(default_factory=list)  # over-indexing categories
    numbers: list[dict[str, Any]] = field(default_factory=list)  # numeric differences in standard units
    analytics: list[dict[str, Any]] = field(default_factory=list)
    modes: dict[str, str] = field(default_factory=dict)  # most common value of each categorical/ordinal
    distributions: dict[str, dict[str, float]] = field(default_factory=dict)  # value shares per column
    quotes: list[dict[str, str]] = field(default_factory=list)
    interviewees: list[str] = field(default_factory=list)  # members who were interviewed


@dataclass
class SegmentResult:
    """Everything a segmentation run found, JSON-ready."""

    created: str
    inputs: str  # fingerprint of the research files and manifest
    options: dict[str, Any]
    respondents: int
    features: int
    k: int
    scores: dict[int, float]
    null_silhouette: float
    stability: list[float]
    weak: bool
    warnings: list[str]
    segments: list[Segment]
    model: dict[str, Any] = field(default_factory=dict, repr=False)
    keys: Any = field(default=None, repr=False)  # respondent keys, in the order of `labels`
    labels: Any = field(default=None, repr=False)  # segment index of every respondent

    @property
    def stability_mean(self) -> float:
        return float(np.mean(self.stability)) if self.stability else 0.0

    def to_dict(self) -> dict[str, Any]:
        data = {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if f.name not in ("keys", "labels", "segments")
        }
        data["segments"] = [asdict(s) for s in self.segments]
        data["scores"] = {str(k): v for k, v in self.scores.items()}
        return data


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
    # The stability refits and the shuffled-data check need only the fitted model, so they run on a
    # thread of their own while every row is assigned and the segments are profiled.
    with ThreadPoolExecutor(1) as pool:
        checks = pool.submit(_checks, clusterer, X_fit, options)
        raw = _assign(table, pre, clusterer, sample)
        order = np.argsort(-np.bincount(raw, minlength=clusterer.n_clusters_), kind="stable")
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        labels = rank[raw]
        step("profiling segments")
        segments = _profiles(table, research, labels, clusterer.n_clusters_)
        with _fitting(options.method):
            stability, null = checks.result()
    warnings = _warnings(clusterer, stability, null)
    return SegmentResult(
        created=(today or date.today()).isoformat(),
        inputs=inputs,
        options=asdict(options),
        respondents=n,
        features=X_fit.shape[1],
        k=clusterer.n_clusters_,
        scores=clusterer.scores_,
        null_silhouette=null,
        stability=stability,
        weak=bool(warnings),
        warnings=warnings,
        segments=segments,
        model=_model(pre, clusterer, order, table),
        keys=table.frame.index,
        labels=labels,
    )


def _checks(clusterer: AutoKClusterer, X: np.ndarray, options: SegmentOptions) -> tuple[list[float], float]:
    """Stability across bootstrap refits, and the silhouette of the same data with its columns shuffled."""
    return clusterer.stability(X, options.resamples), null_silhouette(X, clusterer, options.seed)


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


def _warnings(clusterer: AutoKClusterer, stability: list[float], null: float) -> list[str]:
    out = []
    best = clusterer.silhouette_
    if best < null + WEAK_SILHOUETTE_MARGIN:
        out.append(
            f"No clear segment structure: the best silhouette ({best:.2f}) is barely above what the same data "
            f"scores with its columns shuffled ({null:.2f}). These segments are noise, not personas; collect "
            "more or better research before changing personas."
        )
    mean = float(np.mean(stability)) if stability else 1.0
    if mean < WEAK_STABILITY:
        out.append(
            f"Unstable segments: refits on resampled data agree only {mean:.2f} (adjusted Rand index; 1 is "
            "perfect). Treat the segments as tentative."
        )
    return out


def _profiles(table: FeatureTable, research: Research, labels: np.ndarray, k: int) -> list[Segment]:
    """Size, over-represented categories, numeric differences, usage and quotes of every segment.

    Counting works on category codes and `np.bincount`, so a million rows take a fraction of a second.
    """
    frame = table.frame
    n = len(frame)
    sizes = np.bincount(labels, minlength=k)
    segments = [
        Segment(f"S{i + 1}", int(sizes[i]), round(float(sizes[i] / n), 4) if n else 0.0) for i in range(k)
    ]
    for column in table.columns("categorical", "ordinal"):
        values = as_categorical(frame[column])
        categories = [str(c) for c in values.cat.categories]
        counts = _counts(labels, values.cat.codes.to_numpy(), len(categories), k)
        _add_categories(segments, column, categories, counts, sizes, n)
    for column in table.columns("multi-select"):
        separator = table.separators.get(column, ";")
        values = as_categorical(frame[column])  # counted per distinct combination of choices, then split
        combos = pd.Series([str(c) for c in values.cat.categories], dtype="string")
        names = choice_names(combos, separator)
        per_combo = _counts(labels, values.cat.codes.to_numpy(), len(combos), k)
        counts = per_combo @ choice_indicators(combos, separator, names)  # members who picked each choice
        _add_categories(segments, column, names, counts, sizes, n, modes=False)
    numeric = [c for c in table.columns("numeric", "ordinal", "likert") if ":" not in c]
    behaviour = [c for c in table.columns("numeric") if ":" in c]
    for columns, attribute, threshold in ((numeric, "numbers", 0.3), (behaviour, "analytics", 0.0)):
        for column in columns:
            values = _as_number(frame[column]).to_numpy(dtype=np.float64, na_value=np.nan)
            members = labels
            if np.isnan(values).any():
                ok = ~np.isnan(values)
                values, members = values[ok], labels[ok]
            if not len(values):
                continue
            mean, std = values.mean(), values.std() or 1.0
            sums = np.bincount(members, weights=values, minlength=k)
            counts = np.bincount(members, minlength=k)
            for i, seg in enumerate(segments):
                if counts[i]:
                    inside = sums[i] / counts[i]
                    z = float((inside - mean) / std)
                    if abs(z) >= threshold:
                        getattr(seg, attribute).append(
                            {
                                "column": column,
                                "mean": _round(inside),
                                "overall": _round(mean),
                                "z": round(z, 2),
                            }
                        )
    interviewed = _interviewed(research)
    found = frame.index.isin(list(interviewed)) if interviewed else np.zeros(n, dtype=bool)
    found_keys, found_labels = [str(key) for key in frame.index[found]], labels[found]
    for i, seg in enumerate(segments):
        seg.categories.sort(key=lambda c: (-c["lift"] * c["share"], c["column"], c["value"]))
        seg.categories = seg.categories[:8]
        seg.numbers.sort(key=lambda x: -abs(x["z"]))
        seg.analytics.sort(key=lambda x: -abs(x["z"]))
        seg.interviewees = sorted(
            key for key, label in zip(found_keys, found_labels, strict=True) if label == i
        )
        seg.quotes = _quotes(research, set(seg.interviewees))
    return segments


def _counts(labels: np.ndarray, codes: np.ndarray, width: int, k: int) -> np.ndarray:
    """k x width: how many members of each segment have each code (code -1, a missing value, is not counted)."""
    flat = labels * (width + 1) + (codes.astype(np.int64) + 1)
    return np.bincount(flat, minlength=k * (width + 1)).reshape(k, width + 1)[:, 1:]


def _add_categories(
    segments: list[Segment],
    column: str,
    categories: list[str],
    counts: np.ndarray,
    sizes: np.ndarray,
    n: int,
    *,
    modes: bool = True,
) -> None:
    overall = counts.sum(axis=0) / max(n, 1)
    for i, seg in enumerate(segments):
        if not sizes[i]:
            continue
        shares = counts[i] / sizes[i]
        ranked = np.argsort(-shares, kind="stable")
        if modes and shares[ranked[0]] > 0:
            seg.modes[column] = categories[ranked[0]]
            seg.distributions[column] = {
                categories[j]: round(float(shares[j]), 4) for j in ranked[:25] if shares[j] >= 0.01
            }
        for j in ranked:
            share, base = float(shares[j]), float(overall[j])
            if share >= 0.25 and base > 0 and share / base >= 1.3:
                seg.categories.append(
                    {
                        "column": column,
                        "value": categories[j],
                        "share": round(share, 3),
                        "overall": round(base, 3),
                        "lift": round(share / base, 2),
                    }
                )


def _as_number(column: pd.Series) -> pd.Series:
    if isinstance(column.dtype, pd.CategoricalDtype):
        return column.cat.codes.astype("float64").where(column.cat.codes >= 0)
    return pd.to_numeric(column, errors="coerce").astype("float64")


def _round(value: float) -> float:
    return round(float(value), 2) if pd.notna(value) else 0.0


def _quotes(research: Research, members: set[str], limit: int = 5) -> list[dict[str, str]]:
    """Interview quotes from members of the segment (text columns only: personal columns are never read)."""
    out = []
    for sid in research.by_kind("interviews"):
        spec = research.specs[sid]
        frame = research.frames[sid]
        if not spec.key or spec.key not in frame:
            continue
        text_columns = [c for c in spec.roles("text") if c in frame and "quote" in c.lower()] or [
            c for c in spec.roles("text") if c in frame
        ][:1]
        if not text_columns:
            continue
        rows = frame[frame[spec.key].astype("string").isin(members)]
        for _, row in rows.iterrows():
            text = row[text_columns[0]]
            if pd.notna(text) and str(text).strip():
                out.append({"text": str(text).strip(), "source": sid, "respondent": str(row[spec.key])})
            if len(out) >= limit:
                return out
    return out


def _interviewed(research: Research) -> set[str]:
    keys: set[str] = set()
    for sid in research.by_kind("interviews"):
        key = research.specs[sid].key
        if key and key in research.frames[sid]:
            keys |= set(research.frames[sid][key].dropna().astype(str))
    return keys


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
    """Write segments.json, assignments.csv and report.md under build/segments/ (gitignored)."""
    from persona_map.research.report import markdown

    folder = root / RESULTS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    json_path = folder / "segments.json"
    json_path.write_text(json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    import pyarrow as pa
    import pyarrow.csv as pacsv

    keys = result.keys.astype("string") if not isinstance(result.keys.dtype, pd.StringDtype) else result.keys
    segment_ids = pa.array([s.id for s in result.segments]).take(pa.array(result.labels))
    pacsv.write_csv(
        pa.table({"key": pa.array(keys.array), "segment": segment_ids}), folder / "assignments.csv"
    )
    report = folder / "report.md"
    report.write_text(markdown(result), encoding="utf-8")
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
    from persona_map.research.manifest import load_manifest
    from persona_map.research.sources import load_research

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
