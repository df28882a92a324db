"""Loading YAML: YAML 1.2 semantics, positions, and hostile files that must become findings."""

from __future__ import annotations

from pathlib import Path

import pytest

from persona_map.yaml_load import load, parse

BILLION_LAUGHS = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def test_yaml_12_scalars_stay_what_authors_wrote():
    doc, findings = parse(
        "a: no\nb: on\nc: yes\nd: 2026-09-30\ne: 2026-13-01\nf: 12\ng: 0.5\nh: true\ni: ~\nj: '7'\n",
        "x.yaml",
    )
    assert findings == []
    assert doc.data == {
        "a": "no",
        "b": "on",
        "c": "yes",
        "d": "2026-09-30",
        "e": "2026-13-01",
        "f": 12,
        "g": 0.5,
        "h": True,
        "i": None,
        "j": "7",
    }


def test_positions_of_values_and_keys_are_one_based():
    doc, _ = parse("# comment\nspec:\n  goals:\n    - ship\n    - sleep\n", "x.yaml")
    assert doc.position(("spec", "goals", 1)) == (5, 7)
    assert doc.position(("spec", "goals"), key=True) == (3, 3)
    assert doc.position(("spec", "missing", 3)) == (3, 3)  # nearest known parent


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("a: 1\nb: 2\na: 3\n", 3, "duplicate key 'a' (first defined on line 1)"),
        ("a:\n\tb: 1\n", 2, "tab character used for indentation"),
        ("a: b: c\n", 1, "mapping values are not allowed"),
        ("owner: @acme/team\n", 1, "cannot start any token"),
        (BILLION_LAUGHS, None, "document expands to more than"),
        ("[" * 3000 + "]" * 3000, 1, "nested too deeply"),
        ("a: &x [*x]\n", 1, "nested too deeply"),
        ("a: 1\n---\nb: 2\n", 3, "more than one YAML document"),
        ("a: !!python/object:os.system x\n", 1, "unsupported YAML tag"),
        ("base: &b {x: 1}\nother:\n  <<: *b\n", 3, "merge keys (<<) are not supported"),
        ("a: [1, 2\n", None, "invalid YAML"),
    ],
)
def test_broken_yaml_is_a_finding_with_a_line(text, line, message):
    doc, findings = parse(text, "x.yaml")
    assert doc is None
    assert len(findings) == 1
    assert message in findings[0].message
    if line is not None:
        assert findings[0].line == line
    assert findings[0].hint


@pytest.mark.parametrize(
    ("content", "message", "hint"),
    [
        (b"", "file is empty", "example persona"),
        (b"   \n# only a comment\n", "file is empty", "example persona"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary", "UTF-8"),
        ("a: café\n".encode("latin-1"), "not valid UTF-8", "save the file as UTF-8"),
        ("a: 1\n".encode("utf-16"), "UTF-16", "save it as UTF-8"),
    ],
)
def test_unreadable_files_are_findings(tmp_path: Path, content: bytes, message: str, hint: str):
    path = tmp_path / "p.yaml"
    path.write_bytes(content)
    doc, findings = load(path, "personas/p.yaml")
    assert doc is None
    assert [f.file for f in findings] == ["personas/p.yaml"]
    assert message in findings[0].message
    assert hint in findings[0].hint


def test_non_utf8_points_at_the_line(tmp_path: Path):
    path = tmp_path / "p.yaml"
    path.write_bytes(b"a: 1\nb: caf\xe9\n")
    _, findings = load(path)
    assert (findings[0].line, findings[0].column) == (2, 7)


def test_utf8_bom_is_accepted(tmp_path: Path):
    path = tmp_path / "p.yaml"
    path.write_bytes(b"\xef\xbb\xbfa: 1\n")
    doc, findings = load(path)
    assert findings == [] and doc.data == {"a": 1}


def test_a_50_mb_file_is_refused_without_reading_it(tmp_path: Path):
    path = tmp_path / "big.yaml"
    with path.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)  # sparse: costs no disk
    doc, findings = load(path)
    assert doc is None
    assert "50.0 MiB" in findings[0].message and "limit" in findings[0].message


LIST_ITEM_ONE_SPACE_TOO_FAR = """\
spec:
  goals:
    - Ship faster.
     - Reduce the time spent on pipelines.
    - Sleep at night.
"""


def test_a_list_item_indented_one_space_too_far_is_a_warning_with_its_line():
    doc, findings = parse(LIST_ITEM_ONE_SPACE_TOO_FAR, "x.yaml")
    assert doc.data["spec"]["goals"][0] == "Ship faster. - Reduce the time spent on pipelines.", (
        "what YAML reads"
    )
    [warning] = findings
    assert (warning.line, warning.column, warning.path, warning.code) == (
        4,
        6,
        "spec.goals[0]",
        "yaml.list-item-indent",
    )
    assert not warning.is_error
    assert "read as more text of the item on line 3" in warning.message and "indent its '-'" in warning.hint


def test_text_that_merely_continues_on_the_next_line_is_no_list_item():
    doc, findings = parse(
        "goals:\n  - Ship faster\n    with less toil - and sleep.\nsummary: 'a\n  - b'\n", "x.yaml"
    )
    assert findings == [] and doc.data["goals"] == ["Ship faster with less toil - and sleep."]


@pytest.mark.parametrize(
    ("text", "line", "column", "message", "hint"),
    [
        (
            "spec:\n  summary: x\n   narrative: y\n",
            3,
            4,
            "'narrative' is indented deeper than 'summary' (line 2) above it",
            "an indentation problem: start 'narrative' in column 3 like 'summary' (fields of 'spec', line 1)",
        ),
        (
            "spec:\n  quotes:\n    - text: a\n       source: b\n",
            4,
            8,
            "'source' is indented deeper than 'text' (line 3) above it",
            "start 'source' in column 7 like 'text' (fields of the list item on line 3)",
        ),
        (
            "metadata:\n  id: x\n    and more text\n\n      name: y\n",
            5,
            7,
            "'name' is indented deeper than 'id' (line 2) above it",
            "start 'name' in column 3 like 'id' (fields of 'metadata', line 1)",
        ),
        ("spec:\n  summary: Note: quote me\n", 2, 16, "mapping values are not allowed", "in quotes"),
    ],
)
def test_an_over_indented_key_is_called_an_indentation_problem(text, line, column, message, hint):
    doc, [finding] = parse(text, "x.yaml")
    assert doc is None
    assert (finding.line, finding.column) == (line, column)
    assert message in finding.message and hint in finding.hint
