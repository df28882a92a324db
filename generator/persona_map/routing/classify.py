"""`classify`: route CRM contacts to personas by the rules in the persona files and the research model.

Rules (`spec.classification` of each persona; every contact is held against every persona):

- A title phrase must match: the normalised phrase occurs in the normalised title as whole consecutive
  words (generator/persona_map/routing/titles.py). A matching `exclude_titles` phrase rules the persona out.
- Every attribute the contact has AND the rule lists (seniority, department, company size, industry)
  either fits, adding 0.1, or conflicts, ruling the persona out: a persona that lists company sizes means
  those sizes. A seniority column wins over the title; when it is missing or unreadable, the seniority the
  title implies can rule a persona out ("Platform Engineering Intern" is entry level) but adds nothing,
  because the title already counted. A department or industry fits when it or a listed phrase contains
  the other as whole words. A company size fits when every band it overlaps is listed and conflicts when
  none is ("1000+" overlaps listed and unlisted bands: neither).
- confidence = 0.6 for the title + 0.1 per fitting attribute, at most 1.
- The best persona has the highest confidence, then the longest matching phrase (in words), then the
  higher `priority`. Personas equal on all three leave the contact unassigned ("ambiguous: X or Y"), as
  does a best confidence below `min_confidence`. Unassigned contacts get confidence 0, never a guess.

Research model (the last `personas segment`, see `load_model`):

- A contact that carries every column the segmentation used (its `title` stands in for the research's
  `job_title`), at most half of them empty, is placed in the nearest segment (generator/persona_map/routing/model.py), which
  stands for the persona `personas suggest` pairs it with. The model's confidence is the nearest
  segment's membership against the runner-up, d2^2 / (d1^2 + d2^2) for the squared distances to the two
  nearest centres: 1 at a centre, 0.5 halfway between two. It counts when it reaches `min_confidence`
  and at least MODEL_MIN_CONFIDENCE (0.6, what a title match alone scores).
- Rules win when they match confidently: a model that agrees adds 0.1, one that disagrees is named in the
  reason. When no rule matches confidently (or rules tie, or there is no title), a confident model's
  persona is used; otherwise the contact stays unassigned.

Speed: each distinct value of a column is normalised and matched once (titles repeat a lot in CRM
exports); the rows are combined with numpy and the reasons assembled with Arrow.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from persona_map.errors import ClassifyError
from persona_map.persona import Persona
from persona_map.routing.model import SegmentFit, load_model, model_labels, nearest_segment, segment_personas
from persona_map.routing.reasons import reasons
from persona_map.routing.rules import (
    ATTRIBUTE_POINTS,
    ATTRIBUTES,
    CONFLICT,
    FITS,
    MAX_POINTS,
    TITLE_POINTS,
    UNASSIGNED,
    UNKNOWN,
    Rule,
    band_status,
    first_match,
    padded,
    phrase_status,
    rules_from_personas,
    search_order,
    size_bands,
    size_status,
)
from persona_map.routing.titles import SENIORITY_BANDS, seniority, seniority_band, tokens

__all__ = [
    "COLUMNS",
    "UNASSIGNED",
    "ClassifyError",
    "Rule",
    "classify",
    "load_model",
    "model_labels",
    "rules_from_personas",
    "segment_personas",
]

COLUMNS = ("persona_id", "persona_name", "confidence", "reason")
MEMO_SIZE = 200_000  # distinct titles remembered per rule between calls
MODEL_MIN_CONFIDENCE = 0.6  # the model must be as sure as a title match alone


def classify(
    frame: pd.DataFrame,
    rules: list[Rule] | None = None,
    *,
    personas: list[Persona] | None = None,
    model: dict[str, Any] | None = None,
    min_confidence: float = 0.5,
) -> pd.DataFrame:
    """persona_id, persona_name, confidence (0-1) and reason for every contact, on the frame's index."""
    if "title" not in frame.columns:
        raise ClassifyError("contacts have no 'title' column (map the job-title column to 'title')")
    if rules is None:
        if personas is None:
            raise ClassifyError("classify needs rules or personas")
        rules = rules_from_personas(personas)
    targets = [(r.persona_id, r.persona_name) for r in rules]
    targets += [(p.id, p.name) for p in personas or [] if p.id not in {t[0] for t in targets}]
    scores = _score(frame, rules)
    choice = _model_choice(frame, model, personas, targets, min_confidence) if model is not None else None
    return _decide(frame.index, rules, targets, scores, choice, min_confidence)


# ---------------------------------------------------------------- rules, once per distinct value


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


@dataclass
class Scores:
    """Every rule's outcome: R x T tables per distinct title, R x M arrays for the M rows rules can take."""

    codes: dict[str, np.ndarray]  # per column: each row's code into its distinct values
    values: dict[str, list[str]]  # per column: the distinct values ('' last)
    bands: list[str | None]  # per distinct seniority value: its band
    inferred: list[str | None]  # per distinct title: the seniority it implies
    phrase: np.ndarray  # R x T: longest matching title phrase, -1 for none
    length: np.ndarray  # R x T: its length in words, -1 for none
    excluded: np.ndarray  # R x T: matching exclude phrase, -1 for none
    rows: np.ndarray  # M: the rows whose title contains some rule's phrase
    statuses: np.ndarray  # 4 x R x M: UNKNOWN / FITS / CONFLICT per attribute
    points: np.ndarray  # R x M
    key: np.ndarray  # R x M: rank among the eligible rules, -1 when not eligible
    empty: np.ndarray  # N: the title has no words


def _score(frame: pd.DataFrame, rules: list[Rule]) -> Scores:
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


# ---------------------------------------------------------------- the research model


@dataclass
class Choice:
    """The model's say for every row, with the targets its segments map to."""

    fit: SegmentFit
    mapped: np.ndarray  # per segment: index into the targets, -1 when no persona stands for it
    segments: list[str]
    confident: np.ndarray  # N: eligible, mapped and membership >= min_confidence

    @property
    def target(self) -> np.ndarray:
        return np.where(self.fit.eligible, self.mapped[self.fit.segment], -1)


def _model_choice(
    frame: pd.DataFrame,
    model: dict[str, Any],
    personas: list[Persona] | None,
    targets: list[tuple[str, str]],
    min_confidence: float,
) -> Choice:
    mapping = model.get("segment_personas")
    if mapping is None:
        if personas is None:
            raise ClassifyError(
                "a model needs the personas to map its segments to personas (or use load_model)"
            )
        mapping = segment_personas(personas, model)
    fit = nearest_segment(frame, model)
    index = {persona_id: i for i, (persona_id, _) in enumerate(targets)}
    segments = [s["id"] for s in model["segments"]]
    mapped = np.array([index.get(mapping.get(s, ""), -1) for s in segments], dtype=np.int64)
    choice = Choice(fit, mapped, segments, np.zeros(len(frame), dtype=bool))
    choice.confident = (choice.target >= 0) & (fit.membership >= max(min_confidence, MODEL_MIN_CONFIDENCE))
    return choice


# ---------------------------------------------------------------- decisions


@dataclass
class Rows:
    """Per row: the best rule and how the contact was decided."""

    best: np.ndarray  # the best rule (the first of ties)
    second: np.ndarray  # the second of ties
    ties: np.ndarray  # how many rules share the best rank
    points: np.ndarray  # the best rule's points
    chosen: np.ndarray  # exactly one rule is best
    by_rule: np.ndarray  # ... and it is confident enough
    by_model: np.ndarray  # the model decides


def _rows(scores: Scores, choice: Choice | None, min_confidence: float) -> Rows:
    n = len(scores.empty)
    best, second, ties, points = (np.zeros(n, dtype=np.int64) for _ in range(4))
    r_count, m = scores.key.shape
    if r_count and m:
        top = scores.key.max(axis=0)
        tie = (scores.key == top) & (top >= 0)
        first = tie.argmax(axis=0)
        best[scores.rows], ties[scores.rows] = first, tie.sum(axis=0)
        points[scores.rows] = scores.points[first, np.arange(m)]
        tie[first, np.arange(m)] = False
        second[scores.rows] = tie.argmax(axis=0)
    chosen = ~scores.empty & (ties == 1)
    by_rule = chosen & ~(points / 100 < min_confidence)
    by_model = choice.confident & ~by_rule if choice is not None else np.zeros(n, dtype=bool)
    return Rows(best, second, ties, points, chosen, by_rule, by_model)


def _decide(
    index: pd.Index,
    rules: list[Rule],
    targets: list[tuple[str, str]],
    scores: Scores,
    choice: Choice | None,
    min_confidence: float,
) -> pd.DataFrame:
    rows = _rows(scores, choice, min_confidence)
    confidence = np.where(rows.by_rule, rows.points / 100, 0.0)
    final = np.where(rows.by_rule, rows.best, -1)
    if choice is not None:
        agrees = rows.by_rule & choice.confident & (choice.target == rows.best)
        confidence = np.where(agrees, np.minimum(confidence + 0.1, 1.0), confidence)
        confidence = np.where(rows.by_model, choice.fit.membership, confidence)
        final = np.where(rows.by_model, choice.target, final)
    slot = pa.array(np.where(final >= 0, final, len(targets)))
    ids = pa.array([t[0] for t in targets] + [UNASSIGNED], type=pa.string()).take(slot)
    names = pa.array([t[1] for t in targets] + [""], type=pa.string()).take(slot)
    return pd.DataFrame(
        {
            "persona_id": pd.arrays.ArrowStringArray(ids),
            "persona_name": pd.arrays.ArrowStringArray(names),
            "confidence": np.round(confidence, 2),
            "reason": pd.arrays.ArrowStringArray(
                reasons(rules, targets, scores, choice, rows, min_confidence)
            ),
        },
        index=index,
    )
