"""Segment profiles: size, over-represented categories, numeric differences, usage and quotes of each segment.

Counting works on category codes and `np.bincount`, so a million rows take a fraction of a second.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from persona_map.research.describe import summary
from persona_map.research.encoders import as_categorical, choice_indicators, choice_names
from persona_map.research.features import FeatureTable
from persona_map.research.interviews import language_notes, participant_turns, voices
from persona_map.research.segmentation import Segment
from persona_map.research.sources import Research

DIFFERENT = 0.3  # standard deviations from the overall mean that count as a difference worth reporting


def profiles(
    table: FeatureTable, research: Research, labels: np.ndarray, k: int
) -> tuple[list[Segment], list[str]]:
    """Size, over-represented categories, numeric differences, usage, themes and quotes of every segment.

    Also returns notes on what the data did not allow (interviews in another language, left out).

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
    for columns, attribute in ((numeric, "numbers"), (behaviour, "analytics")):
        for column in columns:
            values = _as_number(frame[column]).to_numpy(dtype=np.float64, na_value=np.nan)
            members = labels
            if np.isnan(values).any():
                ok = ~np.isnan(values)
                values, members = values[ok], labels[ok]
            if not len(values) or values.std() == 0:
                continue  # the same for everyone says nothing about any segment
            mean, std = values.mean(), values.std()
            sums = np.bincount(members, weights=values, minlength=k)
            counts = np.bincount(members, minlength=k)
            for i, seg in enumerate(segments):
                if counts[i]:
                    inside = sums[i] / counts[i]
                    z = float((inside - mean) / std)
                    if abs(z) >= DIFFERENT:
                        getattr(seg, attribute).append(
                            {
                                "column": column,
                                "mean": _round(inside),
                                "overall": _round(mean),
                                "z": round(z, 2),
                            }
                        )
    turns = participant_turns(research)
    index = pd.Index(frame.index.astype("string"))
    interviewed = index.isin(list(set(turns.keys)))
    segment_of = dict(zip(index[interviewed], labels[interviewed].tolist(), strict=True))
    heard = voices(turns, segment_of, k)
    for i, seg in enumerate(segments):
        seg.categories.sort(key=lambda c: (-c["lift"] * c["share"], c["column"], c["value"]))
        seg.categories = seg.categories[:8]
        seg.numbers.sort(key=lambda x: -abs(x["z"]))
        seg.analytics.sort(key=lambda x: -abs(x["z"]))
        seg.interviewees = sorted(key for key, label in segment_of.items() if label == i)
        seg.themes = heard.themes.get(i, [])
        seg.quotes = heard.quotes.get(i, [])
        seg.summary = summary(seg, table.meta)
    return segments, language_notes(turns)


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
