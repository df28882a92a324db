"""Each contact's persona: the best rule, the research model's choice, or unassigned, with the reason.

The rules of the decision are described in generator/persona_map/routing/classify.py.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from persona_map.errors import ClassifyError
from persona_map.persona import Persona
from persona_map.routing.model import nearest_segment, segment_personas
from persona_map.routing.outcomes import Choice, Rows, Scores
from persona_map.routing.reasons import reasons
from persona_map.routing.rules import UNASSIGNED, Rule

MODEL_MIN_CONFIDENCE = 0.6  # the model must be as sure as a title match alone


def model_choice(
    frame: pd.DataFrame,
    model: dict[str, Any],
    personas: list[Persona] | None,
    targets: list[tuple[str, str]],
    min_confidence: float,
) -> Choice:
    """What the model says of every row, and whether it is sure enough to count."""
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


def _rows(scores: Scores, choice: Choice | None, min_confidence: float) -> Rows:
    """Per row: the best rule, its ties, and whether that rule or the model decides."""
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


def decide(
    index: pd.Index,
    rules: list[Rule],
    targets: list[tuple[str, str]],
    scores: Scores,
    choice: Choice | None,
    min_confidence: float,
) -> pd.DataFrame:
    """The result table: each row's persona, confidence and reason, from the scores and the model's choice."""
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
