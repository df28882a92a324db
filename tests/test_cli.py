"""The `personas` command through its real entry points: exit codes, formats and hostile input."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from persona_map.check import check as check_module
from persona_map.cli import main
from tests.conftest import ROOT

DATA = Path(__file__).parent / "data"
PERSONAS = shutil.which("personas", path=str(Path(sys.executable).parent))


def run(*args: str, env: dict[str, str] | None = None):
    runner = CliRunner()
    return runner.invoke(main, list(args), env=env, catch_exceptions=False)


def test_check_passes_on_the_repository_and_warns_about_the_placeholder_url():
    result = run("check", "--root", str(ROOT), "--today", "2026-11-28")
    assert result.exit_code == 0, result.output
    assert "4 persona files checked: 1 warning" in result.output
    lines = (ROOT / "pyproject.toml").read_text().splitlines()
    line = next(n for n, text in enumerate(lines, 1) if text.startswith("repository_url = "))
    assert (
        f"pyproject.toml:{line}:1: warning: tool.personas.repository_url: repository_url is still the placeholder"
        in result.output
    )


def test_a_real_repository_url_silences_the_placeholder_warning(repo_copy: Path):
    assert "northwind/persona-map" in (repo_copy / "pyproject.toml").read_text()
    result = run("check", "--root", str(repo_copy), "--today", "2026-11-28")
    assert result.exit_code == 0, result.output
    assert "4 persona files checked: all good" in result.output


def test_check_reports_file_line_column_path_message_and_hint():
    result = run("check", "--root", str(ROOT), "--today", "2026-11-28", str(DATA / "invalid/bad-tier.yaml"))
    assert result.exit_code == 1
    assert (
        "tests/data/invalid/bad-tier.yaml:8:9: error: metadata.tier: 'Primary' is not one of primary, secondary"
        in result.output
    )
    assert "hint: did you mean 'primary'?" in result.output
    assert "\x1b[" not in result.output, "no colour codes when not on a terminal"
    coloured = run("check", "--root", str(ROOT), "--color", str(DATA / "invalid/bad-tier.yaml"))
    assert "\x1b[31;1merror" in coloured.output


def test_all_findings_are_reported_at_once():
    files = [str(p) for p in sorted((DATA / "invalid").glob("*.yaml"))]
    result = run("check", "--root", str(ROOT), "--today", "2026-11-28", "--format", "json", *files)
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["ok"] is False
    assert len(report["checked"]) == len(files)
    assert {Path(f["file"]).name for f in report["findings"]} == {Path(f).name for f in files}
    first = report["findings"][0]
    assert set(first) == {"file", "line", "column", "path", "message", "hint", "code", "severity"}


def test_github_format_writes_annotations_and_a_job_summary(tmp_path: Path):
    summary = tmp_path / "summary.md"
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}
    result = run(
        "check",
        "--root",
        str(ROOT),
        "--today",
        "2026-11-28",
        str(DATA / "invalid/evidence-numbers.yaml"),
        env=env,
    )
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == (
        "::error file=tests/data/invalid/evidence-numbers.yaml,line=25,col=18,"
        "title=spec.evidence.sample_size::0 must be at least 1 (hint: How many respondents or accounts "
        "in the research match this persona.)"
    )
    table = summary.read_text()
    assert "### Persona check: failed" in table
    assert (
        "| ❌ | `tests/data/invalid/evidence-numbers.yaml:26:20` | `spec.evidence.segment_share` |" in table
    )


def test_annotations_escape_newlines_and_percent():
    from persona_map.findings import Finding
    from persona_map.reporters import annotation

    text = annotation(Finding("a,b.yaml", 3, 1, "x:y", "100% bad\nnext", "", "c"))
    assert text == "::error file=a%2Cb.yaml,line=3,col=1,title=x%3Ay::100%25 bad%0Anext"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["check", "--today", "2026-13-01"], "'2026-13-01' is not a date"),
        (["check", "--format", "xml"], "'xml' is not one of"),
        (["check", "--no-such-option"], "No such option"),
        (["review", "--within", "-3"], "-3 is not in the range"),
    ],
)
def test_usage_errors_exit_2(args, message):
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert message in result.output


def test_unexpected_errors_are_one_line_unless_debug(monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(check_module, "check", boom)
    result = CliRunner().invoke(main, ["check", "--root", str(ROOT)])
    assert result.exit_code == 1
    assert "internal error: RuntimeError: disk on fire (rerun with --debug" in result.output
    assert "Traceback" not in result.output
    result = CliRunner().invoke(main, ["--debug", "check", "--root", str(ROOT)])
    assert "Traceback" in result.output


def test_config_error_is_a_clear_message(repo_copy: Path):
    (repo_copy / "pyproject.toml").write_text("[tool.personas]\nprimary_max = 'five'\n")
    result = CliRunner().invoke(main, ["check", "--root", str(repo_copy)])
    assert result.exit_code == 1
    assert "primary_max must be int" in result.output
    assert "Traceback" not in result.output


def test_review_lists_overdue_and_due_personas_with_owners(repo_copy: Path):
    priya = repo_copy / "personas/platform-lead-priya.yaml"
    priya.write_text(priya.read_text().replace("last_reviewed: 2026-10-14", "last_reviewed: 2025-10-01"))
    result = run("review", "--root", str(repo_copy), "--today", "2026-11-28", "--format", "json")
    data = json.loads(result.output)
    assert [item["id"] for item in data["overdue"]] == ["platform-lead-priya"]
    assert data["overdue"][0]["days"] == -58
    assert data["due"] == []
    assert data["owners"] == ["@northwind/platform-pm"]
    assert data["assignees"] == []
    assert "@northwind/platform-pm" in data["body"] and "58 days overdue" in data["body"]
    later = run("review", "--root", str(repo_copy), "--today", "2027-10-01")
    assert "### Due within 30 days" in later.output and "Dev, the Startup Developer" in later.output
    assert "Carla" not in later.output, "due in 34 days is outside the window"


def test_a_date_in_year_9999_is_a_finding_not_an_internal_error(repo_copy: Path):
    carla = repo_copy / "personas/compliance-officer-carla.yaml"
    carla.write_text(carla.read_text().replace("last_reviewed: 2026-11-04", "last_reviewed: 9999-01-15"))
    result = run("check", "--root", str(repo_copy), "--today", "2026-11-28")
    assert result.exit_code == 1
    assert "last reviewed 9999-01-15 plus 12 months is after 9999-12-31" in result.output
    for today in ("2026-11-28", "9999-12-31"):
        result = run("review", "--root", str(repo_copy), "--today", today, "--format", "json")
        assert result.exit_code == 0 and "internal error" not in result.output
    assert json.loads(result.output)["overdue"], "on the last day the other personas are overdue"


# Files a pull request might bring, from careless to hostile. Each must give a finding, not a traceback.
HOSTILE: dict[str, bytes] = {
    "empty.yaml": b"",
    "binary.yaml": bytes(range(256)),
    "latin1.yaml": "name: Ren\xe9e\n".encode("latin-1"),
    "utf16.yaml": "a: 1\n".encode("utf-16"),
    "tabs.yaml": b"apiVersion: personamap/v1\nmetadata:\n\tid: tabs\n",
    "list.yaml": b"- a\n- b\n",
    "scalar.yaml": b"just a sentence\n",
    "bomb.yaml": b'a: &a ["x","x","x","x","x","x","x","x","x","x"]\n'
    + b"".join(
        f"{c}: &{c} [{','.join([f'*{p}'] * 10)}]\n".encode() for p, c in zip("abcdef", "bcdefg", strict=True)
    ),
    "deep.yaml": b"[" * 100_000,
    "traversal.yaml": (DATA / "invalid/id-traversal.yaml").read_bytes(),
}


def test_hostile_files_through_the_console_script(repo_copy: Path, tmp_path: Path):
    personas = repo_copy / "personas"
    for name, content in HOSTILE.items():
        (personas / name).write_bytes(content)
    dev = (personas / "developer-dev.yaml").read_bytes().replace(b"id: developer-dev", b"id: bom")
    dev = dev.split(b"  # Routes CRM contacts")[
        0
    ]  # a copy's classification rules would overlap the original's
    (personas / "bom.yaml").write_bytes(b"\xef\xbb\xbf" + dev.replace(b"tier: primary", b"tier: secondary"))
    with (personas / "huge.yaml").open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)
    outside = tmp_path / "outside.yaml"
    outside.write_text("secret: value\n")
    os.symlink(outside, personas / "link.yaml")
    proc = subprocess.run(
        [PERSONAS, "check", "--root", str(repo_copy), "--today", "2026-11-28"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stdout + proc.stderr
    for name in [*HOSTILE, "huge.yaml", "link.yaml"]:
        assert f"personas/{name}:" in proc.stdout, name
    assert "personas/bom.yaml" not in proc.stdout, "a UTF-8 byte-order mark is fine"


def test_python_dash_m_works_and_stays_light():
    code = (
        "import runpy, sys\n"
        "sys.argv = ['personas', 'check', '--root', sys.argv[1], '--today', '2026-11-28']\n"
        "try:\n    runpy.run_module('persona_map', run_name='__main__')\n"
        "except SystemExit as e:\n    code = e.code\n"
        "heavy = sorted(m for m in ('pandas', 'sklearn', 'mkdocs', 'numpy') if m in sys.modules)\n"
        "print('HEAVY', heavy, 'EXIT', code)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, str(ROOT)], capture_output=True, text=True, timeout=60)
    assert "4 persona files checked: 1 warning" in proc.stdout, "only the placeholder URL warns"
    assert "HEAVY [] EXIT 0" in proc.stdout


def test_a_repository_without_its_own_schema_folder_uses_the_tools_schema(repo_copy: Path):
    """In an editable install (as here) and in a built wheel alike: the schema comes with the tool."""
    shutil.rmtree(repo_copy / "schema")
    result = run("check", "--root", str(repo_copy), "--today", "2026-11-28")
    assert result.exit_code == 0, result.output
    assert "4 persona files checked: all good" in result.output
    broken = repo_copy / "personas" / "developer-dev.yaml"
    broken.write_text(
        broken.read_text()
        .replace("tier: secondary", "tier: tertiary")
        .replace("tier: primary", "tier: tertiary")
    )
    result = run("check", "--root", str(repo_copy), "--today", "2026-11-28")
    assert result.exit_code == 1 and "metadata.tier" in result.output, result.output


def test_rendering_the_site_stays_light(tmp_path: Path):
    """Pages of CSV research need neither pandas nor numpy: they would add a third of a second to every build."""
    code = (
        "import runpy, sys\n"
        "sys.argv = ['personas', 'render', '--root', sys.argv[1], '--today', '2026-11-28', '--out', sys.argv[2]]\n"
        "try:\n    runpy.run_module('persona_map', run_name='__main__')\n"
        "except SystemExit as e:\n    code = e.code\n"
        "heavy = sorted(m for m in ('pandas', 'sklearn', 'numpy', 'pyarrow') if m in sys.modules)\n"
        "print('HEAVY', heavy, 'EXIT', code)\n"
    )
    out = tmp_path / "pages"
    proc = subprocess.run(
        [sys.executable, "-c", code, str(ROOT), str(out)], capture_output=True, text=True, timeout=60
    )
    assert (out / "research.md").exists() or any(out.rglob("*.md")), proc.stdout + proc.stderr
    assert "HEAVY [] EXIT 0" in proc.stdout, proc.stdout + proc.stderr
