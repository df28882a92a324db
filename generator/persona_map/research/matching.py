"""`personas suggest`: compare the latest segmentation with the personas and propose data-backed updates.

Works on the saved segmentation (plain JSON) and the checked personas, with no heavy imports, so the
site build can show which segment backs which persona too.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from persona_map.persona import Persona

# Persona fields and the research columns that describe the same thing.
ATTRIBUTES: dict[str, tuple[str, str]] = {
    "seniority": ("role", "seniority"),
    "department": ("role", "department"),
    "company_size": ("company", "size"),
    "industry": ("company", "industry"),
    "job_title": ("role", "title"),
}
MIN_MATCH = 0.2  # below this score a persona and a segment have nothing to do with each other
SIGNIFICANT_DRIFT = 0.3
MAX_QUOTE_CANDIDATES = 3  # a short list for a person to curate, not a dump of the interviews


@dataclass
class Match:
    """How well one persona and one segment fit."""

    persona: str
    segment: str
    score: float
    overlap: float  # share of the persona's quoted respondents who are members of the segment
    attributes: dict[str, float]  # share of segment members with the persona's value, per attribute


@dataclass
class PersonaReport:
    """What the research now says about one persona."""

    persona: Persona
    match: Match | None
    share_then: float | None = None
    share_now: float | None = None
    size_then: int | None = None
    size_now: int | None = None
    changed: list[str] = field(default_factory=list)
    new_quotes: list[dict[str, str]] = field(default_factory=list)
    drift: float = 0.0

    @property
    def significant(self) -> bool:
        return self.match is not None and self.drift >= SIGNIFICANT_DRIFT


@dataclass
class Suggestions:
    """The whole comparison: per persona, coverage, new candidates and retire/merge candidates."""

    reports: list[PersonaReport]
    coverage: float  # share of respondents in segments that primary personas stand for
    uncovered: list[dict[str, Any]]  # segments no persona matches
    secondary_only: list[dict[str, Any]]  # segments only a secondary persona matches
    retire: list[PersonaReport]
    segmentation: dict[str, Any]

    @property
    def usable(self) -> bool:
        """Whether the research has segment structure stable enough to change personas by (not `weak`)."""
        return not self.segmentation.get("weak", False)


def _value(persona: Persona, path: tuple[str, str]) -> str:
    return str(getattr(persona, path[0]).get(path[1], "") or "")


def names(persona_value: str, research_value: str) -> bool:
    """True when the persona's text names the research value ('SaaS and developer tools' names 'SaaS')."""
    text, value = persona_value.casefold(), research_value.casefold()
    return text == value or re.search(rf"(?<![\w-]){re.escape(value)}(?![\w-])", text) is not None


def score(persona: Persona, segment: dict[str, Any]) -> Match:
    """Quoted respondents in the segment, persona attributes common in it, and similar size."""
    quoted = {q.get("respondent") for q in persona.quotes if q.get("respondent")}
    members = set(segment.get("interviewees", []))
    overlap = len(quoted & members) / len(quoted) if quoted else 0.0
    attributes = {}
    for column, path in ATTRIBUTES.items():
        value = _value(persona, path)
        shares = segment.get("distributions", {}).get(column)
        if value and shares:
            attributes[column] = min(1.0, sum(v for k, v in shares.items() if names(value, k)))
    attr = sum(attributes.values()) / len(attributes) if attributes else 0.0
    share = persona.evidence.get("segment_share")
    size = (
        1 - min(abs(share - segment["share"]) / max(share, 0.05), 1.0)
        if isinstance(share, int | float)
        else 0.0
    )
    weights = (0.5 if quoted else 0.0, 0.4 if attributes else 0.0, 0.1)
    total = (weights[0] * overlap + weights[1] * attr + weights[2] * size) / sum(weights)
    return Match(
        persona.id,
        segment["id"],
        round(total, 3),
        round(overlap, 3),
        {k: round(v, 3) for k, v in attributes.items()},
    )


def assign(personas: list[Persona], segments: list[dict[str, Any]]) -> dict[str, Match]:
    """One-to-one assignment of personas to segments with the highest total score (exact search)."""
    table = {(p.id, s["id"]): score(p, s) for p in personas for s in segments}
    ids, seg_ids = [p.id for p in personas], [s["id"] for s in segments]
    if math.perm(max(len(ids), len(seg_ids)), min(len(ids), len(seg_ids))) > 20_000:
        return _hungarian(table, ids, seg_ids)
    best: tuple[float, tuple[tuple[str, str], ...]] = (-1.0, ())
    small, large, flip = (seg_ids, ids, True) if len(seg_ids) <= len(ids) else (ids, seg_ids, False)
    for chosen in itertools.permutations(large, len(small)):
        pairs = tuple(((b, a) if flip else (a, b)) for a, b in zip(small, chosen, strict=True))
        total = sum(table[pair].score for pair in pairs if table[pair].score >= MIN_MATCH)
        if total > best[0]:
            best = (total, pairs)
    return {p: table[(p, s)] for p, s in best[1] if table[(p, s)].score >= MIN_MATCH}


def _hungarian(table: dict[tuple[str, str], Match], ids: list[str], seg_ids: list[str]) -> dict[str, Match]:
    """The same optimum for large tables, with scipy's assignment solver (imported only when needed)."""
    import numpy as np
    from scipy.optimize import linear_sum_assignment

    gain = np.array(
        [[table[(p, s)].score if table[(p, s)].score >= MIN_MATCH else 0.0 for s in seg_ids] for p in ids]
    )
    rows, cols = linear_sum_assignment(gain, maximize=True)
    pairs = [(ids[r], seg_ids[c]) for r, c in zip(rows, cols, strict=True)]
    return {p: table[(p, s)] for p, s in pairs if table[(p, s)].score >= MIN_MATCH}


def suggest(personas: list[Persona], segmentation: dict[str, Any]) -> Suggestions:
    """Compare personas with the segments of a saved segmentation.

    Segments of research without real, stable structure are noise: then no persona is matched, no segment
    is a candidate for a new persona and no persona is one to retire.
    """
    if segmentation.get("weak", False):
        return Suggestions([PersonaReport(p, None) for p in personas], 0.0, [], [], [], segmentation)
    segments = segmentation["segments"]
    by_id = {s["id"]: s for s in segments}
    matches = assign(personas, segments)
    reports = [_report(p, matches.get(p.id), by_id) for p in personas]
    primary_segments = {m.segment for p in personas if p.primary and (m := matches.get(p.id))}
    matched_segments = {m.segment for m in matches.values()}
    coverage = sum(by_id[s]["share"] for s in primary_segments)
    uncovered = [s for s in segments if s["id"] not in matched_segments]
    secondary_only = [s for s in segments if s["id"] in matched_segments - primary_segments]
    retire = [r for r in reports if r.match is None]
    return Suggestions(reports, round(coverage, 4), uncovered, secondary_only, retire, segmentation)


def _report(persona: Persona, match: Match | None, segments: dict[str, dict[str, Any]]) -> PersonaReport:
    report = PersonaReport(persona, match)
    report.share_then = persona.evidence.get("segment_share")
    report.size_then = persona.evidence.get("sample_size")
    if match is None:
        return report
    segment = segments[match.segment]
    report.share_now = round(segment["share"], 2)
    report.size_now = segment["size"]
    for column, path in ATTRIBUTES.items():
        mode = segment.get("modes", {}).get(column)
        value = _value(persona, path)
        if mode and value and not names(value, mode) and match.attributes.get(column, 1.0) < 0.3:
            report.changed.append(
                f"{'.'.join(path)}: persona says {value!r}, most of the segment is {mode!r} "
                f"({segment['distributions'][column].get(mode, 0):.0%})"
            )
    known = {q["text"] for q in persona.quotes} | {
        q.get("text") for q in persona.evidence.get("quote_candidates", [])
    }
    report.new_quotes = [q for q in segment.get("quotes", []) if q["text"] not in known][:3]
    report.drift = drift(report, match)
    return report


def drift(report: PersonaReport, match: Match) -> float:
    """0 when the research still says what the persona says; towards 1 as its segment moves away."""
    share = 0.0
    if isinstance(report.share_then, int | float) and report.share_now is not None:
        share = min(abs(report.share_now - report.share_then) / max(report.share_then, 0.05), 1.0)
    attributes = 1 - (sum(match.attributes.values()) / len(match.attributes)) if match.attributes else 0.5
    overlap = 1 - match.overlap if report.persona.quotes else 0.5
    return round(0.4 * share + 0.4 * attributes + 0.2 * overlap, 2)


def changes(
    report: PersonaReport, segmentation: dict[str, Any], today: date, last_research: str
) -> dict[tuple[str, ...], Any]:
    """The data-derived fields `--apply` writes into the persona file (and nothing else)."""
    if report.match is None:
        return {}
    out: dict[tuple[str, ...], Any] = {
        ("spec", "evidence", "sample_size"): report.size_now,
        ("spec", "evidence", "segment_share"): report.share_now,
    }
    if last_research and last_research != report.persona.evidence.get("last_research_date"):
        out[("spec", "evidence", "last_research_date")] = last_research
    existing = list(report.persona.evidence.get("quote_candidates", []))
    room = MAX_QUOTE_CANDIDATES - len(existing)
    if report.new_quotes and room > 0:
        out[("spec", "evidence", "quote_candidates")] = existing + [
            {"text": q["text"], "source": q["source"], "respondent": q["respondent"]}
            for q in report.new_quotes[:room]
        ]
    if report.significant:
        detected = today.isoformat()
        recorded = report.persona.evidence.get("drift") or {}
        last = report.persona.review.last_reviewed
        if recorded.get("detected") and (last is None or str(recorded["detected"]) > last.isoformat()):
            detected = str(recorded["detected"])  # a lasting drift keeps the date it was first found
        out[("spec", "evidence", "drift")] = {
            "score": report.drift,
            "detected": detected,
            "segment": report.match.segment,
        }
    return out
