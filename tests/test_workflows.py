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
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from ruamel.yaml import YAML

from persona_map.check.catalog import build_catalog
from persona_map.check.check import check
from persona_map.cli import main
from persona_map.errors import InvalidPersonas
from persona_map.repository import Repository
from tests.conftest import ROOT, TODAY, copy_repository

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
    assert workflow["permissions"] == {"contents": "read"}
    [job] = workflow["jobs"].values()
    assert job["permissions"] == {"contents": "read", "issues": "write"}, (
        "the job writes issues, nothing else"
    )


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
    assert "actions/upload-pages-artifact@" in text and "path: build/site" in text
    assert "actions/deploy-pages@" in text
    ci = (ROOT / ".github" / "workflows" / "ci.yml").read_text()
    assert "mkdocs build --strict" in ci


# --------------------------------------------------------------------------
# Publishing: overdue personas are published, invalid ones never
# --------------------------------------------------------------------------

PAGES = GITHUB / "workflows" / "pages.yml"


def test_pages_builds_with_the_gate_that_lets_overdue_personas_through():
    """`personas check` (and `make site`/`make check`, which run it) fail on an overdue persona, so the
    site would go unpublished for as long as a review is late; the site build itself stops only on
    invalid personas."""
    workflow = load_yaml(PAGES)
    build = workflow["jobs"]["build"]
    scripts = [step["run"] for step in build["steps"] if "run" in step]
    calls = [c.subcommand for script in scripts for c in personas_calls(script, "pages.yml")]
    assert "check" not in calls, "personas check fails on overdue personas: the site would not be published"
    assert not {"site", "check"} & {t for script in scripts for t in make_calls(script)}
    names = [step.get("run", step.get("uses", "")) for step in build["steps"]]
    build_step = next(i for i, n in enumerate(names) if re.search(r"\bmkdocs build --strict\b", n))
    upload = next(i for i, n in enumerate(names) if n.startswith("actions/upload-pages-artifact@"))
    assert build_step < upload, "the site is built (and checked) before it is uploaded"


def test_the_site_build_publishes_overdue_personas_and_stops_on_invalid_ones(tmp_path: Path):
    root = copy_repository(tmp_path / "repo")
    priya = root / "personas/platform-lead-priya.yaml"
    priya.write_text(priya.read_text().replace("last_reviewed: 2026-10-14", "last_reviewed: 2024-01-01"))
    repo = Repository.open(root)
    assert not check(repo, today=TODAY).ok, "the pull request gate fails"
    catalog = build_catalog(repo, today=TODAY)
    assert catalog.get("platform-lead-priya").status(TODAY, 30) == "overdue", "published, marked overdue"
    priya.write_text(priya.read_text().replace("tier: primary", "tier: Primary"))
    with pytest.raises(InvalidPersonas):
        build_catalog(Repository.open(root), today=TODAY)


def test_readme_says_pages_sites_are_public_and_gives_internal_alternatives():
    section = (ROOT / "README.md").read_text(encoding="utf-8").split("### Publishing the site", 1)[1]
    section = section.split("\n## ", 1)[0]
    for words in (
        "**A GitHub Pages site is public**",
        "**Private Pages**",
        "workflow artifact",
        "internal static host",
    ):
        assert words in section, words


# --------------------------------------------------------------------------
# Least privilege, pinned actions, Dependabot, zizmor
# --------------------------------------------------------------------------

USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(\S+)(.*)$", re.M)
# The write permissions each job needs; every other job (and every workflow's top level) only reads.
WRITES = {("pages.yml", "deploy"): {"pages", "id-token"}, ("persona-review.yml", "remind"): {"issues"}}


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_actions_are_pinned_to_a_commit_with_its_version(path: Path):
    found = USES.findall(path.read_text(encoding="utf-8"))
    assert found, f"{path.name} uses no action"
    for ref, rest in found:
        assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", ref), (
            f"{path.name}: {ref} is not pinned to a SHA"
        )
        assert re.fullmatch(r"\s+# v\d+\.\d+\.\d+", rest), f"{path.name}: {ref} needs a '# vX.Y.Z' comment"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_each_job_writes_only_what_it_must(path: Path):
    workflow = load_yaml(path)
    assert set(workflow["permissions"].values()) == {"read"}, f"{path.name}: the top level only reads"
    for name, job in workflow["jobs"].items():
        permissions = job.get("permissions", workflow["permissions"])
        writes = {scope for scope, level in permissions.items() if level == "write"}
        assert writes == WRITES.get((path.name, name), set()), f"{path.name}: job {name} writes {writes}"
    expected = {key for key in WRITES if key[0] == path.name}
    assert expected <= {(path.name, name) for name in workflow["jobs"]}, (
        "a writing job is gone: update WRITES"
    )


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_checkouts_keep_no_credentials(path: Path):
    checkouts = [
        step for step in steps(load_yaml(path)) if step.get("uses", "").startswith("actions/checkout@")
    ]
    assert checkouts, f"{path.name} checks nothing out"
    for step in checkouts:  # nothing pushes: the token must not stay in .git/config for later steps
        assert (step.get("with") or {}).get("persist-credentials") is False, path.name


def test_dependabot_updates_the_actions_and_the_python_dependencies():
    config = load_yaml(GITHUB / "dependabot.yml")
    assert config["version"] == 2
    ecosystems = {update["package-ecosystem"]: update for update in config["updates"]}
    assert set(ecosystems) == {"github-actions", "pip"}
    for update in ecosystems.values():
        assert update["directory"] == "/" and update["schedule"]["interval"]


def test_ci_lints_the_workflows_with_zizmor():
    scripts = run_scripts(load_yaml(GITHUB / "workflows" / "ci.yml"))
    assert any(re.search(r"(^|/)zizmor --offline \.github/workflows/", script) for script in scripts)
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "optional-dependencies"
    ]
    assert any(re.match(r"zizmor\b", requirement) for requirement in extras["test"]), "make test installs it"


def test_zizmor_finds_nothing_in_the_workflows():
    zizmor = shutil.which("zizmor", path=str(Path(sys.executable).parent)) or shutil.which("zizmor")
    if zizmor is None:
        pytest.skip("zizmor is not installed (`make test` installs it with the test extra)")
    proc = subprocess.run(
        [zizmor, "--offline", "--persona=pedantic", str(GITHUB / "workflows")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "No findings to report" in proc.stdout + proc.stderr


# --------------------------------------------------------------------------
# The weekly review issue: assignees, mentions, comments, staying on
# --------------------------------------------------------------------------


def test_review_comments_when_the_list_changes_and_assigns_users_one_by_one():
    script = review_script()
    [call] = [c for c in personas_calls(script, "persona-review.yml") if c.subcommand == "review"]
    assert "--previous" in call.args, "the comment says what changed since the issue's last body"
    assert re.search(r"gh issue view \"\$existing\" --json body", script), (
        "the previous body is the open issue's"
    )
    assert re.search(r"jq -j '\.comment'", script) and re.search(
        r"gh issue comment \S+ --body-file comment\.md", script
    )
    assert re.search(r"jq -r '\.assignees\[\]'.*\n.*gh issue edit \S+ --add-assignee \"\$user\"", script)


def test_the_readme_says_how_the_weekly_review_stays_on():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("#### Keeping the weekly review on", 1)[1].split("\n#", 1)[0]
    for words in ("60 days", "gh workflow enable persona-review.yml", "workflow_dispatch", "actions: write"):
        assert words in section, words
    assert "workflow_dispatch" in triggers(load_yaml(REVIEW))
    assert "WARN_AFTER_DAYS: 45" in REVIEW.read_text(encoding="utf-8")
