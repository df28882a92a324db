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

Speed: each distinct value of a column is normalised and matched once (scores.py: titles repeat a lot in
CRM exports); the rows are combined with numpy (decide.py) and the reasons assembled with Arrow (reasons.py).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from persona_map.errors import ClassifyError
from persona_map.persona import Persona
from persona_map.routing.decide import decide, model_choice
from persona_map.routing.model import load_model, model_labels, segment_personas
from persona_map.routing.rules import UNASSIGNED, Rule, rules_from_personas
from persona_map.routing.scores import score

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
    scores = score(frame, rules)
    choice = model_choice(frame, model, personas, targets, min_confidence) if model is not None else None
    return decide(frame.index, rules, targets, scores, choice, min_confidence)
