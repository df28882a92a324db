"""What `classify` works out on the way to its result: the rules' scores, the model's choice, each row's outcome.

Plain dataclasses of numpy arrays, made by generator/persona_map/routing/scores.py and decide.py and read by
reasons.py, so the reasons depend on these types and not on the code that computes them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from persona_map.routing.model import SegmentFit


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
