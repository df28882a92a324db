"""The `reason` column of `classify`: a sentence per contact, each distinct sentence written once.

Rows are grouped by what their reason depends on (title, rule, attribute values), each group's text is
made once with the phrasing of generator/persona_map/routing/rules.py, so `classify` and `route` explain a contact the same
way, and Arrow copies the texts to the rows and joins the parts.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from persona_map.routing.outcomes import Choice, Rows, Scores
from persona_map.routing.rules import (
    ATTRIBUTES,
    CONFLICT,
    FITS,
    Rule,
    ambiguous_text,
    below_text,
    conflict_text,
    culprit_text,
    excluded_text,
    fit_text,
    match_text,
    no_match_text,
)
from persona_map.routing.titles import SENIORITY_BANDS


class Texts:
    """Texts made once per distinct key, and every row's index into them (-1: none)."""

    def __init__(self, n: int) -> None:
        self.texts: list[str] = []
        self.index = np.full(n, -1, dtype=np.int64)

    def add(self, mask: np.ndarray, columns: list[np.ndarray], make: Callable[..., str]) -> None:
        """Give the rows of `mask` that have no text yet `make(*key)`, key being their non-negative columns."""
        rows = np.flatnonzero(mask & (self.index < 0))
        self.add_at(rows, [np.asarray(c)[rows] for c in columns], make)

    def add_at(self, rows: np.ndarray, columns: list[np.ndarray], make: Callable[..., str]) -> None:
        """Like `add` for the given rows (without text yet), with the columns' values for those rows."""
        picked = [np.asarray(c, dtype=np.int64) for c in columns]
        radices = [int(c.max()) + 1 if len(c) else 1 for c in picked]
        key = np.zeros(len(rows), dtype=np.int64)
        for column, radix in zip(picked, radices, strict=True):
            key = key * radix + column
        codes, uniques = pd.factorize(key)
        offset = len(self.texts)
        for combined in uniques.tolist():
            parts = []
            for radix in reversed(radices):
                combined, part = divmod(combined, radix)
                parts.append(part)
            self.texts.append(make(*reversed(parts)))
        self.index[rows] = codes + offset


def joined(head: Texts, why: Texts, rest: list[Texts]) -> pa.Array:
    """head + ' ' + why, then '; ' and the rest: joined by Arrow once per distinct combination."""
    parts = [head, why, *rest]
    codes, first = _groups([part.index for part in parts], [len(part.texts) + 1 for part in parts])
    strings = []
    for part in parts:
        index = part.index[first]
        strings.append(pa.array(part.texts, type=pa.string()).take(pa.array(index, mask=index < 0)))
    sentence = pc.binary_join_element_wise(strings[0], strings[1], " ", null_handling="skip")
    return pc.binary_join_element_wise(sentence, *strings[2:], "; ", null_handling="skip").take(
        pa.array(codes)
    )


def _groups(columns: list[np.ndarray], radices: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Each row's group (by its values in the columns, all >= -1) and the first row of every group."""
    if math.prod(radices) < 2**62:
        key = np.zeros(len(columns[0]), dtype=np.int64)
        for column, radix in zip(columns, radices, strict=True):
            key = key * radix + column + 1
        codes, _ = pd.factorize(key)
    else:  # pragma: no cover - millions of distinct titles and values at once
        codes = pd.DataFrame(dict(enumerate(columns))).groupby(list(range(len(columns))), sort=False).ngroup()
        codes = codes.to_numpy()
    # codes number groups in order of appearance, so the running maximum rises at each group's first row
    first = np.flatnonzero(np.diff(np.maximum.accumulate(codes), prepend=-1) > 0)
    return codes, first


def reasons(
    rules: list[Rule],
    targets: list[tuple[str, str]],
    scores: Scores,
    choice: Choice | None,
    rows: Rows,
    min_confidence: float,
) -> pa.Array:
    """One reason per row: what decided it, what fitted, and what the model says."""
    n = len(rows.best)
    t, titles = scores.codes["title"], scores.values["title"]
    described = rows.chosen & ~rows.by_model  # a rule's match explains the row (maybe below the minimum)
    undecided = ~scores.empty & ~rows.chosen & ~rows.by_model
    head, why = Texts(n), Texts(n)
    head.add(
        described,
        [t, rows.best],
        lambda ti, r: match_text(titles[ti], rules[r].title_text[scores.phrase[r, ti]]),
    )
    if choice is not None:
        head.add(rows.by_model, [choice.fit.segment], lambda s: _segment(choice, targets, s))
    head.add(scores.empty, [], lambda: "no title")
    head.add(
        undecided & (rows.ties > 1),
        [rows.best, rows.second, rows.ties - 2],
        lambda a, b, more: ambiguous_text(rules[a].persona_id, rules[b].persona_id, more),
    )
    _culprits(head, why, rules, scores, undecided & (rows.ties == 0))
    head.add(undecided, [t], lambda ti: no_match_text(titles[ti]))
    fits = Texts(n)
    columns = [_fitting(scores, rows, described, a) for a in range(len(ATTRIBUTES))]
    fits.add(np.any(columns, axis=0), columns, lambda *codes: _fits(scores, codes))
    below = described & ~rows.by_rule
    tail = Texts(n)
    tail_columns = [np.where(below, rows.points, 0), *_notes(choice, rows, ~rows.by_rule & ~rows.by_model, n)]
    tail.add(
        np.any(tail_columns[:2], axis=0),
        tail_columns,
        lambda p, note, s: _tail(p, note, s, min_confidence, choice, targets),
    )
    return joined(head, why, [fits, tail])


def _fitting(scores: Scores, rows: Rows, described: np.ndarray, a: int) -> np.ndarray:
    """1 + the value code where attribute `a` fits the deciding rule, else 0."""
    out = np.zeros(len(rows.best), dtype=np.int64)
    if scores.key.size:
        at = scores.rows
        fit = described[at] & (scores.statuses[a][rows.best[at], np.arange(len(at))] == FITS)
        out[at] = np.where(fit, scores.codes[ATTRIBUTES[a]][at] + 1, 0)
    return out


def _fits(scores: Scores, codes: tuple[int, ...]) -> str:
    parts = []
    for attribute, code in zip(ATTRIBUTES, codes, strict=True):
        if code:
            value = scores.bands[code - 1] if attribute == "seniority" else scores.values[attribute][code - 1]
            parts.append(fit_text(attribute, value or ""))
    return "; ".join(parts)


def _culprits(head: Texts, why: Texts, rules: list[Rule], scores: Scores, mask: np.ndarray) -> None:
    """'title "X" matches "p" (persona) but' and why, for rows whose title matched only ruled-out personas."""
    if not scores.key.size:
        return
    at = np.flatnonzero(mask[scores.rows])  # positions among the rows rules could take
    rows, t = scores.rows[at], scores.codes["title"][scores.rows[at]]
    culprit = scores.length[:, t].argmax(axis=0)  # the longest phrase, the first of equals
    excluded = scores.excluded[culprit, t]
    attribute = (scores.statuses[:, culprit, at] == CONFLICT).argmax(axis=0)
    given = np.array([b is not None for b in scores.bands])[scores.codes["seniority"][rows]]
    inferred = (attribute == 0) & ~given
    bands = np.array([SENIORITY_BANDS.index(b) if b else len(SENIORITY_BANDS) for b in scores.inferred])[t]
    codes = np.stack([scores.codes[a][rows] for a in ATTRIBUTES])[attribute, np.arange(len(rows))]
    what = np.where(excluded >= 0, 0, np.where(inferred, 5, 1 + attribute))
    value = np.where(excluded >= 0, excluded, np.where(inferred, bands, codes))
    title = scores.values["title"]
    head.add_at(
        rows, [t, culprit], lambda ti, r: culprit_text(title[ti], rules[r], int(scores.phrase[r, ti]))
    )
    why.add_at(rows, [culprit, what, value], lambda r, w, v: _why(rules[r], scores, w, v))


def _why(rule: Rule, scores: Scores, what: int, value: int) -> str:
    """Why a persona whose title phrase matched was ruled out."""
    if what == 0:
        return excluded_text(rule.exclude_text[value])
    if what == 5:
        return conflict_text("seniority", (*SENIORITY_BANDS, "")[value], inferred=True)
    attribute = ATTRIBUTES[what - 1]
    shown = scores.bands[value] if attribute == "seniority" else scores.values[attribute][value]
    return conflict_text(attribute, shown or "")


def _notes(choice: Choice | None, rows: Rows, undecided: np.ndarray, n: int) -> list[np.ndarray]:
    """Per row: what the model adds (0 nothing, 1 agrees, 2 disagrees, 3 too far, 4 no persona) and its segment."""
    if choice is None:
        return [np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)]
    fit = choice.fit
    note = np.where(rows.by_rule & choice.confident, np.where(choice.target == rows.best, 1, 2), 0)
    unsure = undecided & fit.eligible & ~choice.confident
    note = np.where(unsure, np.where(choice.mapped[fit.segment] < 0, 4, 3), note)
    return [note, np.where(note > 0, fit.segment, 0)]


def _tail(
    points: int,
    note: int,
    segment: int,
    min_confidence: float,
    choice: Choice | None,
    targets: list[tuple[str, str]],
) -> str:
    parts = [below_text(points, min_confidence)] if points else []
    if choice is not None and note:
        label = choice.segments[segment]
        parts.append(
            {
                1: f"research segment {label} agrees",
                2: f"research segment {label} suggests {targets[choice.mapped[segment]][0]}",
                3: f"nearest research segment {label} is not close enough",
                4: f"nearest research segment {label} stands for no persona",
            }[note]
        )
    return "; ".join(parts)


def _segment(choice: Choice, targets: list[tuple[str, str]], segment: int) -> str:
    return f"nearest research segment {choice.segments[segment]} ({targets[choice.mapped[segment]][1]})"
