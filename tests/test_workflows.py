"""The automation around the repository calls only things that exist.

GitHub workflows, pre-commit hooks, the Makefile and the README all name
`personas` subcommands, their options and `make` targets. A typo or a renamed
option there only shows up when the workflow runs on GitHub (or, for the
weekly review, days later). These tests read those files and check every
such call against the real click CLI and the real Makefile.
"""

from __future__ import annotations

import json
import re
import shlex
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from ruamel.yaml import YAML

from persona_map.cli import main
from tests.conftest import ROOT

GITHUB = ROOT / ".github"
WORKFLOWS = sorted((GITHUB / "workflows").glob("*.y*ml"))


# --------------------------------------------------------------------------
# Helpers: YAML, shell scripts, Makefile
# --------------------------------------------------------------------------


def load_yaml(path: Path):
    # YAML 1.2 keeps the `on:` key a string; YAML 1.1 loaders turn it into True.
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


def triggers(workflow: dict) -> dict:
    on = workflow.get("on", workflow.get(True))
    assert on is not None, "workflow has no `on:` triggers"
    if isinstance(on, str):
        return {on: None}
    if isinstance(on, list):
        return {name: None for name in on}
    return {name: (spec or {}) for name, spec in on.items()}


def steps(workflow: dict) -> Iterator[dict]:
    for job in (workflow.get("jobs") or {}).values():
        yield from job.get("steps") or []


def run_scripts(workflow: dict) -> list[str]:
    return [step["run"] for step in steps(workflow) if "run" in step]


SEPARATORS = {";", ";;", "&", "&&", "|", "||", "(", ")", "|&"}
REDIRECTS = re.compile(r"^\d*[<>]")


def logical_lines(script: str) -> Iterator[str]:
    """Shell lines, with continuations joined and multi-line quotes kept whole."""
    buffer = ""
    for line in script.replace("\\\n", " ").splitlines():
        buffer = f"{buffer}\n{line}" if buffer else line
        try:
            shlex.split(buffer, comments=True)
        except ValueError:  # an open quote continues on the next line
            continue
        yield buffer
        buffer = ""
    if buffer:
        yield buffer


def commands(script: str) -> Iterator[list[str]]:
    """Every simple command of a shell script as a token list.

    Splits on ; && || | ( ) and the `$(` of command substitutions; stops each
    command at its first redirection. Good enough for the scripts in this repo.
    """
    for line in logical_lines(script):
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        lexer.commenters = "#"
        try:
            tokens = list(lexer)
        except ValueError:
            continue
        current: list[str] = []
        redirected = False
        for token in tokens:
            if token in SEPARATORS or token.endswith("$") and token != "$":
                # `x=$(cmd` lexes as "x=$", "(": the "(" ends the assignment.
                if current:
                    yield current
                current, redirected = [], False
                continue
            if token in {"<", ">", ">>", ">&", "<&", "<<", "<<<", "&>"} or REDIRECTS.match(token):
                redirected = True
                continue
            if redirected:
                redirected = False  # the redirection target
                continue
            current.append(token)
        if current:
            yield current


def strip_assignments(tokens: list[str]) -> list[str]:
    """Drop leading `VAR=value` words and wrappers such as `env`."""
    rest = list(tokens)
    while rest and (re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", rest[0]) or rest[0] in {"env", "exec"}):
        rest.pop(0)
    return rest


@dataclass
class PersonasCall:
    subcommand: str | None
    args: list[str]
    where: str


def personas_calls(script: str, where: str) -> Iterator[PersonasCall]:
    """`personas ...`, `.venv/bin/personas ...` and `python -m persona_map ...`."""
    for tokens in commands(script):
        words = strip_assignments(tokens)
        if not words:
            continue
        program = words[0].rsplit("/", 1)[-1]
        if program == "personas":
            rest = words[1:]
        elif re.fullmatch(r"python[\d.]*", program) and words[1:3] == ["-m", "persona_map"]:
            rest = words[3:]
        else:
            continue
        group_args = []
        while rest and rest[0].startswith("-"):
            group_args.append(rest.pop(0))
        yield PersonasCall(rest[0] if rest else None, group_args + rest[1:], where)


def make_calls(script: str) -> Iterator[str]:
    for tokens in commands(script):
        words = strip_assignments(tokens)
        if words and words[0].rsplit("/", 1)[-1] in {"make", "gmake"}:
            args = words[1:]
            skip = False
            for arg in args:
                if skip:
                    skip = False
                elif arg in {"-C", "-f", "-j", "-o", "-W", "-I"}:
                    skip = True
                elif not arg.startswith("-") and "=" not in arg:
                    yield arg


def makefile_targets() -> set[str]:
    targets: set[str] = set()
    for line in (ROOT / "Makefile").read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([^\s#:=][^:=]*?)\s*::?(?!=)", line)
        if match:
            targets.update(match.group(1).split())
    return {t for t in targets if not t.startswith(".")}


def readme_code() -> str:
    readme = ROOT / "README.md"
    if not readme.exists():
        return ""
    blocks = re.findall(r"^```[^\n]*\n(.*?)^```", readme.read_text(encoding="utf-8"), re.M | re.S)
    # Drop shell prompts so `$ make site` reads as `make site`.
    return "\n".join(re.sub(r"^\s*[$>]\s+", "", line) for b in blocks for line in b.splitlines())


def all_workflow_scripts() -> list[tuple[str, str]]:
    return [
        (f"{path.name}: step {i}", script)
        for path in WORKFLOWS
        for i, script in enumerate(run_scripts(load_yaml(path)), 1)
    ]


def option_names(command: click.Command) -> set[str]:
    names = {"--help"}
    for param in command.params:
        if isinstance(param, click.Option):
            names.update(param.opts)
            names.update(param.secondary_opts)
    return names


def check_call(call: PersonasCall) -> None:
    """Assert a `personas` call names a real subcommand, options and choices."""
    assert call.subcommand, f"{call.where}: `personas` called without a subcommand"
    command = main.commands.get(call.subcommand)
    assert command is not None, (
        f"{call.where}: `personas {call.subcommand}` is not a subcommand "
        f"(have: {', '.join(sorted(main.commands))})"
    )
    known = option_names(command) | option_names(main)
    options = {opt: p for p in [*main.params, *command.params] for opt in p.opts}
    args = iter(call.args)
    for arg in args:
        if not arg.startswith("-") or arg == "-":
            continue
        name, has_value, value = arg.partition("=")
        assert name in known, (
            f"{call.where}: `personas {call.subcommand}` has no option {name} "
            f"(have: {', '.join(sorted(known))})"
        )
        param = options.get(name)
        if not isinstance(param, click.Option) or param.is_flag or param.count:
            continue
        if not has_value:
            value = next(args, None)
            assert value is not None, f"{call.where}: {name} needs a value"
        if isinstance(param.type, click.Choice) and "$" not in value:
            assert value in param.type.choices, (
                f"{call.where}: {name} {value!r} is not one of {list(param.type.choices)}"
            )


# --------------------------------------------------------------------------
# The parsing helpers themselves
# --------------------------------------------------------------------------


def test_helpers_find_calls_in_shell():
    script = (
        "set -e\n"
        "x=$(.venv/bin/personas review --format json --within 7)\n"
        "GITHUB_ACTIONS=true personas check --root . && make test\n"
        "make -C sub site | tee log  # personas nonsense\n"
        'echo "personas fake" > out.txt\n'
        "python -m persona_map check \\\n  --format=json\n"
    )
    calls = [(c.subcommand, c.args) for c in personas_calls(script, "t")]
    assert calls == [
        ("review", ["--format", "json", "--within", "7"]),
        ("check", ["--root", "."]),
        ("check", ["--format=json"]),
    ]
    assert list(make_calls(script)) == ["test", "site"]


def test_helpers_catch_a_wrong_subcommand_and_option():
    with pytest.raises(AssertionError, match="not a subcommand"):
        check_call(PersonasCall("no-such-subcommand", [], "t"))
    with pytest.raises(AssertionError, match="has no option"):
        check_call(PersonasCall("check", ["--no-such-option"], "t"))


# --------------------------------------------------------------------------
# Every workflow
# --------------------------------------------------------------------------


def test_workflows_exist():
    names = {path.name for path in WORKFLOWS}
    assert {"ci.yml", "persona-review.yml"} <= names


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_personas_calls_exist(path: Path):
    for i, script in enumerate(run_scripts(load_yaml(path)), 1):
        for call in personas_calls(script, f"{path.name}: step {i}"):
            check_call(call)


def test_make_targets_used_exist():
    targets = makefile_targets()
    assert {"site", "test", "check", "install"} <= targets
    used = [(where, t) for where, script in all_workflow_scripts() for t in make_calls(script)]
    used += [("README.md", t) for t in make_calls(readme_code())]
    assert used, "no `make` call found at all: the parser is broken"
    missing = [f"{where}: make {t}" for where, t in used if t not in targets]
    assert not missing, f"targets missing from the Makefile: {missing}"


def test_readme_personas_calls_exist():
    for call in personas_calls(readme_code(), "README.md"):
        check_call(call)


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_permissions_are_explicit(path: Path):
    workflow = load_yaml(path)
    permissions = workflow.get("permissions")
    assert isinstance(permissions, dict), f"{path.name}: set top-level least-privilege permissions"
    assert permissions.get("contents") == "read"
    assert "write-all" not in json.dumps(workflow)


# --------------------------------------------------------------------------
# ci.yml
# --------------------------------------------------------------------------


def test_ci_triggers_and_steps():
    workflow = load_yaml(GITHUB / "workflows" / "ci.yml")
    on = triggers(workflow)
    assert "pull_request" in on
    assert "push" in on
    push = on["push"] or {}
    assert "main" in (push.get("branches") or []), "ci.yml must run on pushes to main"
    assert not push.get("paths") and not (on["pull_request"] or {}).get("paths")

    scripts = "\n".join(run_scripts(workflow))
    assert "check" in [c.subcommand for c in personas_calls(scripts, "ci.yml")]
    assert "test" in list(make_calls(scripts))
    assert "install" in list(make_calls(scripts))

    uses = [step.get("uses", "") for step in steps(workflow)]
    assert any(u.startswith("actions/checkout@") for u in uses)
    assert any(u.startswith("actions/setup-python@") for u in uses)
    assert workflow.get("concurrency", {}).get("cancel-in-progress") is True


# --------------------------------------------------------------------------
# persona-review.yml
# --------------------------------------------------------------------------

REVIEW = GITHUB / "workflows" / "persona-review.yml"


def review_script() -> str:
    return "\n".join(run_scripts(load_yaml(REVIEW)))


def test_review_schedule_and_permissions():
    workflow = load_yaml(REVIEW)
    on = triggers(workflow)
    assert "workflow_dispatch" in on
    schedule = on.get("schedule") or []
    assert schedule, "persona-review.yml needs a schedule"
    for entry in schedule:
        fields = entry["cron"].split()
        assert len(fields) == 5, f"bad cron {entry['cron']!r}"
    assert workflow["permissions"].get("issues") == "write"


def test_review_uses_the_label():
    text = REVIEW.read_text(encoding="utf-8")
    script = review_script()
    assert "persona-review" in text
    issue_commands = [
        t for t in commands(script) if t[:3] in (["gh", "issue", "create"], ["gh", "issue", "list"])
    ]
    assert issue_commands, "the review script neither lists nor creates issues"
    for tokens in issue_commands:
        assert "--label" in tokens, f"`{' '.join(tokens)}` must filter/tag by the label"


def test_review_never_duplicates_an_open_issue():
    script = review_script()
    listing = re.search(r"(\w+)=\$\(gh issue list\b[^\n]*--label[^\n]*--state open", script)
    assert listing, "the open review issue must be looked up with `gh issue list --label ...`"
    creates = [m.start() for m in re.finditer(r"\bgh issue create\b", script)]
    assert creates, "persona-review.yml never opens an issue"
    variable = listing.group(1)
    for create in creates:
        assert listing.start() < create, "`gh issue create` runs before the open issue is looked up"
        between = script[listing.end() : create]
        assert re.search(rf'-[nz] "?\${{?{variable}\b', between), (
            f"`gh issue create` is not guarded by a test of ${variable}"
        )
    # An existing issue is updated (or closed when nothing is due), not recreated.
    assert re.search(r"\bgh issue edit\b", script)
    assert re.search(r"\bgh issue close\b", script)


def test_review_reads_only_keys_the_cli_writes(tmp_path: Path):
    """The jq filters in the workflow read keys `personas review --format json` writes."""
    script = review_script()
    calls = [c for c in personas_calls(script, "persona-review.yml") if c.subcommand == "review"]
    assert calls, "persona-review.yml must run `personas review`"
    assert any("json" in c.args or "--format=json" in c.args for c in calls)

    root = tmp_path / "repo"
    (root / "personas").mkdir(parents=True)
    (root / "research").mkdir()
    (root / "pyproject.toml").write_text(
        (ROOT / "pyproject.toml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    result = CliRunner().invoke(
        main, ["review", "--root", str(root), "--format", "json", "--today", "2024-01-01"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert {"title", "due", "overdue", "owners", "assignees", "body"} <= set(data)
    assert data["due"] == [] and data["overdue"] == []

    jq_filters = re.findall(r"(?<![\w-])jq\s+(?:-\w+\s+)*'([^']*)'", script)
    assert jq_filters, "persona-review.yml should read review.json with jq"
    for key in {k for f in jq_filters for k in re.findall(r"(?<![\w\]])\.(\w+)", f)}:
        assert key in data, f"jq reads .{key} but `personas review` writes {sorted(data)}"


# --------------------------------------------------------------------------
# pre-commit
# --------------------------------------------------------------------------


def test_pre_commit_hook_for_other_repos():
    hooks = load_yaml(ROOT / ".pre-commit-hooks.yaml")
    hook = next(h for h in hooks if h["id"] == "personas-check")
    assert hook["language"] == "python"
    assert hook["pass_filenames"] is False
    for path in ("personas/a.yaml", "research/b.csv", "schema/c.json"):
        assert re.search(hook["files"], path)
    assert not re.search(hook["files"], "generator/persona_map/cli/__init__.py")

    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    program = hook["entry"].split()[0]
    assert program in scripts, f"hook entry runs {program!r}, not a console script of this package"
    calls = list(personas_calls(hook["entry"], ".pre-commit-hooks.yaml"))
    assert [c.subcommand for c in calls] == ["check"]
    for call in calls:
        check_call(call)


def test_pre_commit_config_runs_personas_check():
    config = load_yaml(ROOT / ".pre-commit-config.yaml")
    local = [r for r in config["repos"] if r["repo"] == "local"]
    hooks = [h for r in local for h in r["hooks"] if h["id"] == "personas-check"]
    assert hooks, "no local personas-check hook"
    for hook in hooks:
        calls = list(personas_calls(hook["entry"], ".pre-commit-config.yaml"))
        assert [c.subcommand for c in calls] == ["check"]
        for call in calls:
            check_call(call)
    ruff = [r for r in config["repos"] if r["repo"].endswith("astral-sh/ruff-pre-commit")]
    assert ruff and re.fullmatch(r"v\d+\.\d+\.\d+", ruff[0]["rev"])


# --------------------------------------------------------------------------
# CODEOWNERS
# --------------------------------------------------------------------------

OWNER = re.compile(r"^@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:/[A-Za-z0-9_.-]+)?$")


def test_codeowners_cover_content():
    rules: list[tuple[str, list[str]]] = []
    for line in (GITHUB / "CODEOWNERS").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            pattern, *owners = line.split()
            rules.append((pattern, owners))
    for pattern, owners in rules:
        assert owners, f"CODEOWNERS: {pattern} has no owner"
        bad = [o for o in owners if not OWNER.match(o)]
        assert not bad, f"CODEOWNERS: invalid owners for {pattern}: {bad}"

    by_dir = {pattern.strip("/"): owners for pattern, owners in rules}
    for directory in ("personas", "schema", "research", "generator", ".github"):
        assert directory in by_dir, f"CODEOWNERS does not cover {directory}/"
    assert "@northwind/product-marketing" in by_dir["personas"]
    assert len(by_dir["personas"]) >= 2, "personas/ needs product marketing and the research lead"


def test_pages_workflow_builds_the_site_and_deploys_with_the_official_actions():
    text = (ROOT / ".github" / "workflows" / "pages.yml").read_text()
    assert "run: make site" in text
    assert "actions/upload-pages-artifact@" in text and "path: build/site" in text
    assert "actions/deploy-pages@" in text
    ci = (ROOT / ".github" / "workflows" / "ci.yml").read_text()
    assert "mkdocs build --strict" in ci
