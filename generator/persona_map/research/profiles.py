"""Segment profiles: size, over-represented categories, numeric differences, usage, themes and quotes.

Profiles are read off a tally (research.tally): of the whole table at once by the default engine, or the
sum of every partition's tally by the Dask engine; both give the same profiles.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from persona_map.research.describe import summary
from persona_map.research.features import FeatureTable
from persona_map.research.interviews import Turns, language_notes, participant_turns, voices
from persona_map.research.segmentation import Segment
from persona_map.research.sources import Research
from persona_map.research.tally import Columns, Tally, tally

DIFFERENT = 0.3  # standard deviations from the overall mean that count as a difference worth reporting


def tallied_columns(table: FeatureTable) -> Columns:
    """What a tally of this table counts: categories, choices and numbers."""
    return Columns(
        table.columns("categorical", "ordinal"),
        {c: table.separators.get(c, ";") for c in table.columns("multi-select")},
        table.columns("numeric", "ordinal", "likert"),
    )


def profiles(
    table: FeatureTable, research: Research, labels: np.ndarray, k: int
) -> tuple[list[Segment], list[str]]:
    """Size, over-represented categories, numeric differences, usage, themes and quotes of every segment.

    Also returns notes on what the data did not allow (interviews in another language, left out).
    """
    turns = participant_turns(research)
    counted = tally(table.frame, labels, k, tallied_columns(table), turns.keys)
    return segments_from(counted, table, turns), language_notes(turns)


def segments_from(counted: Tally, table: FeatureTable, turns: Turns) -> list[Segment]:
    """The segments a tally describes, with the themes and quotes of their interviewed members."""
    k, sizes = counted.k, counted.sizes
    n = int(sizes.sum())
    segments = [
        Segment(f"S{i + 1}", int(sizes[i]), round(float(sizes[i] / n), 4) if n else 0.0) for i in range(k)
    ]
    choices = set(table.columns("multi-select"))
    for column, values in counted.counts.items():
        names = list(values)
        counts = np.column_stack([values[v] for v in names]) if names else np.zeros((k, 0))
        _add_categories(segments, column, names, counts, sizes, n, modes=column not in choices)
    for column, (sums, squares, present) in counted.moments.items():
        total = present.sum()
        if not total:
            continue
        mean = sums.sum() / total
        std = np.sqrt(max(squares.sum() / total - mean * mean, 0.0))
        if std <= 1e-12 * max(abs(mean), 1.0):
            continue  # the same for everyone says nothing about any segment
        attribute = "analytics" if ":" in column else "numbers"
        for i, seg in enumerate(segments):
            if present[i]:
                inside = sums[i] / present[i]
                z = float((inside - mean) / std)
                if abs(z) >= DIFFERENT:
                    getattr(seg, attribute).append(
                        {"column": column, "mean": _round(inside), "overall": _round(mean), "z": round(z, 2)}
                    )
    heard = voices(turns, counted.interviewed, k)
    for i, seg in enumerate(segments):
        seg.categories.sort(key=lambda c: (-c["lift"] * c["share"], c["column"], c["value"]))
        seg.categories = seg.categories[:8]
        seg.numbers.sort(key=lambda x: -abs(x["z"]))
        seg.analytics.sort(key=lambda x: -abs(x["z"]))
        seg.interviewees = sorted(key for key, label in counted.interviewed.items() if label == i)
        seg.themes = heard.themes.get(i, [])
        seg.quotes = heard.quotes.get(i, [])
        seg.summary = summary(seg, table.meta)
    return segments


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
        if not sizes[i] or not len(categories):
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


def _round(value: float) -> float:
    return round(float(value), 2) if pd.notna(value) else 0.0
