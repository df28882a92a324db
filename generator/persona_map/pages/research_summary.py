"""The latest segmentation in plain words and chart geometry, for readers who are not data scientists.

Saved results change shape as the research improves, so every value is read defensively: a missing or
malformed key leaves its part out (None, or an empty list) instead of failing the build.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from statistics import fmean
from typing import Any

from persona_map.research.segmentation import STABLE

ROW = 30  # height of one chart row, in SVG units
LABEL = 250  # width of the label column
BAR = 300  # width of the longest bar


@dataclass(frozen=True)
class Segment:
    id: str
    size: int | None
    share: float | None
    persona: str  # the persona id it backs, or ''
    persona_name: str
    traits: list[dict[str, Any]] = field(default_factory=list)  # {text, share, overall}
    numbers: list[str] = field(default_factory=list)  # plain sentences


@dataclass(frozen=True)
class Summary:
    """What we learned, how sure we are, and the researcher's numbers behind it."""

    created: str
    current: bool
    respondents: int | None
    k: int | None
    method: str
    coverage: float | None
    separation: float | None  # silhouette of the chosen k
    shuffled: float | None  # silhouette of data made to have no segments (the strongest null)
    stability: float | None  # mean adjusted Rand index across refits
    refits: int
    confidence: str  # sure, fairly-sure, unsure
    verdict: str  # one plain sentence
    reasons: list[str]
    warnings: list[str]
    segments: list[Segment]
    scores: list[tuple[str, float]]  # (k, silhouette), for the researcher's details
    charts: dict[str, dict[str, Any]]


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def summarise(
    data: dict[str, Any], current: bool, backs: dict[str, str], coverage: float | None, names: dict[str, str]
) -> Summary:
    """The page's view of a saved segmentation `data` (segments.json)."""
    k = data.get("k") if isinstance(data.get("k"), int) else None
    scores_raw = data.get("scores") if isinstance(data.get("scores"), dict) else {}
    scores = [(str(key), float(v)) for key, v in scores_raw.items() if _number(v) is not None]
    structure = data.get("structure") if isinstance(data.get("structure"), dict) else {}
    separation = _number(structure.get("silhouette"))
    if separation is None and k is not None:
        separation = _number(scores_raw.get(str(k)))
    # What data made to have no segments scores: the strongest null of the structure test, or (older
    # results) the same data with its columns shuffled.
    nulls = [_number(n.get("mean")) for n in _list(structure.get("nulls")) if isinstance(n, dict)]
    shuffled = max((n for n in nulls if n is not None), default=None)
    if shuffled is None:
        shuffled = _number(data.get("null_silhouette"))
    weak = bool(data.get("weak")) or structure.get("real") is False
    refits = [v for v in _list(data.get("stability")) if _number(v) is not None]
    stability = fmean(refits) if refits else None
    warnings = [str(w) for w in _list(data.get("warnings"))]
    segments = [_segment(s, backs, names) for s in _list(data.get("segments")) if isinstance(s, dict)]
    real = structure.get("real") if isinstance(structure.get("real"), bool) else None
    confidence, verdict, reasons = _confidence(weak or bool(warnings), separation, shuffled, stability, real)
    named = data.get("verdict") if isinstance(data.get("verdict"), str) else structure.get("verdict")
    if isinstance(named, str) and named:
        reasons.append(f"The research team's verdict on the structure: {named}.")
    options = data.get("options") if isinstance(data.get("options"), dict) else {}
    return Summary(
        created=str(data.get("created", "")),
        current=current,
        respondents=data.get("respondents") if isinstance(data.get("respondents"), int) else None,
        k=k,
        method=str(options.get("method", "")),
        coverage=coverage,
        separation=separation,
        shuffled=shuffled,
        stability=stability,
        refits=len(refits),
        confidence=confidence,
        verdict=verdict,
        reasons=reasons,
        warnings=warnings,
        segments=segments,
        scores=scores,
        charts=_charts(segments, scores),
    )


def _segment(raw: dict[str, Any], backs: dict[str, str], names: dict[str, str]) -> Segment:
    sid = str(raw.get("id", "?"))
    persona = backs.get(sid, "")
    traits = []
    for c in _list(raw.get("categories"))[:3]:
        if (
            isinstance(c, dict)
            and _number(c.get("share")) is not None
            and _number(c.get("overall")) is not None
        ):
            text = f"{str(c.get('column', '')).replace('_', ' ')}: {c.get('value', '')}"
            traits.append({"text": text, "share": float(c["share"]), "overall": float(c["overall"])})
    numbers = []
    for n in _list(raw.get("numbers"))[:3]:
        if (
            isinstance(n, dict)
            and _number(n.get("mean")) is not None
            and _number(n.get("overall")) is not None
        ):
            column = str(n.get("column", "")).split(":", 1)[-1].replace("avg_", "").replace("_", " ")
            more = "more" if n["mean"] > n["overall"] else "less"
            numbers.append(
                f"{column}: {n['mean']:g} on average, {more} than the {n['overall']:g} of everyone"
            )
    size = raw.get("size") if isinstance(raw.get("size"), int) else None
    return Segment(sid, size, _number(raw.get("share")), persona, names.get(persona, ""), traits, numbers)


def _confidence(
    weak: bool,
    separation: float | None,
    shuffled: float | None,
    stability: float | None,
    real: bool | None = None,
) -> tuple[str, str, list[str]]:
    """How sure the research lets us be, as a level, a sentence and the reasons in plain words.

    `real` is the structure test's own verdict (`personas segment` decided it); older results without one
    are judged by the margin over the shuffled data."""
    reasons = []
    if real is not None:
        distinct = real
    else:
        distinct = separation is None or shuffled is None or separation - shuffled >= 0.05
    if separation is not None and shuffled is not None:
        reasons.append(
            f"The groups are {'clearly' if distinct else 'barely'} more distinct than in data made to have no "
            f"groups at all (separation {separation:.2f} against {shuffled:.2f}; researchers call this the "
            "silhouette, from -1 to 1, higher is better)."
        )
    if stability is not None:
        reasons.append(
            f"Re-running the analysis on resampled answers gives {'nearly ' if stability >= STABLE else ''}the same "
            f"groups {stability:.0%} of the way (1 would be identical every time)."
        )
    if weak:
        return "unsure", "Not sure yet: treat these segments as a hypothesis, not as facts.", reasons
    stable = stability is None or stability >= STABLE
    if stable and distinct and reasons:
        return "sure", "Fairly sure: the groups are real and come back every time.", reasons
    return "fairly-sure", "Somewhat sure: the groups are there, but their edges are soft.", reasons


def _charts(segments: list[Segment], scores: list[tuple[str, float]]) -> dict[str, dict[str, Any]]:
    sizes = [
        (f"{s.id} · {s.persona_name or 'no persona yet'}", s.share) for s in segments if s.share is not None
    ]
    traits = [
        {"segment": s.id, "label": t["text"], "share": t["share"], "overall": t["overall"]}
        for s in segments
        for t in s.traits[:2]
    ]
    return {
        "sizes": bars(sizes),
        "traits": paired_bars(traits),
        "scores": bars([(f"{key} segments", value) for key, value in scores], percent=False),
    }


def _short(text: str, limit: int = 36) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def bars(items: list[tuple[str, float]], *, percent: bool = True) -> dict[str, Any]:
    """Geometry of a horizontal bar chart: one row per item, bars scaled to the largest value."""
    top = max((abs(v) for _, v in items), default=1.0) or 1.0
    rows = [
        {
            "label": _short(label),
            "y": index * ROW,
            "w": max(2, round(BAR * abs(value) / top)),
            "text": f"{value:.0%}" if percent else f"{value:.2f}",
        }
        for index, (label, value) in enumerate(items)
    ]
    return {"rows": rows, "height": len(rows) * ROW, "width": LABEL + BAR + 60, "x": LABEL}


def paired_bars(items: list[dict[str, Any]]) -> dict[str, Any]:
    """Two bars per row (the segment, and everyone), on a 0-100% scale."""
    rows = [
        {
            "label": _short(f"{item['segment']}: {item['label']}"),
            "y": index * (ROW + 12),
            "w": max(2, round(BAR * item["share"])),
            "w_all": max(2, round(BAR * item["overall"])),
            "text": f"{item['share']:.0%}",
            "text_all": f"{item['overall']:.0%}",
        }
        for index, item in enumerate(items)
    ]
    return {"rows": rows, "height": len(rows) * (ROW + 12), "width": LABEL + BAR + 60, "x": LABEL}
