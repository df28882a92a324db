"""Segment profiles in words people use: labels instead of column names, answers instead of codes.

An ordinal answer is shown by its level's name ("manager", not 0.69), a Likert answer as "3.8 of 5", a share
as a percentage, a recency in days; every column by its manifest label. Each segment gets one plain sentence
a product manager can paste into a persona. The report, `personas suggest` and the research page all use
these, so a segment reads the same everywhere.
"""

from __future__ import annotations

from typing import Any

Meta = dict[str, dict[str, Any]]


def label(column: str, meta: Meta) -> str:
    """The column's label from the manifest (or a readable form of its name)."""
    known = meta.get(column, {}).get("label")
    if known:
        return str(known)
    return column.split(":", 1)[-1].replace("_", " ")


def value(column: str, number: float, meta: Meta) -> str:
    """A segment mean (or the overall mean) of a column, as an answer people recognise."""
    info = meta.get(column, {})
    role, kind = info.get("role"), info.get("kind")
    if role == "ordinal" and info.get("levels"):
        levels = info["levels"]
        return f"'{levels[min(max(round(number), 0), len(levels) - 1)]}'"
    if role == "likert" and info.get("scale"):
        return f"{number:.1f} of {info['scale'][1]}"
    if kind == "share":
        return f"{number:.0%}"
    if kind == "recency":
        return f"{number:,.0f} days"
    if abs(number) >= 100 or number == int(number):
        return f"{number:,.0f}"
    return f"{number:.1f}" if abs(number) >= 10 else f"{number:.2f}"


def direction(entry: dict[str, Any], meta: Meta) -> str:
    """'higher' or 'lower'; for a recency, 'less recent' or 'more recent'."""
    if meta.get(entry["column"], {}).get("kind") == "recency":
        return "less recent" if entry["z"] > 0 else "more recent"
    return "higher" if entry["z"] > 0 else "lower"


def difference(entry: dict[str, Any], meta: Meta) -> str:
    """'Deploys per week: 9.2 here vs 4.1 overall (higher)'."""
    column = entry["column"]
    return (
        f"{label(column, meta)}: {value(column, entry['mean'], meta)} here vs "
        f"{value(column, entry['overall'], meta)} overall ({direction(entry, meta)})"
    )


def category(entry: dict[str, Any], meta: Meta) -> str:
    """'Department: Platform Engineering, 76% here vs 25% overall'."""
    return (
        f"{label(entry['column'], meta)}: {entry['value']}, {entry['share']:.0%} here vs "
        f"{entry['overall']:.0%} overall"
    )


def summary(segment: Any, meta: Meta) -> str:
    """One plain sentence on what sets the segment apart (or that nothing does)."""
    traits = [
        f"{c['value']} ({label(c['column'], meta)}, {c['share']:.0%} vs {c['overall']:.0%} overall)"
        for c in segment.categories[:2]
    ]
    numbers = sorted([*segment.numbers, *segment.analytics], key=lambda n: -abs(n["z"]))[: 1 if traits else 2]
    phrases = [
        f"{_lower(label(n['column'], meta))} {value(n['column'], n['mean'], meta)} "
        f"(vs {value(n['column'], n['overall'], meta)} overall)"
        for n in numbers
    ]
    if not traits and not phrases:
        return "Close to average on everything measured: no answer or number sets this segment apart."
    sentence = "; ".join(
        [*(["Mostly " + " and ".join(traits)] if traits else []), " and ".join(phrases)]
        if phrases
        else ["Mostly " + " and ".join(traits)]
    )
    return sentence[0].upper() + sentence[1:] + "."


def _lower(text: str) -> str:
    """'Deploys per week' -> 'deploys per week' mid-sentence; 'NPS' stays 'NPS'."""
    return (
        text[0].lower() + text[1:]
        if text[:2].istitle() or (text[:1].isupper() and text[1:2].islower())
        else text
    )
