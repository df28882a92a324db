"""Classification rules from persona files, and routing one contact by them, in plain Python.

`personas check` runs every labelled example through `route` without importing pandas; `classify`
(generator/persona_map/routing/classify.py) applies the same rules to whole tables and produces the same decisions and
reasons. The scoring is described in generator/persona_map/routing/classify.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from persona_map.persona import Persona
from persona_map.routing.titles import contains, seniority, seniority_band, tokens

UNASSIGNED = "unassigned"
COLUMNS = ("persona_id", "persona_name", "confidence", "reason")  # a Decision's fields: what classify adds
UNKNOWN, FITS, CONFLICT = 0, 1, 2  # how one contact attribute relates to one rule
TITLE_POINTS, ATTRIBUTE_POINTS, MAX_POINTS = 60, 10, 100
ATTRIBUTES = ("seniority", "department", "company_size", "industry")
LABELS = {
    "seniority": "seniority",
    "department": "department",
    "company_size": "company size",
    "industry": "industry",
}
# The persona files' company-size bands: (band, fewest employees, most employees), smallest first.
SIZE_BANDS = (("1-10", 1, 10), ("11-50", 11, 50), ("51-200", 51, 200), ("201-1000", 201, 1000),
              ("1001-5000", 1001, 5000), ("5001+", 5001, float("inf")))  # fmt: skip
SHOWN = 60  # characters of a contact's value quoted in a reason

Phrase = tuple[str, ...]


@dataclass(frozen=True)
class Rule:
    """One persona's classification rules, with phrases as normalised word tuples."""

    persona_id: str
    persona_name: str
    priority: int
    titles: tuple[Phrase, ...]
    exclude_titles: tuple[Phrase, ...] = ()
    seniority: tuple[str, ...] = ()
    departments: tuple[Phrase, ...] = ()
    company_sizes: tuple[str, ...] = ()
    industries: tuple[Phrase, ...] = ()
    title_text: tuple[str, ...] = ()  # the title phrases as written in the persona file, for reasons
    exclude_text: tuple[str, ...] = ()


@dataclass(frozen=True)
class Contact:
    """One contact's classification inputs; empty strings for what the export does not carry."""

    title: str
    seniority: str = ""
    department: str = ""
    company_size: str = ""
    industry: str = ""


@dataclass(frozen=True)
class Decision:
    """Where a contact goes and why."""

    persona_id: str
    persona_name: str
    confidence: float
    reason: str


def _strings(values: Any) -> list[str]:
    return [v for v in values if isinstance(v, str)] if isinstance(values, list) else []


def _phrases(values: Any) -> tuple[tuple[Phrase, ...], tuple[str, ...]]:
    """Normalised phrases and their text, leaving out those that normalise to nothing."""
    pairs = [(tokens(v), v.strip()) for v in _strings(values)]
    pairs = [(words, text) for words, text in pairs if words]
    return tuple(w for w, _ in pairs), tuple(t for _, t in pairs)


def rule_from_data(persona_id: str, persona_name: str, data: Mapping[str, Any]) -> Rule:
    """A rule from a `spec.classification` mapping; values of the wrong type are left out (the schema reports them)."""
    titles, title_text = _phrases(data.get("titles"))
    excludes, exclude_text = _phrases(data.get("exclude_titles"))
    priority = data.get("priority")
    return Rule(
        persona_id,
        persona_name,
        priority if isinstance(priority, int) and not isinstance(priority, bool) else 0,
        titles,
        excludes,
        tuple(_strings(data.get("seniority"))),
        _phrases(data.get("departments"))[0],
        tuple(_strings(data.get("company_sizes"))),
        _phrases(data.get("industries"))[0],
        title_text,
        exclude_text,
    )


def rules_from_personas(personas: Iterable[Persona]) -> list[Rule]:
    """One rule per persona that has classification rules, in the given order."""
    return [rule_from_data(p.id, p.name, p.classification) for p in personas if p.classification]


def padded(words: Phrase) -> str:
    """Words as ' a b c ', so a phrase matches whole words with `in`."""
    return f" {' '.join(words)} "


def search_order(phrases: tuple[Phrase, ...]) -> tuple[tuple[int, str], ...]:
    """(index, padded phrase), longest first (stable), for `first_match`."""
    return tuple(sorted(((i, padded(p)) for i, p in enumerate(phrases)), key=lambda x: -len(x[1].split())))


def first_match(order: tuple[tuple[int, str], ...], text: str) -> int:
    """Index of the first phrase of `order` found in the padded `text`, or -1."""
    return next((i for i, phrase in order if phrase in text), -1)


def longest(phrases: tuple[Phrase, ...], words: Phrase) -> int:
    """Index of the longest phrase found in `words` as whole words (the first of equals), or -1."""
    return first_match(search_order(phrases), padded(words))


def phrase_status(phrases: tuple[Phrase, ...], value: str) -> int:
    """A department or industry against the rule's list: either contains the other as whole words."""
    words = tokens(value) if isinstance(value, str) else ()
    if not phrases or not words:
        return UNKNOWN
    return FITS if any(contains(words, p) or contains(p, words) for p in phrases) else CONFLICT


_THOUSANDS = re.compile(r"(?<=\d)[,.'\s](?=\d{3}(?!\d))")
_KILO = re.compile(r"(\d+)\s*k\b")
_MORE = re.compile(r"\+|>|\bmore\b|\bover\b|\bplus\b|\babove\b")


def size_bands(value: str) -> frozenset[str]:
    """The company-size bands a CRM value overlaps: '201-500' -> {'201-1000'}, '10,001+' -> {'5001+'}."""
    text = _KILO.sub(lambda m: str(int(m[1]) * 1000), _THOUSANDS.sub("", str(value).casefold()))
    numbers = [int(n) for n in re.findall(r"\d+", text)][:2]
    if not numbers:
        return frozenset({"1-10"}) if "self" in text else frozenset()
    low = numbers[0]
    high: float = numbers[1] if len(numbers) > 1 else (float("inf") if _MORE.search(text) else low)
    low, high = min(low, high), max(low, high)
    return frozenset(band for band, a, b in SIZE_BANDS if a <= high and low <= b)


def size_status(allowed: tuple[str, ...], bands: frozenset[str]) -> int:
    """Fits when every band the value overlaps is allowed, conflicts when none is, unknown in between."""
    if not allowed or not bands:
        return UNKNOWN
    if bands <= set(allowed):
        return FITS
    return CONFLICT if not bands & set(allowed) else UNKNOWN


def band_status(allowed: tuple[str, ...], band: str | None) -> int:
    if not allowed or band is None:
        return UNKNOWN
    return FITS if band in allowed else CONFLICT


@lru_cache(maxsize=65536)
def shown(value: Any) -> str:
    """A contact's value as quoted in a reason: trimmed and cut short."""
    text = " ".join(str(value).split())
    return text if len(text) <= SHOWN else text[: SHOWN - 1] + "…"


def match_text(title: str, phrase: str) -> str:
    return f'title "{shown(title)}" matches "{phrase}"'


def fit_text(attribute: str, value: str) -> str:
    return f"{LABELS[attribute]} {_quoted(attribute, value)} fits"


def conflict_text(attribute: str, value: str, *, inferred: bool = False) -> str:
    source = " (from the title)" if inferred else ""
    return f"{LABELS[attribute]} {_quoted(attribute, value)}{source} does not fit"


def _quoted(attribute: str, value: str) -> str:
    if attribute == "seniority":
        return value
    return shown(value) if attribute == "company_size" else f'"{shown(value)}"'


def culprit_text(title: str, rule: Rule, phrase: int) -> str:
    return f"{match_text(title, rule.title_text[phrase])} ({rule.persona_id}) but"


def excluded_text(phrase: str) -> str:
    return f'is excluded by "{phrase}"'


def no_match_text(title: str) -> str:
    return f'no persona\'s titles match "{shown(title)}"'


def ambiguous_text(first: str, second: str, more: int) -> str:
    return f"ambiguous: {first} or {second}" + (f" (and {more} more)" if more else "")


def below_text(points: int, min_confidence: float) -> str:
    return f"confidence {points / 100:.2f} is below {min_confidence:.2f}"


@dataclass(frozen=True)
class _Candidate:
    rule: Rule
    phrase: int
    excluded: int
    statuses: tuple[tuple[str, int, str, bool], ...]  # attribute, status, value shown, inferred

    @property
    def ok(self) -> bool:
        return self.excluded < 0 and all(s != CONFLICT for _, s, _, _ in self.statuses)

    @property
    def points(self) -> int:
        return min(
            TITLE_POINTS + ATTRIBUTE_POINTS * sum(s == FITS for _, s, _, _ in self.statuses), MAX_POINTS
        )

    @property
    def key(self) -> tuple[int, int, int]:
        return (self.points, len(self.rule.titles[self.phrase]), self.rule.priority)


def _candidate(
    rule: Rule, contact: Contact, words: Phrase, given: str | None, inferred: str | None
) -> _Candidate | None:
    phrase = longest(rule.titles, words)
    if phrase < 0:
        return None
    if given is not None:
        sen = (band_status(rule.seniority, given), given, False)
    else:
        status = band_status(rule.seniority, inferred)
        sen = (CONFLICT if status == CONFLICT else UNKNOWN, inferred or "", True)
    statuses = (
        ("seniority", *sen),
        ("department", phrase_status(rule.departments, contact.department), contact.department, False),
        (
            "company_size",
            size_status(rule.company_sizes, size_bands(contact.company_size)),
            contact.company_size,
            False,
        ),
        ("industry", phrase_status(rule.industries, contact.industry), contact.industry, False),
    )
    return _Candidate(rule, phrase, longest(rule.exclude_titles, words), statuses)


def route(rules: list[Rule], contact: Contact, min_confidence: float = 0.5) -> Decision:
    """The persona a contact belongs to by the rules alone, or 'unassigned' with the reason."""
    title = contact.title if isinstance(contact.title, str) else ""
    words = tokens(title)
    if not words:
        return Decision(UNASSIGNED, "", 0.0, "no title")
    given = (
        seniority_band(contact.seniority)
        if isinstance(contact.seniority, str) and contact.seniority
        else None
    )
    inferred = seniority(title)
    found = [c for rule in rules if (c := _candidate(rule, contact, words, given, inferred)) is not None]
    ok = [c for c in found if c.ok]
    if not ok:
        return Decision(UNASSIGNED, "", 0.0, _unmatched(title, found))
    best = max(c.key for c in ok)
    tied = [c for c in ok if c.key == best]
    if len(tied) > 1:
        reason = ambiguous_text(tied[0].rule.persona_id, tied[1].rule.persona_id, len(tied) - 2)
        return Decision(UNASSIGNED, "", 0.0, reason)
    winner = tied[0]
    parts = [match_text(title, winner.rule.title_text[winner.phrase])]
    parts += [fit_text(a, v) for a, s, v, _ in winner.statuses if s == FITS]
    if winner.points / 100 < min_confidence:
        return Decision(UNASSIGNED, "", 0.0, "; ".join([*parts, below_text(winner.points, min_confidence)]))
    return Decision(winner.rule.persona_id, winner.rule.persona_name, winner.points / 100, "; ".join(parts))


def _unmatched(title: str, found: list[_Candidate]) -> str:
    if not found:
        return no_match_text(title)
    culprit = max(found, key=lambda c: len(c.rule.titles[c.phrase]))  # the first of equals
    head = culprit_text(title, culprit.rule, culprit.phrase)
    if culprit.excluded >= 0:
        return f"{head} {excluded_text(culprit.rule.exclude_text[culprit.excluded])}"
    attribute, _, value, inferred = next(s for s in culprit.statuses if s[1] == CONFLICT)
    return f"{head} {conflict_text(attribute, value, inferred=inferred)}"
