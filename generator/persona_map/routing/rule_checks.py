"""`personas check` for classification rules: phrases that match nothing, self-exclusion, overlaps, examples.

The schema catches malformed rules; these checks catch rules that are well-formed but wrong. The labelled
examples are routed against the rules of every checked persona, so a change to one persona that
misroutes another persona's known contact fails CI. Plain Python: no pandas on the check path.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from persona_map.data_paths import JsonPath, get
from persona_map.findings import Finding, Severity
from persona_map.routing.rules import Contact, Rule, route, rule_from_data
from persona_map.routing.titles import tokens
from persona_map.yaml_load import Document

PHRASE_LISTS = ("titles", "exclude_titles", "departments", "industries")
BASE: JsonPath = ("spec", "classification")


def _block(doc: Document) -> dict[str, Any] | None:
    block = get(doc.data, *BASE)
    return block if isinstance(block, dict) else None


def _texts(block: dict[str, Any], key: str) -> list[tuple[int, str]]:
    values = block.get(key)
    return [(i, v) for i, v in enumerate(values) if isinstance(v, str)] if isinstance(values, list) else []


def persona_findings(doc: Document) -> list[Finding]:
    """Rules of one persona that can never work: empty phrases and excluding its own titles."""
    block = _block(doc)
    if block is None:
        return []
    findings = []
    for key in PHRASE_LISTS:
        for i, text in _texts(block, key):
            if text.strip() and not tokens(text):
                findings.append(
                    doc.finding(
                        (*BASE, key, i),
                        f"'{text}' normalises to nothing, so it can never match",
                        "write words that appear in job titles; punctuation, emoji, 'N/A' and filler words "
                        "like 'of' are ignored",
                        "classify.empty-phrase",
                    )
                )
    titles = {tokens(text): i for i, text in _texts(block, "titles") if tokens(text)}
    for i, text in _texts(block, "exclude_titles"):
        if tokens(text) in titles:
            findings.append(
                doc.finding(
                    (*BASE, "exclude_titles", i),
                    f"'{text}' is also titles[{titles[tokens(text)]}], so those contacts are always excluded",
                    "remove it from titles or from exclude_titles",
                    "classify.self-exclude",
                )
            )
    return findings


def _rules(docs: Iterable[Document]) -> list[tuple[Document, Rule]]:
    out = []
    for doc in docs:
        block, persona_id = _block(doc), get(doc.data, "metadata", "id")
        if block is not None and isinstance(persona_id, str):
            name = get(doc.data, "metadata", "name")
            out.append(
                (doc, rule_from_data(persona_id, name if isinstance(name, str) else persona_id, block))
            )
    return out


def across_findings(docs: Iterable[Document]) -> list[Finding]:
    """Rules of several personas together: overlapping title phrases and misrouted examples."""
    pairs = _rules(docs)
    return _overlaps(pairs) + _examples(pairs)


def _overlaps(pairs: list[tuple[Document, Rule]]) -> list[Finding]:
    findings = []
    seen: dict[tuple[tuple[str, ...], int], tuple[Document, Rule, int]] = {}
    for doc, rule in pairs:
        block = _block(doc) or {}
        for i, text in _texts(block, "titles"):
            words = tokens(text)
            if not words:
                continue
            other = seen.setdefault((words, rule.priority), (doc, rule, i))
            if other[1].persona_id == rule.persona_id:
                continue
            line, _ = other[0].position((*BASE, "titles", other[2]))
            findings.append(
                doc.finding(
                    (*BASE, "titles", i),
                    f"title phrase '{text}' is also a title of {other[1].persona_id} ({other[0].file}:{line}) "
                    f"with the same priority ({rule.priority}), so such contacts are ambiguous",
                    "give one of the personas a higher priority, or narrow the phrase in one of them with more words",
                    "classify.overlap",
                    Severity.WARNING,
                )
            )
    return findings


def _examples(pairs: list[tuple[Document, Rule]]) -> list[Finding]:
    rules = [rule for _, rule in pairs]
    findings = []
    for doc, rule in pairs:
        examples = (_block(doc) or {}).get("examples")
        for i, example in enumerate(examples if isinstance(examples, list) else []):
            if not isinstance(example, dict) or not isinstance(example.get("title"), str):
                continue
            found = _example_finding(doc, rules, rule, i, example)
            if found is not None:
                findings.append(found)
    return findings


def _example_finding(
    doc: Document, rules: list[Rule], rule: Rule, i: int, example: dict[str, Any]
) -> Finding | None:
    fields = {k: example.get(k) for k in ("seniority", "department", "company_size", "industry")}
    contact = Contact(example["title"], **{k: v if isinstance(v, str) else "" for k, v in fields.items()})
    decision = route(rules, contact)
    expect = example.get("expect")
    wrong = (expect == "match" and decision.persona_id != rule.persona_id) or (
        expect == "no-match" and decision.persona_id == rule.persona_id
    )
    if not wrong:
        return None
    expected = rule.persona_id if expect == "match" else f"anything but {rule.persona_id}"
    return doc.finding(
        (*BASE, "examples", i),
        f'example "{example["title"]}" is routed to {decision.persona_id}, expected {expected} ({decision.reason})',
        "adjust titles, exclude_titles, the attribute lists or priority of the personas involved",
        "classify.example",
    )
