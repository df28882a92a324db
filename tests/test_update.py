"""Surgical persona edits: only the changed values' bytes move; comments, quoting and layout stay."""

from __future__ import annotations

import copy
import datetime as dt
import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from persona_map import yaml_edit as update
from persona_map import yaml_emit as yaml_text
from persona_map.errors import PersonaError
from persona_map.yaml_edit import EditError, apply_changes, diff
from persona_map.yaml_load import parse

DATA = Path(__file__).parent / "data" / "update"
EVIDENCE = ("spec", "evidence")
QUOTES = [
    {
        "text": "Finance asks every quarter what CI costs per team.",
        "source": "interviews-2026",
        "respondent": "S0055",
    },
    {"text": 'She said "one paved road", twice.', "source": "survey-2026", "respondent": "S0410"},
]
DRIFT = {"score": 0.31, "detected": dt.date(2026, 11, 28), "segment": "S2"}

# Each variant turns a stored LF file into the encoding it tests; they are built here, not stored,
# so that no editor or git setting can silently normalise them.
VARIANTS: dict[str, Callable[[str], str]] = {
    "lf": lambda text: text,
    "crlf": lambda text: text.replace("\n", "\r\n"),
    "bom": lambda text: "\ufeff" + text,
    "bom-crlf": lambda text: "\ufeff" + text.replace("\n", "\r\n"),
    "no-final-newline": lambda text: text.rstrip("\n"),
}


@dataclass
class Case:
    """One table row: a file, the changes, and exactly which lines must be removed and added."""

    id: str
    file: str
    changes: dict[tuple[str | int, ...], Any]
    removed: list[str]
    added: list[str]
    after: str | None = None  # the unchanged line the added lines must follow
    extra: dict[str, Any] = field(default_factory=dict)


def ev(*path: str | int) -> tuple[str | int, ...]:
    """A path under spec.evidence."""
    return (*EVIDENCE, *path)


NUMBERS = {ev("sample_size"): 212, ev("segment_share"): 0.29, ev("last_research_date"): dt.date(2026, 11, 28)}

CASES = [
    Case(
        "numbers-priya",
        "platform-lead-priya.yaml",
        NUMBERS,
        ["    sample_size: 193", "    segment_share: 0.32", "    last_research_date: 2026-09-30"],
        ["    sample_size: 212", "    segment_share: 0.29", "    last_research_date: 2026-11-28"],
    ),
    Case(
        "numbers-carla",
        "compliance-officer-carla.yaml",
        {ev("sample_size"): 90, ev("segment_share"): 0.15},
        ["    sample_size: 83", "    segment_share: 0.14"],
        ["    sample_size: 90", "    segment_share: 0.15"],
    ),
    Case(
        "numbers-dev",
        "developer-dev.yaml",
        {ev("last_research_date"): "2026-12-01"},
        ["    last_research_date: 2026-09-30"],
        ["    last_research_date: 2026-12-01"],
    ),
    Case(
        "numbers-marco",
        "eng-manager-marco.yaml",
        {ev("segment_share"): 0.3},
        ["    segment_share: 0.28"],
        ["    segment_share: 0.3"],
    ),
    Case(
        "trailing-comments-kept",
        "commented.yaml",
        NUMBERS,
        [
            "    sample_size: 193  # respondents in the segment",
            "    segment_share: 0.32 # share of all respondents",
            "    last_research_date: 2026-09-30    # ISO date",
        ],
        [
            "    sample_size: 212  # respondents in the segment",
            "    segment_share: 0.29 # share of all respondents",
            "    last_research_date: 2026-11-28    # ISO date",
        ],
    ),
    Case(
        "flow-sources-stay-flow",
        "flow-quoted.yaml",
        {ev("sources"): ["survey-2026", "interviews-2026", "analytics-2026", "support-tickets-2026"]},
        ["    sources: [survey-2026, interviews-2026, analytics-2026]  # flow style"],
        ["    sources: [survey-2026, interviews-2026, analytics-2026, support-tickets-2026]  # flow style"],
    ),
    Case(
        "block-sources-stay-block",
        "platform-lead-priya.yaml",
        {ev("sources"): ["survey-2026", "analytics-2026", "support-tickets-2026"]},
        ["      - interviews-2026"],
        ["      - support-tickets-2026"],
    ),
    Case(
        "block-sources-with-comments",
        "commented.yaml",
        {ev("sources"): ["survey-2026", "support-2026"]},
        [
            "      - survey-2026  # n=1200",
            "      # interviews were recorded with consent",
            "      - interviews-2026",
            "      - analytics-2026",
        ],
        ["      - survey-2026", "      - support-2026"],
        after="    sources:  # newest first",
    ),
    Case(
        "quoted-values-keep-quotes",
        "flow-quoted.yaml",
        {
            ev("last_research_date"): "2026-11-28",
            ("spec", "review", "last_reviewed"): dt.date(2026, 12, 2),
            ("metadata", "owner"): "@northwind/research",
        },
        [
            '  owner: "@northwind/platform-pm"',
            "    last_research_date: '2026-09-30'",
            '    last_reviewed: "2026-10-14"',
        ],
        [
            '  owner: "@northwind/research"',
            "    last_research_date: '2026-11-28'",
            '    last_reviewed: "2026-12-02"',
        ],
    ),
    Case(
        "insert-missing-key-after-comment",
        "missing-fields.yaml",
        {ev("segment_share"): 0.26},
        [],
        ["    segment_share: 0.26"],
        after="    last_research_date: 2026-09-30  # fieldwork end",
    ),
    Case(
        "insert-list-of-mappings-and-mapping",
        "platform-lead-priya.yaml",
        {ev("quote_candidates"): QUOTES, ev("drift"): DRIFT},
        [],
        [
            "    quote_candidates:",
            "      - text: Finance asks every quarter what CI costs per team.",
            "        source: interviews-2026",
            "        respondent: S0055",
            '      - text: She said "one paved road", twice.',
            "        source: survey-2026",
            "        respondent: S0410",
            "    drift:",
            "      score: 0.31",
            "      detected: 2026-11-28",
            "      segment: S2",
        ],
        after="    last_research_date: 2026-09-30",
    ),
    Case(
        "insert-into-commented-block",
        "commented.yaml",
        {ev("drift", "score"): 0.31, ev("drift", "segment"): "S2"},
        [],
        ["    drift:", "      score: 0.31", "      segment: S2"],
        after="    last_research_date: 2026-09-30    # ISO date",
    ),
    Case(
        "create-missing-parents",
        "no-evidence.yaml",
        {ev("sample_size"): 169, ev("drift", "score"): 0.31, ev("sources"): ["survey-2026"]},
        [],
        [
            "  evidence:",
            "    sample_size: 169",
            "    drift:",
            "      score: 0.31",
            "    sources:",
            "      - survey-2026",
        ],
        after="    interval_months: 12",
    ),
    Case(
        "four-space-indentless",
        "four-space.yaml",
        {ev("sources"): ["survey-2026", "analytics-2026"], ev("quote_candidates"): QUOTES[:1]},
        ["        - interviews-2026"],
        [
            "        - analytics-2026",
            "        quote_candidates:",
            "        - text: Finance asks every quarter what CI costs per team.",
            "          source: interviews-2026",
            "          respondent: S0055",
        ],
    ),
    Case(
        "append-list-item",
        "platform-lead-priya.yaml",
        {("metadata", "tags", 5): "data-driven"},
        [],
        ["    - data-driven"],
        after="    - cost-visibility",
    ),
]


def expected_data(text: str, changes: dict[tuple[str | int, ...], Any]) -> Any:
    """The old file's data with the changes applied, as the loader returns it."""
    data = copy.deepcopy(load(text))
    for path, value in changes.items():
        node = data
        for part in path[:-1]:
            node = node.setdefault(part, {}) if isinstance(node, dict) else node[part]
        plain = iso(value)
        if isinstance(node, list) and path[-1] == len(node):
            node.append(plain)
        else:
            node[path[-1]] = plain
    return data


def iso(value: Any) -> Any:
    """Dates become the ISO text the loader reads back."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: iso(v) for k, v in value.items()}
    if isinstance(value, list):
        return [iso(v) for v in value]
    return value


def load(text: str) -> Any:
    """Data of YAML text (BOM allowed), failing the test if it does not load."""
    doc, findings = parse(text.removeprefix("\ufeff"), "t.yaml")
    assert doc is not None, findings
    return doc.data


def line_changes(old: str, new: str) -> tuple[list[str], list[str]]:
    """Lines (without endings) that difflib sees removed and added; all others are byte-identical."""
    a, b = old.split("\n"), new.split("\n")
    removed, added = [], []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag != "equal":
            removed += [line.removesuffix("\r") for line in a[i1:i2]]
            added += [line.removesuffix("\r") for line in b[j1:j2]]
    return removed, added


def read(name: str, variant: str = "lf") -> str:
    """A stored test file, turned into one of the VARIANTS."""
    return VARIANTS[variant]((DATA / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_only_expected_lines_change(case: Case, variant: str) -> None:
    old = read(case.file, variant)
    new = apply_changes(old, case.changes, file=case.file)
    assert line_changes(old, new) == (case.removed, case.added)
    assert load(new) == expected_data(old, case.changes)
    crlf = "crlf" in variant
    assert new.count("\r\n") == (new.count("\n") if crlf else 0)
    assert new.startswith("\ufeff") == old.startswith("\ufeff")
    assert new.endswith("\n") == old.endswith("\n")
    if case.after:
        nl = "\r\n" if crlf else "\n"
        first = (case.added or [""])[0]
        assert f"{case.after}{nl}{first}" in new


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("name", sorted(p.name for p in DATA.glob("*.yaml")))
def test_no_op_changes_return_identical_text(name: str, variant: str) -> None:
    old = read(name, variant)
    data = load(old)
    evidence = data["spec"].get("evidence", {})
    changes = {
        ev(key): evidence[key] for key in ("sources", "sample_size", "segment_share") if key in evidence
    }
    changes[("metadata", "id")] = data["metadata"]["id"]
    assert apply_changes(old, changes, file=name) == old


def test_dates_as_text_or_date_are_the_same_no_op() -> None:
    old = read("platform-lead-priya.yaml")
    assert apply_changes(old, {ev("last_research_date"): dt.date(2026, 9, 30)}) == old


TRICKY = [
    ("@team", '"@team"'),
    ("yes", '"yes"'),
    ("No", '"No"'),
    ("on", '"on"'),
    ("true", '"true"'),
    ("null", '"null"'),
    ("~", '"~"'),
    ("", '""'),
    ("1.0", '"1.0"'),
    ("42", '"42"'),
    ("1_000", '"1_000"'),
    ("0x1F", '"0x1F"'),
    ("12:30", '"12:30"'),
    (".inf", '".inf"'),
    ("a: b", '"a: b"'),
    ("ends with colon:", '"ends with colon:"'),
    ("# x", '"# x"'),
    ("x # y", '"x # y"'),
    ("- item", '"- item"'),
    ("[x]", '"[x]"'),
    ("{x}", '"{x}"'),
    ("*alias", '"*alias"'),
    ("&anchor", '"&anchor"'),
    ("!tag", '"!tag"'),
    ("|literal", '"|literal"'),
    (">folded", '">folded"'),
    ("%directive", '"%directive"'),
    ("`code`", '"`code`"'),
    ("'single'", "\"'single'\""),
    ('"double"', '"\\"double\\""'),
    ("?q", '"?q"'),
    (",comma", '",comma"'),
    (" padded ", '" padded "'),
    ("...", '"..."'),
    ("line\nbreak", '"line\\nbreak"'),
    ("tab\there", '"tab\\there"'),
    ("back\\slash", "back\\slash"),
    ("line\u2028separator", '"line\\u2028separator"'),
    ("bell\x07", '"bell\\x07"'),
    ('She said "hi"', 'She said "hi"'),
    ("it's fine", "it's fine"),
    ("Zoë – naïve ☕ 😀", "Zoë – naïve ☕ 😀"),
    ("2026-11-28", "2026-11-28"),
    ("S2", "S2"),
    ("a:b", "a:b"),
    ("100%", "100%"),
    ("e.g. Platform Engineering, CNCF Slack", "e.g. Platform Engineering, CNCF Slack"),
]


@pytest.mark.parametrize(("value", "written"), TRICKY, ids=[repr(v) for v, _ in TRICKY])
def test_strings_are_quoted_when_needed_and_round_trip(value: str, written: str) -> None:
    old = read("commented.yaml")
    changes = {
        ev("last_research_date"): value,
        ev("drift", "segment"): value,
        ev("sources"): ["survey-2026", value],
        ev("quote_candidates"): [{"text": value, "source": "survey-2026"}],
    }
    new = apply_changes(old, changes)
    assert f"    last_research_date: {written}    # ISO date\n" in new
    assert f"      segment: {written}\n" in new
    assert f"      - {written}\n" in new
    data = load(new)["spec"]["evidence"]
    assert data["last_research_date"] == data["drift"]["segment"] == data["sources"][1] == value
    assert data["quote_candidates"] == [{"text": value, "source": "survey-2026"}]


@pytest.mark.parametrize(("value", "_"), TRICKY, ids=[repr(v) for v, _ in TRICKY])
def test_strings_in_flow_lists_round_trip(value: str, _: str) -> None:
    new = apply_changes(read("flow-quoted.yaml"), {ev("sources"): [value, "a, b", "x]"]})
    assert load(new)["spec"]["evidence"]["sources"] == [value, "a, b", "x]"]
    assert "    sources: [" in new


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (0.32, "0.32"),
        (0.1, "0.1"),
        (1.0, "1.0"),
        (1e-7, "1e-07"),
        (float("inf"), ".inf"),
        (float("-inf"), "-.inf"),
        (7, "7"),
        (-3, "-3"),
        (True, "true"),
        (False, "false"),
        (None, "null"),
        ([], "[]"),
        ({}, "{}"),
    ],
)
def test_typed_values_are_written_plainly(value: Any, written: str) -> None:
    new = apply_changes(read("platform-lead-priya.yaml"), {ev("segment_share"): value})
    assert f"\n    segment_share: {written}\n" in new
    assert load(new)["spec"]["evidence"]["segment_share"] == value


def numpy_values() -> list[Any]:
    """numpy scalars as pandas hands them out (numpy comes with pandas)."""
    np = pytest.importorskip("numpy")
    return [np.float32(0.29), np.float64(0.29), np.int64(212)]


@pytest.mark.parametrize(
    ("make", "written"),
    [
        (lambda: Decimal("0.29"), "0.29"),
        (lambda: Fraction(1, 4), "0.25"),
        (lambda: numpy_values()[0], "0.29"),
        (lambda: numpy_values()[1], "0.29"),
        (lambda: numpy_values()[2], "212"),
    ],
    ids=["Decimal", "Fraction", "float32", "float64", "int64"],
)
def test_numbers_of_other_types_have_no_binary_noise(make: Callable[[], Any], written: str) -> None:
    new = apply_changes(read("platform-lead-priya.yaml"), {ev("segment_share"): make()})
    assert f"\n    segment_share: {written}\n" in new


def test_folded_narrative_stays_folded() -> None:
    old = read("platform-lead-priya.yaml")
    text = (
        " ".join(["Priya now runs one paved road for forty teams."] * 4) + "\n\nCost per team is one click."
    )
    new = apply_changes(old, {("spec", "narrative"): text})
    assert "  narrative: >-\n    Priya now runs one paved road" in new
    assert max(len(line) for line in new.split("\n")[18:25]) <= yaml_text.WRAP
    assert load(new)["spec"]["narrative"] == text
    assert line_changes(old, new)[1][-1] == "    Cost per team is one click."


def test_literal_block_stays_literal() -> None:
    old = "spec:\n  notes: |\n    first\n    second\n  # after\n  next: 1\n"
    new = apply_changes(old, {("spec", "notes"): "one\n  indented\nthree\n"})
    assert new == "spec:\n  notes: |\n    one\n      indented\n    three\n  # after\n  next: 1\n"


def test_block_scalar_that_cannot_stay_a_block_is_double_quoted() -> None:
    old = "spec:\n  notes: >-\n    folded\n  next: 1\n"
    new = apply_changes(old, {("spec", "notes"): "  leading spaces"})
    assert new == 'spec:\n  notes: "  leading spaces"\n  next: 1\n'


@pytest.mark.parametrize(
    ("old", "path", "value", "new"),
    [
        pytest.param(
            "a:\n  drift:\n  b: 1\n",
            ("a", "drift", "score"),
            0.3,
            "a:\n  drift:\n    score: 0.3\n  b: 1\n",
            id="null-parent",
        ),
        pytest.param(
            "a:\n  drift: ~  # none yet\n",
            ("a", "drift", "score"),
            0.3,
            "a:\n  drift:\n    score: 0.3  # none yet\n",
            id="tilde-parent",
        ),
        pytest.param("a:\n  b:\n", ("a", "b"), 5, "a:\n  b: 5\n", id="empty-value"),
        pytest.param(
            "d: {score: 0.2}  # flow\n",
            ("d", "detected"),
            dt.date(2026, 11, 28),
            "d: {score: 0.2, detected: 2026-11-28}  # flow\n",
            id="flow-mapping-insert",
        ),
        pytest.param("d: {}\n", ("d", "k"), "a, b", 'd: {k: "a, b"}\n', id="empty-flow-mapping-insert"),
        pytest.param("s: [a, b]\n", ("s", 2), "c", "s: [a, b, c]\n", id="flow-append"),
        pytest.param("s: [a, b]\n", ("s", 1), "x: y", 's: [a, "x: y"]\n', id="flow-item"),
        pytest.param(
            "s: [a]\nt: 1\n", ("s",), [{"k": 1}], "s:\n  - k: 1\nt: 1\n", id="flow-to-block-when-nested"
        ),
        pytest.param("s:\n  - a\n  - b\nt: 1\n", ("s",), "none", "s: none\nt: 1\n", id="block-to-scalar"),
        pytest.param("s: none  # c\nt: 1\n", ("s",), ["a"], "s:\n  - a  # c\nt: 1\n", id="scalar-to-block"),
        pytest.param("s:\n- a\n- b\n", ("s",), {"k": "v"}, "s:\n  k: v\n", id="indentless-seq-to-mapping"),
        pytest.param(
            "q:\n  - text: a\n    source: s\n",
            ("q", 0, "respondent"),
            "S1",
            "q:\n  - text: a\n    source: s\n    respondent: S1\n",
            id="insert-into-list-item",
        ),
        pytest.param(
            "q:\n  - text: a\n  - b\n",
            ("q", 1),
            {"text": "c", "k": 2},
            "q:\n  - text: a\n  - text: c\n    k: 2\n",
            id="item-to-mapping",
        ),
        pytest.param("a: 1", ("b",), {"c": [1]}, "a: 1\nb:\n  c:\n    - 1", id="no-final-newline-root"),
    ],
)
def test_structural_edits(old: str, path: tuple[str | int, ...], value: Any, new: str) -> None:
    assert apply_changes(old, {path: value}) == new


def test_multiple_changes_in_one_call_land_in_order() -> None:
    old = read("no-evidence.yaml")
    changes = {
        ev("drift", "score"): 0.31,
        ev("drift", "detected"): dt.date(2026, 11, 28),
        ev("drift", "segment"): "S2",
    }
    new = apply_changes(old, changes)
    assert (
        "    interval_months: 12\n  evidence:\n    drift:\n      score: 0.31\n      detected: 2026-11-28\n"
        in new
    )
    assert load(new)["spec"]["evidence"]["drift"] == {
        "score": 0.31,
        "detected": "2026-11-28",
        "segment": "S2",
    }


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (
            ev("sample_size", "x"),
            1,
            "p.yaml: cannot set spec.evidence.sample_size.x: spec.evidence.sample_size holds a single value",
        ),
        (("spec", 0), 1, "p.yaml: cannot set spec[0]: spec is a mapping; use a key, not [0]"),
        (ev("sources", "x"), 1, "spec.evidence.sources is a list; use an index, not 'x'"),
        (ev("sources", 7), 1, "spec.evidence.sources has 3 items; index 7 is out of range"),
        (ev("new", 0), 1, "cannot create list item [0] in a list that does not exist"),
        ((), 1, "p.yaml: cannot replace the whole document"),
        (ev("drift"), object(), "p.yaml: spec.evidence.drift: cannot write a object value"),
        (ev("drift"), {1: "x"}, "mapping keys must be text"),
        (ev("drift"), "\ud800", "text is not valid Unicode"),
    ],
)
def test_impossible_changes_raise(path: tuple[str | int, ...], value: Any, message: str) -> None:
    with pytest.raises(EditError, match=None) as raised:
        apply_changes(read("platform-lead-priya.yaml"), {path: value}, file="p.yaml")
    assert message in str(raised.value)
    assert isinstance(raised.value, PersonaError)


def test_a_file_that_does_not_load_is_refused() -> None:
    with pytest.raises(EditError, match=r"bad\.yaml: cannot update: it does not load: line 2"):
        apply_changes("a: 1\na: 2\n", {("b",): 1}, file="bad.yaml")


def test_verification_rejects_broken_yaml(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(update, "inline", lambda value, **_: "[broken")
    with pytest.raises(EditError, match=r"p\.yaml: .*would break the YAML.*line 136"):
        apply_changes(read("platform-lead-priya.yaml"), {ev("sample_size"): 1}, file="p.yaml")


def test_verification_rejects_edits_that_change_other_data(monkeypatch: pytest.MonkeyPatch) -> None:
    old = read("platform-lead-priya.yaml")
    at = old.index("0.32")  # a planner bug that edits segment_share instead of sample_size
    monkeypatch.setattr(update, "_plan", lambda target, root: update._Edit(at, at + 4, "1"))
    with pytest.raises(
        EditError, match=r"p\.yaml: the edit would change spec\.evidence\.sample_size unexpectedly"
    ):
        apply_changes(old, {ev("sample_size"): 1}, file="p.yaml")


def test_verification_rejects_a_value_that_reads_back_differently(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yaml_text, "_plain_ok", lambda s, flow: True)  # would write yes unquoted
    with pytest.raises(EditError, match=r"would change spec\.evidence\.sample_size unexpectedly"):
        apply_changes(read("platform-lead-priya.yaml"), {ev("sample_size"): "193"}, file="p.yaml")


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (("b",), "cannot set b: the value is reused elsewhere through an alias"),
        (("m", "k"), "cannot set m.k: m is reused elsewhere through an alias"),
        (("n", "j"), "cannot set n.j: n is reused elsewhere through an alias"),
    ],
)
def test_aliased_values_are_refused(path: tuple[str, ...], message: str) -> None:
    old = "a: &x 1\nb: *x\nm: &m {k: 1}\nn: *m\n"
    with pytest.raises(EditError, match=message):
        apply_changes(old, {path: 2}, file="a.yaml")


def test_diff_has_git_style_labels() -> None:
    old = read("platform-lead-priya.yaml")
    new = apply_changes(old, {ev("sample_size"): 212})
    out = diff("personas/platform-lead-priya.yaml", old, new)
    assert out.startswith(
        "--- a/personas/platform-lead-priya.yaml\n+++ b/personas/platform-lead-priya.yaml\n@@ "
    )
    assert "\n-    sample_size: 193\n+    sample_size: 212\n" in out
    assert diff("x", old, old) == ""


def test_diff_marks_a_missing_final_newline() -> None:
    out = diff("p.yaml", "a: 1\nb: 2", "a: 1\nb: 3")
    assert out.endswith("-b: 2\n\\ No newline at end of file\n+b: 3\n\\ No newline at end of file\n")
