"""The default engine: every row in this process, read, fitted on a sample, assigned and counted in chunks."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from persona_map.errors import SegmentError
from persona_map.memory import release_memory
from persona_map.research.cluster import fit_labels
from persona_map.research.features import build_table
from persona_map.research.fit import (
    Checks,
    Fitted,
    clusterer,
    column_notes,
    fitting,
    model_export,
    ranked,
    result,
    stability_checks,
)
from persona_map.research.profiles import profiles
from persona_map.research.sampling import sample_positions
from persona_map.research.segmentation import Progress, SegmentOptions, SegmentResult
from persona_map.research.sources import Research
from persona_map.research.structure import assess_structure
from persona_map.research.text_segments import interview_features, interview_profiles


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
        raise too_few(n)
    sample = sample_positions(n, options.fit_sample, options.seed)
    release_memory()  # what reading and joining freed
    fitted = Fitted(table.with_frame(_rows(table.frame, sample)), options, step)
    step("checking stability, assigning every respondent")
    # The checks run on their own threads while every row is assigned and the segments are profiled.
    raw = fitted.clusterer.labels_ if len(sample) == n else fitted.assign(table.frame)
    release_memory()
    order, labels = ranked(raw, fitted.k)
    step("profiling segments")
    segments, notes = profiles(table, research, labels, fitted.k)
    return result(
        options, inputs, today, fitted.clusterer, fitted.checks(),
        respondents=n, features=fitted.X.shape[1], segments=segments,
        model=model_export(fitted.pre, fitted.clusterer, order, table), columns=column_notes(table), notes=notes,
        unit="respondents" if research.specs[table.base].kind == "survey" else "accounts",
        keys=table.frame.index, labels=labels,
    )  # fmt: skip


def _segment_interviews(
    research: Research, options: SegmentOptions, inputs: str, step: Progress, today: date | None
) -> SegmentResult:
    """Interview-only research: participants segmented by their own words, with the same honesty checks."""
    step("reading the participants' words")
    keys, X, turns = interview_features(research, options.seed)
    ks = range(min(options.k_min, len(keys) - 1), min(options.k_max, len(keys) - 1) + 1)
    step("choosing k")
    with fitting(options.method):
        found = assess_structure(X, ks, fit_labels(options.method), options.seed)
        chosen = clusterer(options, ks).fit(X)
        step("checking stability")
        stability, by_k = stability_checks(chosen, X, options)
    _, labels = ranked(chosen.labels_, chosen.n_clusters_)
    step("profiling segments")
    segments, notes = interview_profiles(turns, keys, labels, chosen.n_clusters_)
    return result(
        options, inputs, today, chosen, Checks(found, stability, by_k),
        respondents=len(keys), features=X.shape[1], segments=segments,
        model={},  # words are not in a CRM export: contacts are routed by the rules alone
        notes=notes, unit="participants", keys=keys, labels=labels,
    )  # fmt: skip


def _rows(frame: pd.DataFrame, positions: np.ndarray) -> pd.DataFrame:
    """The rows at `positions`, taken column by column (the frame's index is not taken: nothing reads it)."""
    return pd.DataFrame(
        {name: frame[name].take(positions).reset_index(drop=True) for name in frame}, copy=False
    )


def too_few(n: int) -> SegmentError:
    """The error for research with fewer than three respondents (every engine's)."""
    return SegmentError(f"{n} respondent{'s' if n != 1 else ''} in the research: segmenting needs at least 3")
