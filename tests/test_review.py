"""`personas review` writes a GitHub issue: persona text in it shows and does nothing, and changes notify owners."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

from click.testing import CliRunner

from persona_map.check.review import as_dict, changes, due_for_review, markdown
from persona_map.cli import main
from persona_map.repository import Repository

PRIYA = "personas/platform-lead-priya.yaml"
DAY = date(2026, 11, 28)
HOSTILE = "@octocat Fixes #1 [x](https://evil.example) ![i](https://evil.example/i.png) <b>hi</b> | cell"
# What GitHub turns into actions or markup in an issue body.
MENTION = re.compile(r"(?<![\w`\\])@([A-Za-z0-9][\w-]*(?:/[\w.-]+)?)")
CLOSING = re.compile(r"(?i)\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)\b\s*:?\s*(?:[\w.-]+/[\w.-]+)?#\d")
IMAGE = re.compile(r"(?<!\\)!\[")
LINK = re.compile(r"(?<!\\)\]\(([^)]*)\)")


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _assert_inert(body: str, owners: set[str]) -> None:
    """Only the owners are mentioned; no closing keyword, image, HTML or link other than to a persona file."""
    assert set(MENTION.findall(body)) <= {o.lstrip("@") for o in owners}, MENTION.findall(body)
    assert not CLOSING.search(body), CLOSING.search(body)
    assert not IMAGE.search(body)
    assert not re.search(r"(?<!\\)<(?!!-- persona-review-state: )", body)
    links = LINK.findall(body)
    assert links, "the body links the personas"
    for target in links:
        assert re.fullmatch(
            r"https://github\.com/northwind/persona-map/blob/main/personas/[\w%.-]+\.yaml", target
        )


def test_persona_text_in_the_issue_mentions_links_and_closes_nothing(repo_copy: Path):
    priya = repo_copy / PRIYA
    _edit(priya, "name: Priya, the Platform Lead", f"name: {json.dumps(HOSTILE)}")
    _edit(priya, "last_reviewed: 2026-10-14", "last_reviewed: 2025-10-01")
    # a file name is persona text too: it must not end the link and start an image, a mention or "Fixes #1"
    hostile_file = repo_copy / "personas" / "a) ![i](i.png) @octocat Fixes #1 (.yaml"
    hostile_file.write_text(
        priya.read_text().replace('owner: "@northwind/platform-pm"', 'owner: "@acme/x Fixes #2"')
    )
    repo = Repository.open(repo_copy)
    items = due_for_review(repo, DAY, 30)
    assert len(items) == 2
    body = markdown(items, DAY, 30, repo)
    comment = changes(items, "", repo)
    for text in (body, comment):
        _assert_inert(text, {"@northwind/platform-pm"})
        assert "@northwind/platform-pm" in text, "the owner's handle stays a mention"
        assert "octocat" in text and "evil.example" in text, "the text still reads the same"


def test_days_are_counted_in_words(repo_copy: Path):
    _edit(repo_copy / PRIYA, "last_reviewed: 2026-10-14", "last_reviewed: 2025-11-27")
    repo = Repository.open(repo_copy)
    body = markdown(due_for_review(repo, DAY, 30), DAY, 30, repo)
    assert "| 1 day overdue |" in body
    body = markdown(due_for_review(repo, date(2026, 11, 26), 30), date(2026, 11, 26), 30, repo)
    assert "| in 1 day |" in body
    assert "1 days" not in body


def test_users_are_assigned_teams_mentioned_and_other_owners_neither(repo_copy: Path):
    for name, owner in (
        ("developer-dev", "@dev-lead"),
        ("eng-manager-marco", "not a handle"),
        ("platform-lead-priya", "@northwind/platform-pm"),
    ):
        path = repo_copy / f"personas/{name}.yaml"
        text = re.sub(r'owner: "[^"]*"', f'owner: "{owner}"', path.read_text(encoding="utf-8"), count=1)
        path.write_text(text, encoding="utf-8")
    repo = Repository.open(repo_copy)
    data = as_dict(due_for_review(repo, date(2027, 10, 25), 30), date(2027, 10, 25), 30, repo)
    assert len(data["overdue"]) == 3
    assert data["assignees"] == ["dev-lead"]
    assert data["teams"] == ["@northwind/platform-pm", "@northwind/security-pm"]
    assert "not a handle" in data["body"] and "@dev-lead" in data["body"]


def test_a_comment_says_what_changed_and_mentions_only_the_owners_concerned(repo_copy: Path):
    repo = Repository.open(repo_copy)
    first_day, week_later, weeks_later = date(2027, 9, 25), date(2027, 10, 2), date(2027, 10, 16)
    first = due_for_review(repo, first_day, 30)
    assert [i.id for i in first] == ["eng-manager-marco", "platform-lead-priya", "developer-dev"]
    body = markdown(first, first_day, 30, repo)
    assert changes(due_for_review(repo, week_later, 30), body, repo) == "", (
        "same list, days differ: no comment"
    )

    later = due_for_review(repo, weeks_later, 30)
    comment = changes(later, body, repo)
    assert comment.count("now overdue") == 2 and "Priya, the Platform Lead" in comment
    assert "Carla, the Compliance Lead" in comment and "due in 19 days" in comment
    assert "Dev, the Startup Developer" not in comment, "still due, as last week"
    assert set(MENTION.findall(comment)) == {
        "northwind/platform-pm",
        "northwind/product-marketing",
        "northwind/security-pm",
    }
    repo_copy.joinpath("personas/developer-dev.yaml").unlink()
    comment = changes(due_for_review(repo, weeks_later, 30), markdown(later, weeks_later, 30, repo), repo)
    assert comment.splitlines()[2:] == [
        "- `personas/developer-dev.yaml`: no longer due (reviewed or removed)"
    ]


def test_the_hidden_list_cannot_be_broken_out_of_or_forged(repo_copy: Path):
    evil = repo_copy / "personas" / "x --> <img src=x onerror=alert(1)>.yaml"
    evil.write_text((repo_copy / PRIYA).read_text())
    repo = Repository.open(repo_copy)
    items = due_for_review(repo, date(2027, 10, 16), 30)
    body = markdown(items, date(2027, 10, 16), 30, repo)
    assert body.count("-->") == 1 and "<img" not in body
    assert changes(items, body, repo) == ""
    for forged in (
        "<!-- persona-review-state: [1] -->",
        "<!-- persona-review-state: {nope} -->",
        "x" * 10_000,
    ):
        assert "now overdue" in changes(items, forged, repo)


def test_the_review_command_writes_the_comment_from_the_previous_body(repo_copy: Path, tmp_path: Path):
    runner = CliRunner()
    args = ["review", "--root", str(repo_copy), "--today", "2027-10-16", "--format", "json"]
    data = json.loads(runner.invoke(main, args).output)
    assert data["comment"] == "", "no --previous, no comment"
    previous = tmp_path / "previous.md"
    previous.write_text(data["body"], encoding="utf-8")
    assert json.loads(runner.invoke(main, [*args, "--previous", str(previous)]).output)["comment"] == ""
    previous.write_text("an issue body from before the list was kept", encoding="utf-8")
    data = json.loads(runner.invoke(main, [*args, "--previous", str(previous)]).output)
    assert "@northwind/platform-pm" in data["comment"]
    result = runner.invoke(main, [*args, "--previous", str(tmp_path / "missing.md")])
    assert result.exit_code == 2
