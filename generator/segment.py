"""`personas segment`: find the segments in the research, explain the choice and profile each segment."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from generator.cluster import AutoKClusterer, null_silhouette
from generator.features import FeatureTable, build_table, choice_shares, make_preprocessor
from generator.repository import Repository
from generator.research import Research
from generator.results import RESULTS_DIR, fingerprint, load_saved  # noqa: F401 - re-exported

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
    fit_sample: int = 50_000
    score_sample: int = 4_000
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
    members: list[str] = field(default_factory=list, repr=False)


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

    @property
    def stability_mean(self) -> float:
        return float(np.mean(self.stability)) if self.stability else 0.0

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["scores"] = {str(k): v for k, v in self.scores.items()}
        for segment in data["segments"]:
            segment.pop("members")
        return data


def segment(research: Research, options: SegmentOptions, inputs: str = "", progress: Progress | None = None,
            today: date | None = None) -> SegmentResult:
    """Cluster the respondents, choose k, measure stability and profile every segment."""
    step = progress or (lambda _: None)
    step("joining sources")
    table = build_table(research)
    step("building features")
    pre = make_preprocessor(table)
    X = pre.fit_transform(table.frame)
    step("choosing k")
    clusterer = AutoKClusterer(options.k_min, options.k_max, options.method, options.fit_sample,
                               options.score_sample, random_state=options.seed).fit(X)
    step("checking stability")
    stability = clusterer.stability(X, options.resamples)
    null = null_silhouette(X, clusterer, options.seed)
    warnings = _warnings(clusterer, stability, null)
    step("profiling segments")
    labels = clusterer.labels_
    order = np.argsort(-np.bincount(labels, minlength=clusterer.n_clusters_), kind="stable")
    rename = {int(old): new for new, old in enumerate(order)}
    labels = np.vectorize(rename.get)(labels) if len(labels) else labels
    segments = _profiles(table, research, labels, clusterer.n_clusters_)
    return SegmentResult(
        created=(today or date.today()).isoformat(),
        inputs=inputs,
        options=asdict(options),
        respondents=len(table.frame),
        features=X.shape[1],
        k=clusterer.n_clusters_,
        scores=clusterer.scores_,
        null_silhouette=null,
        stability=stability,
        weak=bool(warnings),
        warnings=warnings,
        segments=segments,
        model=_model(pre, clusterer, order, table),
    )


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
    frame = table.frame
    total = len(frame)
    segments = []
    categorical = table.columns("categorical", "ordinal")
    numeric = [c for c in table.columns("numeric", "ordinal", "likert") if ":" not in c]
    behaviour = [c for c in table.columns("numeric") if ":" in c]
    multi = table.columns("multi-select")
    numbers = frame[numeric + behaviour].apply(_as_number)
    overall_mean, overall_std = numbers.mean(), numbers.std(ddof=0).replace(0, 1.0)
    overall_share = {c: frame[c].astype("string").value_counts(normalize=True) for c in categorical}
    multi_share = {c: _choices(frame[c], table.separators.get(c, ";")) for c in multi}
    for index in range(k):
        mask = labels == index
        members = frame.index[mask]
        seg = Segment(f"S{index + 1}", int(mask.sum()), round(float(mask.mean()), 4) if total else 0.0)
        for column in categorical:
            inside = frame.loc[mask, column].astype("string").value_counts(normalize=True)
            if len(inside):
                seg.modes[column] = str(inside.index[0])
                seg.distributions[column] = {str(v): round(float(x), 4) for v, x in inside.head(25).items() if x >= 0.01}
            for value, share in inside.items():
                base = float(overall_share[column].get(value, 0.0))
                if share >= 0.25 and base > 0 and share / base >= 1.3:
                    seg.categories.append({"column": column, "value": str(value), "share": round(float(share), 3),
                                           "overall": round(base, 3), "lift": round(float(share / base), 2)})
        for column in multi:
            inside = _choices(frame.loc[mask, column], table.separators.get(column, ";"))
            for value, share in inside.items():
                base = float(multi_share[column].get(value, 0.0))
                if share >= 0.25 and base > 0 and share / base >= 1.3:
                    seg.categories.append({"column": column, "value": str(value), "share": round(float(share), 3),
                                           "overall": round(base, 3), "lift": round(float(share / base), 2)})
        seg.categories.sort(key=lambda c: (-c["lift"] * c["share"], c["column"], c["value"]))
        seg.categories = seg.categories[:8]
        means = numbers[mask].mean()
        for column in numeric:
            z = float((means[column] - overall_mean[column]) / overall_std[column])
            if abs(z) >= 0.3:
                seg.numbers.append({"column": column, "mean": _round(means[column]), "overall": _round(overall_mean[column]), "z": round(z, 2)})
        seg.numbers.sort(key=lambda n: -abs(n["z"]))
        for column in behaviour:
            z = float((means[column] - overall_mean[column]) / overall_std[column])
            seg.analytics.append({"column": column, "mean": _round(means[column]), "overall": _round(overall_mean[column]), "z": round(z, 2)})
        seg.analytics.sort(key=lambda n: -abs(n["z"]))
        seg.members = [str(m) for m in members]
        seg.quotes = _quotes(research, set(seg.members))
        seg.interviewees = sorted(set(seg.members) & _interviewed(research))
        segments.append(seg)
    return segments


def _as_number(column: pd.Series) -> pd.Series:
    if isinstance(column.dtype, pd.CategoricalDtype):
        return column.cat.codes.astype("float64").where(column.cat.codes >= 0)
    return pd.to_numeric(column, errors="coerce").astype("float64")


def _choices(column: pd.Series, separator: str) -> pd.Series:
    return choice_shares(column, separator)


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
        text_columns = [c for c in spec.roles("text") if c in frame and "quote" in c.lower()] or [c for c in spec.roles("text") if c in frame][:1]
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
            encoders.append({"kind": "one-hot", "columns": list(columns), "categories": transformer.categories_})
        elif hasattr(transformer, "choices_"):
            encoders.append({"kind": "multi-select", "columns": list(columns), "separator": transformer.separator,
                             "choices": transformer.choices_})
        else:
            encoders.append({"kind": "scaled", "columns": list(columns), "median": transformer.median_.round(6).tolist(),
                             "mean": transformer.mean_.round(6).tolist(), "scale": transformer.scale_.round(6).tolist()})
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
    from generator.segment_report import markdown

    folder = root / RESULTS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    json_path = folder / "segments.json"
    json_path.write_text(json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    rows = [(m, s.id) for s in result.segments for m in s.members]
    pd.DataFrame(rows, columns=["key", "segment"]).to_csv(folder / "assignments.csv", index=False)
    report = folder / "report.md"
    report.write_text(markdown(result), encoding="utf-8")
    return json_path, report


def run(repo: Repository, today: date, k_min: int | None, k_max: int | None, method: str, seed: int,
        progress: Progress | None = None) -> tuple[SegmentResult | None, tuple[Path, Path] | None, list]:
    """Load and validate the research, segment it and save the results; findings explain any failure."""
    from generator.manifest import load_manifest
    from generator.research import load_research

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
