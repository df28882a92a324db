"""Typed personas: a checked persona file as an object the pages and exports can rely on."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from persona_map.dates import ReviewDates, Status, review_dates

TEXT_LISTS = ("goals", "motivations", "pain_points", "behaviours", "channels")
EMPATHY = ("says", "thinks", "does", "feels", "pains", "gains")


@dataclass(frozen=True)
class Persona:
    """One persona, with every optional field filled with an empty value so templates need no guards."""

    id: str
    name: str
    tier: str
    owner: str
    file: str
    summary: str
    narrative: str
    review: ReviewDates
    tags: list[str] = field(default_factory=list)
    picture: dict[str, str] = field(default_factory=dict)  # {file, alt} when the persona has a picture
    role: dict[str, str] = field(default_factory=dict)
    company: dict[str, str] = field(default_factory=dict)
    demographics: dict[str, str] = field(default_factory=dict)
    goals: list[str] = field(default_factory=list)
    motivations: list[str] = field(default_factory=list)
    pain_points: list[str] = field(default_factory=list)
    behaviours: list[str] = field(default_factory=list)
    channels: list[str] = field(default_factory=list)
    messaging: dict[str, Any] = field(default_factory=dict)
    quotes: list[dict[str, str]] = field(default_factory=list)
    empathy_map: dict[str, list[str]] = field(default_factory=dict)
    evidence: dict[str, Any] = field(default_factory=dict)
    classification: dict[str, Any] = field(default_factory=dict)  # rules that route CRM contacts here

    @classmethod
    def from_data(cls, data: dict[str, Any], file: str, review_interval_months: int) -> Persona:
        """Build from a schema-valid persona document."""
        meta, spec = data["metadata"], data["spec"]
        dates = review_dates(spec["review"], review_interval_months, spec["evidence"].get("drift"))
        if dates is None:  # pragma: no cover - the schema requires last_reviewed
            raise ValueError(f"{file}: no usable review date")
        messaging = {
            "value_proposition": "",
            "key_messages": [],
            "objections": [],
            **spec.get("messaging", {}),
        }
        empathy = {key: [] for key in EMPATHY} | spec.get("empathy_map", {})
        return cls(
            id=meta["id"],
            name=meta["name"],
            tier=meta["tier"],
            owner=meta["owner"],
            file=file,
            summary=spec["summary"],
            narrative=spec["narrative"],
            review=dates,
            tags=list(meta.get("tags", [])),
            picture=dict(meta.get("picture", {})),
            role={"department": "", **spec["role"]},
            company={"size": "", "industry": "", **spec.get("company", {})},
            demographics=dict(spec.get("demographics", {})),
            messaging=messaging,
            quotes=[{"respondent": "", **quote} for quote in spec.get("quotes", [])],
            empathy_map=empathy,
            evidence=dict(spec["evidence"]),
            classification=dict(spec.get("classification", {})),
            **{name: list(spec.get(name, [])) for name in TEXT_LISTS},
        )

    @property
    def primary(self) -> bool:
        return self.tier == "primary"

    @property
    def initials(self) -> str:
        """Up to two letters from the name before any comma: 'Priya, the Platform Lead' -> 'P'."""
        words = [w for w in self.name.split(",")[0].split() if w[:1].isalnum()]
        return "".join(w[0].upper() for w in words[:2]) or "?"

    def status(self, today: date, due_soon_days: int) -> Status:
        return self.review.status(today, due_soon_days)

    def to_dict(self) -> dict[str, Any]:
        """Everything a consumer (CRM, chat bot) needs, as plain JSON-ready data."""
        return {
            "id": self.id,
            "name": self.name,
            "tier": self.tier,
            "owner": self.owner,
            "tags": self.tags,
            "summary": self.summary,
            "narrative": self.narrative,
            "role": self.role,
            "company": self.company,
            "demographics": self.demographics,
            **{name: getattr(self, name) for name in TEXT_LISTS},
            "messaging": self.messaging,
            "quotes": self.quotes,
            "empathy_map": self.empathy_map,
            "evidence": self.evidence,
            "classification": self.classification,
            "review": {
                "last_reviewed": self.review.last_reviewed.isoformat() if self.review.last_reviewed else None,
                "review_by": self.review.review_by.isoformat(),
            },
            "source_file": self.file,
        }
