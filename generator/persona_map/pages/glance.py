"""The persona at a glance: how strong its evidence is, its strongest quote and the share it stands for.

Plain words for people who never read the research: strength is judged from the number of people
asked, the number of sources and the age of the research, and says why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from persona_map.dates import parse_date
from persona_map.persona import Persona

_WORD = re.compile(r"[a-z][a-z'-]{3,}")
LEVELS = {3: ("strong", "Strong evidence"), 2: ("fair", "Fair evidence"), 1: ("thin", "Thin evidence")}


@dataclass(frozen=True)
class Strength:
    """How much to trust a persona: a level (strong, fair, thin), its words and the reasons."""

    level: str
    title: str
    score: int  # 1 to 3, for the meter
    reasons: list[str]


def evidence_strength(persona: Persona, today: date) -> Strength:
    """Strong: many people, several sources, recent research; thin: few people or old research."""
    evidence = persona.evidence
    size = evidence.get("sample_size")
    sources = evidence.get("sources") or []
    points, reasons = 0, []
    if isinstance(size, int):
        points += 2 if size >= 100 else 1 if size >= 30 else 0
        reasons.append(f"{size} {'person' if size == 1 else 'people'} in the research")
    if len(sources) >= 2:
        points += 1
    reasons.append(f"{len(sources)} source{'' if len(sources) == 1 else 's'}")
    researched = parse_date(str(evidence.get("last_research_date", "")))
    if researched is not None:
        months = (today.year - researched.year) * 12 + today.month - researched.month
        points += 1 if months <= 12 else -1 if months > 24 else 0
        reasons.append(f"research from {researched.strftime('%B %Y')}")
    drift = evidence.get("drift")
    if isinstance(drift, dict) and isinstance(drift.get("score"), int | float) and drift["score"] >= 0.3:
        points -= 1
        reasons.append("newer research has drifted away from it")
    score = 3 if points >= 4 else 2 if points >= 2 else 1
    level, title = LEVELS[score]
    return Strength(level, title, score, reasons)


def strongest_quote(persona: Persona) -> dict[str, str] | None:
    """The quote that best speaks for the persona: from its own research, echoing its goals and pains."""
    if not persona.quotes:
        return None
    themes = set(_WORD.findall(" ".join([*persona.pain_points, *persona.goals]).lower()))
    cited = set(persona.evidence.get("sources") or [])

    def weight(item: tuple[int, dict[str, str]]) -> tuple[bool, int, int]:
        index, quote = item
        echoes = len(themes & set(_WORD.findall(quote["text"].lower())))
        return (quote.get("source") in cited, echoes + bool(quote.get("respondent")), -index)

    return max(enumerate(persona.quotes), key=weight)[1]


def share(persona: Persona) -> dict[str, Any] | None:
    """The share of the research the persona stands for, as a percentage and a sample size."""
    value = persona.evidence.get("segment_share")
    if not isinstance(value, int | float):
        return None
    return {"percent": round(100 * float(value)), "sample_size": persona.evidence.get("sample_size")}
