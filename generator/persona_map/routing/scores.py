"""The rules' scores for a table of contacts, each distinct value of a column matched once.

Titles repeat a lot in CRM exports, so every distinct title, department, size and industry is normalised and
held against every rule once; numpy then spreads those outcomes over the rows. The scoring itself is described
in generator/persona_map/routing/classify.py.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from persona_map.routing.outcomes import Scores
from persona_map.routing.rules import (
    ATTRIBUTE_POINTS,
    ATTRIBUTES,
    CONFLICT,
    FITS,
    MAX_POINTS,
    TITLE_POINTS,
    UNKNOWN,
    Rule,
    band_status,
    first_match,
    padded,
    phrase_status,
    search_order,
    size_bands,
    size_status,
)
from persona_map.routing.titles import SENIORITY_BANDS, seniority, seniority_band, tokens

MEMO_SIZE = 200_000  # distinct titles remembered per rule between calls


def score(frame: pd.DataFrame, rules: list[Rule]) -> Scores:
    """How every rule judges every contact: title matches, attribute statuses, points and rank."""
    codes, values = {}, {}
    for column in ("title", *ATTRIBUTES):
        codes[column], values[column] = _distinct(frame, column)
    words = [tokens(v) for v in values["title"]]
    inferred = [seniority(v) for v in values["title"]]
    bands = [seniority_band(v) if v else None for v in values["seniority"]]
    texts = [padded(w) for w in words]
    phrase, excluded = _matching(rules, texts, "titles"), _matching(rules, texts, "exclude_titles")
    lengths = [np.array([len(p) for p in r.titles] + [-1]) for r in rules]  # index -1: no phrase
    length = np.array([lengths[i][row] for i, row in enumerate(phrase)], dtype=np.int64).reshape(phrase.shape)
    rows = np.flatnonzero((phrase >= 0).any(axis=0)[codes["title"]])  # rules cannot take the others
    sub = {column: code[rows] for column, code in codes.items()}
    sizes = [size_bands(v) for v in values["company_size"]]
    statuses = np.stack(
        [
            _seniority(rules, sub, bands, inferred),
            _spread(
                rules, values["department"], sub["department"], lambda r, v: phrase_status(r.departments, v)
            ),
            _spread(rules, sizes, sub["company_size"], lambda r, b: size_status(r.company_sizes, b)),
            _spread(rules, values["industry"], sub["industry"], lambda r, v: phrase_status(r.industries, v)),
        ]
    ).reshape(len(ATTRIBUTES), len(rules), len(rows))
    points = np.minimum(
        TITLE_POINTS + ATTRIBUTE_POINTS * (statuses == FITS).sum(axis=0, dtype=np.int64), MAX_POINTS
    )
    priority = np.array([r.priority for r in rules], dtype=np.int64)[:, None]
    base = np.where((phrase >= 0) & (excluded < 0), length * 1_000 + priority, -1)  # per distinct title
    t = sub["title"]
    key = np.where(
        (base[:, t] >= 0) & ~(statuses == CONFLICT).any(axis=0), points * 1_000_000 + base[:, t], -1
    )
    empty = np.array([not w for w in words])[codes["title"]]
    return Scores(
        codes, values, bands, inferred, phrase, length, excluded, rows, statuses, points, key, empty
    )


def _seniority(
    rules: list[Rule], codes: dict[str, np.ndarray], bands: list[str | None], inferred: list[str | None]
) -> np.ndarray:
    """rules x rows: a seniority column decides; without one, the title's seniority can only rule out."""
    given = _matrix(rules, bands, lambda r, b: band_status(r.seniority, b))
    bands_and_none = [*SENIORITY_BANDS, None]
    implied = _matrix(
        rules, bands_and_none, lambda r, b: CONFLICT if band_status(r.seniority, b) == CONFLICT else UNKNOWN
    )
    by_title = np.array([SENIORITY_BANDS.index(b) if b else len(SENIORITY_BANDS) for b in inferred])
    known = np.array([b is not None for b in bands])[codes["seniority"]]
    return np.where(known[None, :], given[:, codes["seniority"]], implied[:, by_title[codes["title"]]])


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a size column read as floats: 350.0 -> "350"
    return value if isinstance(value, str) else str(value)


def _distinct(frame: pd.DataFrame, column: str) -> tuple[np.ndarray, list[str]]:
    """Every row's code into the column's distinct values; the last value, '', stands for empty."""
    if column not in frame.columns:
        return np.zeros(len(frame), dtype=np.intp), [""]
    codes, uniques = pd.factorize(frame[column], use_na_sentinel=True)
    values = [_text(v) for v in uniques.tolist()]
    return np.where(codes < 0, len(values), codes), [*values, ""]


def _matrix(rules: list[Rule], values: list[Any], cell: Callable[[Rule, Any], int]) -> np.ndarray:
    """rules x values table of `cell(rule, value)` (a status)."""
    return np.array([[cell(r, v) for v in values] for r in rules], dtype=np.int8).reshape(
        len(rules), len(values)
    )


def _spread(
    rules: list[Rule], values: list[Any], codes: np.ndarray, cell: Callable[[Rule, Any], int]
) -> np.ndarray:
    """rules x rows: `cell(rule, value)` computed once per distinct value, then given to its rows."""
    return _matrix(rules, values, cell)[:, codes]


@lru_cache(maxsize=256)
def _memo(rule: Rule, field: str) -> dict[str, int]:
    """What each title matched of a rule's `field` phrases, kept across calls: CSV chunks repeat titles."""
    return {}


def _matching(rules: list[Rule], texts: list[str], field: str) -> np.ndarray:
    """rules x titles: the longest of the rule's `field` phrases in each padded title, -1 for none."""
    out = np.empty((len(rules), len(texts)), dtype=np.int64)
    for r, rule in enumerate(rules):
        memo = _memo(rule, field)
        if len(memo) > MEMO_SIZE:
            memo.clear()
        order = search_order(getattr(rule, field))
        for text in texts:
            if text not in memo:
                memo[text] = first_match(order, text)
        out[r] = [memo[text] for text in texts]
    return out
