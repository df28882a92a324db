"""`personas check` on data files: every valid file passes, every invalid file gives exactly its expected findings.

Each file in tests/data/invalid/ states what it must produce in comment lines:
    # expect: LINE: [PATH: ]MESSAGE-FRAGMENT [| hint: HINT-FRAGMENT]
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from persona_map.check.check import check
from persona_map.repository import Repository
from tests.conftest import ROOT, TODAY

DATA = Path(__file__).parent / "data"
EXPECT = re.compile(r"^# expect: (\d+): (.+?)(?: \| hint: (.+))?$")


@pytest.fixture(scope="module")
def repo() -> Repository:
    return Repository.open(ROOT)


def _expectations(path: Path) -> list[tuple[int, str, str | None]]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        match = EXPECT.match(line)
        if match:
            out.append((int(match[1]), match[2], match[3]))
    return out


@pytest.mark.parametrize("path", sorted((DATA / "valid").glob("*.yaml")), ids=lambda p: p.name)
def test_valid_files_pass(repo: Repository, path: Path):
    result = check(repo, [path], TODAY)
    assert result.findings == []


@pytest.mark.parametrize("path", sorted((DATA / "invalid").glob("*.yaml")), ids=lambda p: p.name)
def test_invalid_files_give_their_expected_findings(repo: Repository, path: Path):
    expected = _expectations(path)
    assert expected, f"{path.name} states no '# expect:' line"
    result = check(repo, [path], TODAY)
    got = [
        (f.line, f"{f.path}: {f.message}" if f.path else f.message, f.hint)
        for f in result.sorted()
        if f.is_error
    ]
    assert len(got) == len(expected), f"got {got}"
    for (line, text, hint), (got_line, got_text, got_hint) in zip(expected, got, strict=True):
        assert (got_line, text in got_text) == (line, True), f"expected line {line}: {text!r}, got {got}"
        assert got_hint, "every finding carries a hint"
        if hint:
            assert hint in got_hint
    assert all(f.file == f"tests/data/invalid/{path.name}" for f in result.findings)


def test_the_example_personas_pass(repo: Repository):
    result = check(repo, today=TODAY)
    assert [f.code for f in result.findings] == ["config.placeholder-url"], "only the placeholder URL warns"
    assert result.ok and len(result.checked) == 4
