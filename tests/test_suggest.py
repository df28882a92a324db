"""`personas suggest`: personas matched to segments, drift, coverage, candidates and safe `--apply`.

The command-line tests run on a copy of this repository (fixture `repo_copy`), as a user would; the
unit tests drive `persona_map.research.matching` with hand-made personas and segments.
"""

from __future__ import annotations

import difflib
import itertools
import json
import os
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner, Result
from scipy.optimize import linear_sum_assignment

from persona_map import atomic
from persona_map.cli import main
from persona_map.persona import Persona
from persona_map.research import matching as suggest_module
from persona_map.research.matching import MIN_MATCH, Match, PersonaReport, assign, drift, names, score
from persona_map.yaml_load import parse
from tests.conftest import TODAY

PRIYA = "personas/platform-lead-priya.yaml"
CANDIDATES = Path("build") / "segments" / "candidates"


# --- helpers -------------------------------------------------------------------------------------


def cli(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def run_suggest(root: Path, *extra: str, today: str = TODAY.isoformat()) -> Result:
    result = cli("suggest", "--root", str(root), "--today", today, *extra)
    assert result.exit_code == 0, result.output
    return result


def run_check(root: Path, today: str) -> tuple[int, dict[str, Any]]:
    result = cli("check", "--root", str(root), "--today", today, "--format", "json")
    return result.exit_code, json.loads(result.stdout)


def edit(path: Path, old: str, new: str) -> None:
    """Replace the one occurrence of `old` in a file, keeping every other byte."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def data_of(path: Path) -> Any:
    doc, findings = parse(path.read_text(encoding="utf-8"), str(path))
    assert doc is not None, findings
    return doc.data


def persona_files(root: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((root / "personas").iterdir())}


def table_row(output: str, persona_name: str) -> list[str]:
    """The cells of a persona's row in the PR description's table."""
    rows = [line for line in output.splitlines() if line.startswith(f"| {persona_name} |")]
    assert len(rows) == 1, output
    return [cell.strip() for cell in rows[0].strip("|").split("|")]


def evidence_block(lines: list[str]) -> range:
    """Line numbers of `spec.evidence` (its key and everything indented under it)."""
    start = next(i for i, line in enumerate(lines) if line.rstrip() == "  evidence:")
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or lines[end].startswith("    ")):
        end += 1
    return range(start, end)


def changed_lines(old: str, new: str) -> tuple[set[int], set[int]]:
    """Line numbers removed from `old` and added in `new`."""
    removed, added = set(), set()
    matcher = difflib.SequenceMatcher(a=old.splitlines(), b=new.splitlines(), autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            removed |= set(range(i1, i2))
            added |= set(range(j1, j2))
    return removed, added


def make_drift(root: Path) -> None:
    """Priya's persona no longer fits her segment: twice its size, and entry-level."""
    path = root / PRIYA
    edit(path, "    segment_share: 0.32\n", "    segment_share: 0.6\n")
    edit(path, "    seniority: director\n", "    seniority: entry\n")


UNSUPPORTED = """\
# yaml-language-server: $schema=../schema/persona.schema.json
# A persona no research backs: nothing like any segment, quoting nobody who was interviewed.
apiVersion: personamap/v1
kind: Persona
metadata:
  id: pharmacist-hana
  name: Hana, the Hospital Pharmacist
  tier: secondary
  owner: "@northwind/research"
spec:
  summary: Hospital pharmacist who checks prescriptions and never deploys software.
  narrative: Hana spends her day on the ward checking prescriptions against stock.
  role:
    title: Hospital Pharmacist
    seniority: owner
    department: Pharmacy
  company:
    industry: agriculture
  goals:
    - Dispense every prescription on time.
  motivations:
    - Patients get the right medicine.
  pain_points:
    - Stock-outs of common drugs.
  quotes:
    - text: The stock system never knows what is actually on the shelf.
      source: survey-2026
      respondent: S0002
  evidence:
    sources:
      - survey-2026
    sample_size: 12
    segment_share: 0.02
    last_research_date: 2026-09-30
  review:
    last_reviewed: 2026-10-14
"""


# --- the pull-request description ----------------------------------------------------------------


def test_suggest_prints_a_pull_request_description(repo_copy: Path) -> None:
    before = persona_files(repo_copy)
    out = run_suggest(repo_copy).stdout

    assert out.startswith("## Persona updates from the latest research\n")
    assert "found **4 segments**" in out
    assert "| Persona | Segment | Share then → now | Sample then → now | Drift | |" in out
    expected = {
        "Priya, the Platform Lead": ("32% → 32%", "191 → 191"),
        "Marco, the Engineering Manager": ("28% → 28%", "168 → 168"),
        "Dev, the Startup Developer": ("26% → 26%", "154 → 154"),
        "Carla, the Compliance Lead": ("14% → 14%", "87 → 87"),
    }
    segments = set()
    for name, (share, sample) in expected.items():
        persona, segment, share_cell, sample_cell, drift_cell, flag = table_row(out, name)
        assert (share_cell, sample_cell, flag) == (share, sample, "ok"), name
        assert float(drift_cell) < 0.3
        segments.add(segment)
    assert segments == {"S1", "S2", "S3", "S4"}
    # Priya, Marco and Dev are primary: 32% + 28% + 26% of respondents (0.855 exactly).
    assert "**Coverage:** the primary personas stand for 86% of respondents." in out
    assert "is covered only by a secondary persona" in out  # Carla's segment
    assert "Retire or merge" not in out
    assert "covered by **no persona**" not in out
    assert persona_files(repo_copy) == before  # without --apply nothing is written
    assert not (repo_copy / CANDIDATES).exists()


def test_apply_twice_changes_nothing_the_second_time(repo_copy: Path) -> None:
    # Out-of-date numbers for Priya and no quote candidates for Marco give --apply work to do.
    edit(repo_copy / PRIYA, "    sample_size: 191\n", "    sample_size: 150\n")
    edit(repo_copy / PRIYA, "    segment_share: 0.32\n", "    segment_share: 0.3\n")
    marco = repo_copy / "personas" / "eng-manager-marco.yaml"
    text = marco.read_text(encoding="utf-8")
    start = text.index("    quote_candidates:\n")
    marco.write_text(text[:start] + text[text.index("  review:\n") :], encoding="utf-8")

    edited = persona_files(repo_copy)
    first = run_suggest(repo_copy, "--apply").stdout
    assert "### Applied: data-derived fields only" in first
    applied = persona_files(repo_copy)
    changed = {name for name in applied if applied[name] != edited[name]}
    assert {"platform-lead-priya.yaml", "eng-manager-marco.yaml"} <= changed
    for name in changed:  # others may only gain quote candidates the new segmentation chose
        before, after = edited[name].decode(), applied[name].decode()
        removed, added = changed_lines(before, after)
        assert removed <= set(evidence_block(before.splitlines())), name
        assert added <= set(evidence_block(after.splitlines())), name
    evidence = data_of(repo_copy / PRIYA)["spec"]["evidence"]
    assert (evidence["sample_size"], evidence["segment_share"]) == (191, 0.32)
    candidates = data_of(marco)["spec"]["evidence"]["quote_candidates"]
    assert 1 <= len(candidates) <= 3
    assert all(c["source"] == "interviews-2026" and c["respondent"] and c["text"] for c in candidates)

    second = run_suggest(repo_copy, "--apply").stdout
    assert persona_files(repo_copy) == applied
    assert "No persona file needs a data update." in second
    assert "### Applied" not in second
    assert cli("check", "--root", str(repo_copy), "--today", TODAY.isoformat()).exit_code == 0


# --- drift and review dates ----------------------------------------------------------------------


def test_drift_makes_the_persona_due_for_review(repo_copy: Path) -> None:
    make_drift(repo_copy)
    out = run_suggest(repo_copy).stdout
    _, segment, share, _, drift_cell, flag = table_row(out, "Priya, the Platform Lead")
    score_now = float(drift_cell)
    assert score_now >= 0.3
    assert (segment, share, flag) == ("S1", "60% → 32%", "**review**")
    assert f"**Drift {score_now:.2f} ≥ 0.3: the persona is marked due for review.**" in out
    assert "persona says 'entry'" in out  # the attribute that moved is named
    for name in (
        "Marco, the Engineering Manager",
        "Dev, the Startup Developer",
        "Carla, the Compliance Lead",
    ):
        assert table_row(out, name)[-1] == "ok"

    run_suggest(repo_copy, "--apply")
    evidence = data_of(repo_copy / PRIYA)["spec"]["evidence"]
    assert evidence["drift"] == {"score": score_now, "detected": TODAY.isoformat(), "segment": "S1"}
    assert evidence["segment_share"] == 0.32
    assert "drift" not in data_of(repo_copy / "personas" / "developer-dev.yaml")["spec"]["evidence"]

    # Regular review date: 2027-10-14. Drift detected 2026-11-28 brings it forward to 2026-12-28.
    code, report = run_check(repo_copy, "2026-12-01")
    assert code == 0
    [finding] = [f for f in report["findings"] if f["file"] == PRIYA]
    assert finding["code"] == "review.due-soon"
    assert finding["severity"] == "warning"
    assert "drift" in finding["message"] and "2026-12-28" in finding["message"]
    assert finding["path"].startswith("spec.evidence.drift")
    assert [f for f in report["findings"] if f["file"] != PRIYA] == []

    code, report = run_check(repo_copy, "2027-01-05")
    assert code == 1
    [finding] = [f for f in report["findings"] if f["file"] == PRIYA]
    assert finding["code"] == "review.overdue"
    assert finding["severity"] == "error"
    assert "drift" in finding["message"]

    # A review after the drift was detected settles it.
    edit(repo_copy / PRIYA, "    last_reviewed: 2026-10-14\n", "    last_reviewed: 2026-12-02\n")
    code, report = run_check(repo_copy, "2027-01-05")
    assert code == 0
    assert [f for f in report["findings"] if f["file"] == PRIYA] == []


def test_a_lasting_drift_keeps_the_date_it_was_detected(repo_copy: Path) -> None:
    path = repo_copy / PRIYA
    edit(path, "    seniority: director\n", "    seniority: entry\n")
    edit(path, "    department: Platform Engineering\n", "    department: Finance\n")
    edit(path, "    title: Head of Platform Engineering\n", "    title: Accountant\n")
    edit(path, "    industry: SaaS\n", "    industry: agriculture\n")
    run_suggest(repo_copy, "--apply")
    assert data_of(path)["spec"]["evidence"]["drift"]["detected"] == TODAY.isoformat()
    # The persona still says the same, so the drift is still there three weeks later (e.g. a weekly CI job).
    out = run_suggest(repo_copy, "--apply", today="2026-12-20").stdout
    assert table_row(out, "Priya, the Platform Lead")[-1] == "**review**"
    assert data_of(path)["spec"]["evidence"]["drift"]["detected"] == TODAY.isoformat()
    code, report = run_check(repo_copy, "2027-01-05")  # 38 days after the drift was first found
    assert code == 1
    assert [f["code"] for f in report["findings"] if f["file"] == PRIYA] == ["review.overdue"]


def test_apply_changes_only_evidence_and_writes_atomically(
    repo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_drift(repo_copy)
    edit(repo_copy / PRIYA, "    sample_size: 191\n", "    sample_size: 150\n")
    before = (repo_copy / PRIYA).read_text(encoding="utf-8")
    listing = sorted(os.listdir(repo_copy / "personas"))
    renames: list[tuple[Path, Path]] = []
    replace = os.replace

    def spy(src: Any, dst: Any) -> None:
        renames.append((Path(src), Path(dst)))
        replace(src, dst)

    monkeypatch.setattr(atomic.os, "replace", spy)
    run_suggest(repo_copy, "--apply")
    after = (repo_copy / PRIYA).read_text(encoding="utf-8")

    assert after != before
    old_lines, new_lines = before.splitlines(), after.splitlines()
    removed, added = changed_lines(before, after)
    assert removed and added
    assert removed <= set(evidence_block(old_lines)), [old_lines[i] for i in sorted(removed)]
    assert added <= set(evidence_block(new_lines)), [new_lines[i] for i in sorted(added)]
    assert {old_lines[i].strip() for i in removed} == {"sample_size: 150", "segment_share: 0.6"}
    # Everything outside spec.evidence, comments included, is byte-identical.
    head = evidence_block(old_lines).start
    assert after.splitlines(keepends=True)[:head] == before.splitlines(keepends=True)[:head]
    assert after.endswith(before[before.index("\n  review:\n") :])
    comments = [line for line in old_lines if line.lstrip().startswith("#")]
    assert comments and comments == [line for line in new_lines if line.lstrip().startswith("#")]
    # Data outside spec.evidence is unchanged too (seniority stays as the person wrote it).
    old_data, new_data = data_of_text(before), data_of_text(after)
    old_data["spec"].pop("evidence"), new_data["spec"].pop("evidence")
    assert old_data == new_data

    # Atomic: written to a temporary file next to the persona and renamed over it; nothing left over.
    priya = (repo_copy / PRIYA).resolve()
    [(src, dst)] = [(s, d) for s, d in renames if d.resolve() == priya]
    assert src.parent.resolve() == priya.parent and src.name.startswith(".") and src.name.endswith(".tmp")
    assert not src.exists()
    assert sorted(os.listdir(repo_copy / "personas")) == listing
    assert not list(repo_copy.rglob("*.tmp"))


def data_of_text(text: str) -> Any:
    doc, findings = parse(text, "persona.yaml")
    assert doc is not None, findings
    return doc.data


# --- coverage gaps -------------------------------------------------------------------------------


def test_uncovered_segment_gets_a_draft_persona(repo_copy: Path) -> None:
    (repo_copy / "personas" / "compliance-officer-carla.yaml").unlink()  # Priya, Marco, Dev stay primary
    out = run_suggest(repo_copy).stdout

    segments = json.loads((repo_copy / "build" / "segments" / "segments.json").read_text(encoding="utf-8"))
    s4 = next(s for s in segments["segments"] if s["id"] == "S4")
    assert f"- **S4** ({s4['share']:.0%}, {s4['size']} respondents) is covered by **no persona**" in out
    assert "### New persona candidates" in out
    drafts = sorted((repo_copy / CANDIDATES).glob("*.yaml"))
    assert [d.name for d in drafts] == ["candidate-s4-compliance-lead.yaml"]
    assert f"- `{CANDIDATES.as_posix()}/{drafts[0].name}`: a draft to complete" in out

    draft = data_of(drafts[0])
    assert draft["apiVersion"] == "personamap/v1" and draft["kind"] == "Persona"
    assert draft["metadata"]["id"] == drafts[0].stem
    assert draft["metadata"]["tier"] == "secondary"
    assert draft["spec"]["evidence"]["sample_size"] == s4["size"]
    assert draft["spec"]["evidence"]["segment_share"] == round(s4["share"], 2)
    assert draft["spec"]["role"]["title"] == s4["modes"]["job_title"]
    assert {q["respondent"] for q in draft["spec"]["quotes"]} <= set(s4["interviewees"])

    # Once a person fills in the owner and the name, the draft is a valid persona.
    text = drafts[0].read_text(encoding="utf-8")
    text = text.replace('"@TODO/team"', '"@northwind/compliance-pm"')
    text = re.sub(r'name: "TODO: name, the ([^"]*)"', r"name: Casey, the \1", text)
    (repo_copy / "personas" / drafts[0].name).write_text(text, encoding="utf-8")
    result = cli("check", "--root", str(repo_copy), "--today", TODAY.isoformat())
    assert result.exit_code == 0, result.output
    assert "all good" in result.output


def test_unsupported_persona_is_listed_to_retire_or_merge(repo_copy: Path) -> None:
    (repo_copy / "personas" / "pharmacist-hana.yaml").write_text(UNSUPPORTED, encoding="utf-8")
    assert cli("check", "--root", str(repo_copy), "--today", TODAY.isoformat()).exit_code == 0
    out = run_suggest(repo_copy).stdout

    assert "### Retire or merge: Hana, the Hospital Pharmacist" in out
    assert table_row(out, "Hana, the Hospital Pharmacist")[1:] == [
        "—",
        "2% → —",
        "12 → —",
        "—",
        "no segment matched",
    ], "a persona no segment matches shows no drift figure"
    for name in ("Priya, the Platform Lead", "Marco, the Engineering Manager", "Dev, the Startup Developer"):
        assert table_row(out, name)[-1] == "ok"
        assert f"### Retire or merge: {name}" not in out
    # The four example personas keep their segments.
    assert {table_row(out, n)[1] for n in ("Priya, the Platform Lead", "Carla, the Compliance Lead")} == {
        "S1",
        "S4",
    }
    before = (repo_copy / "personas" / "pharmacist-hana.yaml").read_bytes()
    run_suggest(repo_copy, "--apply")
    assert (repo_copy / "personas" / "pharmacist-hana.yaml").read_bytes() == before  # nothing to derive


# --- unit tests ----------------------------------------------------------------------------------


def persona(
    pid: str = "p",
    *,
    quotes: list[str] = (),
    share: float | None = 0.3,
    tier: str = "primary",
    seniority: str = "director",
    department: str = "Platform Engineering",
    size: str = "201-1000",
    industry: str = "SaaS and developer tools",
    title: str = "Head of Platform Engineering",
) -> Persona:
    evidence: dict[str, Any] = {
        "sources": ["survey-2026"],
        "sample_size": 10,
        "last_research_date": "2026-09-30",
    }
    if share is not None:
        evidence["segment_share"] = share
    data = {
        "metadata": {"id": pid, "name": pid.title(), "tier": tier, "owner": "@acme/pm"},
        "spec": {
            "summary": "s",
            "narrative": "n",
            "role": {"title": title, "seniority": seniority, "department": department},
            "company": {"size": size, "industry": industry},
            "quotes": [{"text": f"quote {r}", "source": "interviews-2026", "respondent": r} for r in quotes],
            "evidence": evidence,
            "review": {"last_reviewed": "2026-10-14"},
        },
    }
    return Persona.from_data(data, f"personas/{pid}.yaml", 12)


def segment(
    sid: str = "S1", *, share: float = 0.3, interviewees: list[str] = (), **distributions: dict[str, float]
) -> dict[str, Any]:
    return {
        "id": sid,
        "size": round(share * 600),
        "share": share,
        "interviewees": list(interviewees),
        "distributions": distributions,
        "modes": {c: max(d, key=d.get) for c, d in distributions.items()},
        "quotes": [],
    }


@pytest.mark.parametrize(
    ("persona_value", "research_value", "expected"),
    [
        ("SaaS", "SaaS", True),
        ("saas", "SaaS", True),  # case does not matter
        ("SaaS and developer tools", "SaaS", True),
        ("SaaS and developer tools", "developer tools", True),
        ("Head of Platform Engineering", "Platform Engineering", True),
        ("Platform Engineering", "Head of Platform Engineering", False),  # the persona says less
        ("Platform", "Platform Engineering", False),
        ("e-commerce", "commerce", False),  # a hyphenated word is one word
        ("201-1000", "1-10", False),  # size bands are not substrings of each other
        ("1001-5000", "1-50", False),
        ("11-50", "1-10", False),
        ("5001+", "5001+", True),
        ("5001+ employees", "5001+", True),  # regex characters in the value are literal
        ("Fintech (payments)", "fintech", True),
        ("director", "senior", False),
        ("vp", "vp-level", False),
        ("Governance, Risk & Compliance", "Risk & Compliance", True),
        ("", "SaaS", False),
    ],
)
def test_names(persona_value: str, research_value: str, expected: bool) -> None:
    assert names(persona_value, research_value) is expected


def test_score_weighs_quotes_attributes_and_size() -> None:
    p = persona(quotes=["R1", "R2"], share=0.3, industry="SaaS and developer tools")
    seg = segment(
        share=0.24,
        interviewees=["R1", "R9"],
        seniority={"director": 0.6, "vp": 0.4},
        department={"Platform Engineering": 0.8, "Data": 0.2},
        industry={"SaaS": 0.5, "developer tools": 0.3, "fintech": 0.2},
        company_size={"1-10": 1.0},
    )
    match = score(p, seg)
    assert match.persona == "p" and match.segment == "S1"
    assert match.overlap == 0.5  # R1 of R1, R2
    # job_title has no distribution, so it does not count; industry sums every value the persona names.
    assert match.attributes == {"seniority": 0.6, "department": 0.8, "company_size": 0.0, "industry": 0.8}
    size = 1 - abs(0.3 - 0.24) / 0.3  # 0.8
    expected = (0.5 * 0.5 + 0.4 * (0.6 + 0.8 + 0.0 + 0.8) / 4 + 0.1 * size) / 1.0
    assert match.score == round(expected, 3)


def test_score_without_quotes_or_attributes() -> None:
    p = persona(quotes=[], share=None)
    match = score(p, segment(share=0.3))
    assert (match.overlap, match.attributes) == (0.0, {})
    assert match.score == 0.0  # only the size counts, and the persona states none
    p = persona(quotes=[], share=0.3)
    assert score(p, segment(share=0.3)).score == 1.0  # the size is all there is, and it fits
    assert score(p, segment(share=0.9)).score == 0.0  # more than twice as large: no fit at all


def fake_scores(
    monkeypatch: pytest.MonkeyPatch, table: dict[tuple[str, str], float]
) -> tuple[list[Persona], list[dict[str, Any]]]:
    """Make `score` return a hand-made table; personas and segments named after its rows and columns."""

    def fake(p: Persona, s: dict[str, Any]) -> Match:
        return Match(p.id, s["id"], table[(p.id, s["id"])], 0.0, {})

    monkeypatch.setattr(suggest_module, "score", fake)
    pids = sorted({p for p, _ in table})
    sids = sorted({s for _, s in table})
    return [persona(p) for p in pids], [segment(s) for s in sids]


def test_assign_finds_the_exact_optimum_where_greedy_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    # Greedy takes a-S1 (0.9) first and ends with 0.9 + 0.25 = 1.15; the optimum is 0.8 + 0.85 + 0.25 = 1.9.
    table = {
        ("a", "S1"): 0.9, ("a", "S2"): 0.8, ("a", "S3"): 0.0,
        ("b", "S1"): 0.85, ("b", "S2"): 0.1, ("b", "S3"): 0.0,
        ("c", "S1"): 0.3, ("c", "S2"): 0.3, ("c", "S3"): 0.25,
    }  # fmt: skip
    personas, segments = fake_scores(monkeypatch, table)
    result = assign(personas, segments)
    assert {p: m.segment for p, m in result.items()} == {"a": "S2", "b": "S1", "c": "S3"}
    assert all(m.score == table[(p, m.segment)] for p, m in result.items())


def test_assign_leaves_out_pairs_below_the_minimum(monkeypatch: pytest.MonkeyPatch) -> None:
    table = {
        ("a", "S1"): 0.7, ("a", "S2"): 0.1,
        ("b", "S1"): 0.6, ("b", "S2"): MIN_MATCH - 0.01,
        ("c", "S1"): 0.05, ("c", "S2"): MIN_MATCH,
    }  # fmt: skip
    personas, segments = fake_scores(monkeypatch, table)
    result = assign(personas, segments)
    assert {p: m.segment for p, m in result.items()} == {
        "a": "S1",
        "c": "S2",
    }  # b fits only where a is better


@pytest.mark.parametrize("shape", [(3, 3), (5, 3), (2, 5), (4, 4)])
def test_assign_matches_the_hungarian_optimum(
    monkeypatch: pytest.MonkeyPatch, shape: tuple[int, int]
) -> None:
    rng = np.random.default_rng(sum(shape))
    for _ in range(30):
        values = rng.random(shape).round(3)
        pids, sids = [f"p{i}" for i in range(shape[0])], [f"S{j}" for j in range(shape[1])]
        table = {
            (p, s): float(values[i, j])
            for (i, p), (j, s) in itertools.product(enumerate(pids), enumerate(sids))
        }
        personas, segments = fake_scores(monkeypatch, table)
        result = assign(personas, segments)
        counted = np.where(values >= MIN_MATCH, values, 0.0)
        rows, cols = linear_sum_assignment(counted, maximize=True)
        assert sum(m.score for m in result.values()) == pytest.approx(counted[rows, cols].sum())
        assert len({m.segment for m in result.values()}) == len(result)  # one-to-one
        assert all(m.score >= MIN_MATCH for m in result.values())


def test_assign_on_real_scores_is_one_to_one() -> None:
    personas = [persona("a", quotes=["R1"]), persona("b", quotes=["R2"]), persona("c", quotes=["R3"])]
    segments = [segment("S1", interviewees=["R2"]), segment("S2", interviewees=["R1", "R3"])]
    result = assign(personas, segments)
    assert result["b"].segment == "S1"
    assert {result[p].segment for p in result} == {"S1", "S2"}
    assert len(result) == 2


def report_with(
    p: Persona, share_now: float | None, attributes: dict[str, float], overlap: float
) -> tuple[PersonaReport, Match]:
    match = Match(p.id, "S1", 0.9, overlap, attributes)
    report = PersonaReport(p, match, share_then=p.evidence.get("segment_share"), share_now=share_now)
    return report, match


def test_drift_is_zero_when_nothing_moved() -> None:
    report, match = report_with(
        persona(quotes=["R1"], share=0.32), 0.32, {"seniority": 1.0, "department": 1.0}, 1.0
    )
    assert drift(report, match) == 0.0


def test_drift_grows_as_the_segment_moves_away() -> None:
    p = persona(quotes=["R1", "R2"], share=0.32)
    # share: |0.6 - 0.32| / 0.32 capped at 1 -> 0.875; attributes 1 - 0.5; quotes 1 - 0.5
    report, match = report_with(p, 0.6, {"seniority": 0.0, "department": 1.0}, 0.5)
    assert drift(report, match) == round(0.4 * 0.875 + 0.4 * 0.5 + 0.2 * 0.5, 2)
    report, match = report_with(p, 0.0, {"seniority": 0.0}, 0.0)
    assert drift(report, match) == 1.0  # everything moved: the ceiling
    small, _ = report_with(p, 0.30, {"seniority": 0.9}, 1.0)
    large, _ = report_with(p, 0.10, {"seniority": 0.2}, 0.5)
    assert drift(small, small.match) < 0.3 <= drift(large, large.match)


def test_drift_without_quotes_shares_or_attributes_is_neutral() -> None:
    p = persona(quotes=[], share=None)
    report, match = report_with(p, 0.3, {}, 0.0)
    assert drift(report, match) == round(0.4 * 0.5 + 0.2 * 0.5, 2)  # unknown attributes and quotes count half
    p = persona(quotes=[], share=0.01)
    report, match = report_with(p, 0.3, {"seniority": 1.0}, 0.0)
    assert drift(report, match) == round(0.4 * 1.0 + 0.2 * 0.5, 2)  # tiny shares compare against 0.05


def test_suggest_shows_why_research_cannot_be_segmented(repo_copy: Path) -> None:
    """A malformed research file stops `suggest` with its finding, not a silent exit."""
    survey = repo_copy / "research" / "survey-2026.csv"
    lines = survey.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[2] = "S0002,oops\n"
    survey.write_text("".join(lines), encoding="utf-8")
    result = CliRunner().invoke(main, ["suggest", "--root", str(repo_copy), "--today", "2026-11-28"])
    assert result.exit_code == 1
    assert "research/survey-2026.csv:3:" in result.output and "row has 2 fields" in result.output
    assert "Traceback" not in result.output


def test_too_few_respondents_is_a_clear_error(repo_copy: Path) -> None:
    survey = repo_copy / "research" / "survey-2026.csv"
    survey.write_text(
        "".join(survey.read_text(encoding="utf-8").splitlines(keepends=True)[:3]), encoding="utf-8"
    )
    result = CliRunner().invoke(main, ["segment", "--root", str(repo_copy)])
    assert result.exit_code == 1
    assert "error: 2 respondents in the research: segmenting needs at least 3" in result.output
    assert "internal error" not in result.output


# --- writes keep everything ----------------------------------------------------------------------


def make_second_drift(root: Path) -> str:
    """Marco's persona drifts too, so that --apply edits two files."""
    marco = "personas/eng-manager-marco.yaml"
    text = (root / marco).read_text(encoding="utf-8")
    share = re.search(r"    segment_share: [0-9.]+\n", text).group(0)
    edit(root / marco, share, "    segment_share: 0.9\n")
    return marco


def test_apply_keeps_crlf_line_endings(repo_copy: Path) -> None:
    make_drift(repo_copy)
    path = repo_copy / PRIYA
    path.write_bytes(path.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
    run_suggest(repo_copy, "--apply")
    after = path.read_bytes()
    assert b"sample_size" in after and after.count(b"\r\n") == after.count(b"\n"), "a line lost its CR"
    assert data_of(path)["spec"]["evidence"]["drift"]["detected"] == TODAY.isoformat()


def test_apply_is_all_or_nothing_across_files(repo_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_drift(repo_copy)
    marco = make_second_drift(repo_copy)
    before = persona_files(repo_copy)
    replace, calls = os.replace, []

    def second_fails(src: Any, dst: Any) -> None:
        calls.append(dst) if Path(dst).parent.name == "personas" else None
        if len(calls) == 2 and Path(dst).parent.name == "personas":
            raise OSError(28, "No space left on device")
        replace(src, dst)

    monkeypatch.setattr(atomic.os, "replace", second_fails)
    result = CliRunner().invoke(
        main, ["suggest", "--root", str(repo_copy), "--today", TODAY.isoformat(), "--apply"]
    )
    assert result.exit_code == 1
    assert "No space left on device" in result.output and "restored" in result.output
    assert "```diff" in result.output and marco in result.output, "the diff is still shown"
    assert persona_files(repo_copy) == before, "a file was left half-applied"
    assert not list((repo_copy / "personas").glob(".*.tmp"))


def test_apply_refuses_a_read_only_persona_file(repo_copy: Path) -> None:
    make_drift(repo_copy)
    make_second_drift(repo_copy)
    before = persona_files(repo_copy)
    (repo_copy / PRIYA).chmod(0o444)
    result = CliRunner().invoke(
        main, ["suggest", "--root", str(repo_copy), "--today", TODAY.isoformat(), "--apply"]
    )
    assert result.exit_code == 1
    assert "read-only" in result.output and "platform-lead-priya.yaml" in result.output
    assert persona_files(repo_copy) == before
    assert (repo_copy / PRIYA).stat().st_mode & 0o777 == 0o444


def test_values_the_schema_refuses_are_left_out_with_a_note(repo_copy: Path) -> None:
    from persona_map.research.suggest import _fitting_edit

    path = repo_copy / PRIYA
    old = path.read_text(encoding="utf-8")
    candidates = ("spec", "evidence", "quote_candidates")
    wanted = {
        ("spec", "evidence", "sample_size"): 180,
        candidates: [
            {"text": "word " * 340, "source": "interviews-2026", "respondent": "S0101"},  # 1,700 characters
            {"text": "A fine quote.", "source": "interviews-2026", "respondent": "S0587 #hidden"},
            {"text": "Keep this one.", "source": "interviews-2026", "respondent": "S0102"},
        ],
    }
    new, notes = _fitting_edit(old, wanted, PRIYA, repo_copy / "schema" / "persona.schema.json")
    data = data_of_text(new)
    kept = data["spec"]["evidence"]["quote_candidates"]
    assert [q["respondent"] for q in kept if q["text"] in ("A fine quote.", "Keep this one.")] == ["S0102"]
    assert all(len(q["text"]) < 1700 for q in kept)
    assert data["spec"]["evidence"]["sample_size"] == 180
    assert len(notes) == 2 and all(
        n.startswith(f"{PRIYA}: left out a quote candidate from ") for n in notes
    ), notes
    assert "S0587 #hidden" not in new


def test_drafts_are_emitted_by_the_yaml_library_and_carry_nothing_smuggled() -> None:
    from datetime import date

    from persona_map.research.drafts import draft_yaml
    from persona_map.research.manifest import Manifest, Source

    manifest = Manifest(
        {"interviews-2026": Source("interviews-2026", "interviews", "i.csv", "2026-09-30", True)}, True
    )
    segment = {
        "id": "S4",
        "size": 87,
        "share": 0.145,
        "modes": {"job_title": "Compliance Lead\nrespondent: forged", "seniority": "not-a-band"},
        "categories": [
            {"column": "top_goal", "value": "audit trails", "share": 0.62, "overall": 0.2, "lift": 3.1},
            {
                "column": "biggest_pain",
                "value": "logs\nevidence: forged",
                "share": 0.5,
                "overall": 0.2,
                "lift": 2.5,
            },
        ],
        "quotes": [
            {
                "text": "Fine.\n  - text: fabricated",
                "source": "interviews-2026",
                "respondent": "S0001\n  - text: forged",
            },
            {"text": "We log everything.", "source": "interviews-2026", "respondent": "S0587 #hidden"},
            {"text": "Call me on +44 20 7946 0958.", "source": "interviews-2026", "respondent": "S0589"},
            {"text": "Audits eat our quarter.", "source": "interviews-2026", "respondent": "S0588"},
        ],
    }
    text = draft_yaml("candidate-s4", segment, manifest, date(2026, 11, 28), "2026-09-30")
    data = data_of_text(text)
    assert data["spec"]["quotes"] == [
        {"text": "Audits eat our quarter.", "source": "interviews-2026", "respondent": "S0588"}
    ]
    assert data["spec"]["role"]["title"] == "Compliance Lead\nrespondent: forged"  # a value, not a key
    assert data["spec"]["role"]["seniority"] == "TODO: seniority", "no seniority is invented"
    assert data["spec"]["goals"] == ["audit trails"]
    assert data["spec"]["pain_points"] == ["logs\nevidence: forged"], "a value, not a key"
    assert set(data["spec"]["evidence"]) == {"sources", "sample_size", "segment_share", "last_research_date"}
    assert "62% here vs 20% overall" in text, "data-derived fields carry their figure"
    assert "fabricated" not in text and "#hidden" not in text and "7946" not in text
