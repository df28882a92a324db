"""Which personas are due for review or overdue: the body of the scheduled reminder issue and its comments.

Persona text lands in a GitHub issue here, so every value read from a persona file is made inert
(markdown.py): a name cannot mention anyone, link, close an issue or break the table. The only mentions are
the owners', written as GitHub handles on purpose. Editing an issue notifies nobody, so the body carries the
list it shows (hidden) and `changes` turns the difference from last week's body into a comment that does.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from datetime import date
from urllib.parse import quote

from persona_map.data_paths import get
from persona_map.dates import Status, days_text, review_dates
from persona_map.markdown import github_cell, github_code
from persona_map.repository import Repository
from persona_map.yaml_load import load

TITLE = "Persona review: personas due or overdue"
# A GitHub user (assignable) or an org's team (only mentionable): the schema's form of metadata.owner.
USER = re.compile(r"@[A-Za-z0-9][A-Za-z0-9-]*")
TEAM = re.compile(r"@[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9][A-Za-z0-9._-]*")
_UNSAFE = re.compile(r'[^A-Za-z0-9 "{}:,./_\\]')
_STATE = re.compile(r"<!-- persona-review-state: (\{[^<>]*\}) -->")


@dataclass(frozen=True)
class DueItem:
    """A persona whose review is due within the window, or overdue."""

    id: str
    name: str
    owner: str
    file: str
    review_by: str
    days: int  # negative when overdue
    status: str


def due_for_review(repo: Repository, today: date, within: int) -> list[DueItem]:
    """Personas due within `within` days or already overdue, most overdue first.

    Unreadable files are skipped here: `personas check` reports them.
    """
    files, _ = repo.persona_files()
    items = []
    for path in files:
        doc, _ = load(path, repo.display(path))
        if doc is None:
            continue
        dates = review_dates(
            get(doc.data, "spec", "review"),
            repo.config.review_interval_months,
            get(doc.data, "spec", "evidence", "drift"),
        )
        if dates is None:
            continue
        status = dates.status(today, within)
        if status is Status.CURRENT:
            continue
        items.append(
            DueItem(
                id=str(get(doc.data, "metadata", "id") or path.stem),
                name=str(get(doc.data, "metadata", "name") or path.stem),
                owner=str(get(doc.data, "metadata", "owner") or ""),
                file=doc.file,
                review_by=dates.review_by.isoformat(),
                days=(dates.review_by - today).days,
                status=status.value,
            )
        )
    return sorted(items, key=lambda item: (item.days, item.id))


def markdown(items: list[DueItem], today: date, within: int, repo: Repository) -> str:
    """The reminder issue's body: overdue first, then due soon, each with its owner mentioned."""
    overdue = [i for i in items if i.status == Status.OVERDUE.value]
    due = [i for i in items if i.status != Status.OVERDUE.value]
    lines = [f"Persona review status on {today.isoformat()} (window: {within} days).", ""]
    if not items:
        return "\n".join([*lines, "No persona is due for review. 🎉", ""])
    for heading, group in (("Overdue", overdue), (f"Due within {within} days", due)):
        if not group:
            continue
        lines += [f"### {heading}", "", "| Persona | Owner | Review by | |", "|---|---|---|---|"]
        for item in group:
            lines.append(f"| {_link(item, repo)} | {_owner(item.owner)} | {item.review_by} | {_when(item)} |")
        lines.append("")
    lines += [
        "To review: check the persona against current research, update what changed, set "
        "`spec.review.last_reviewed` to the review date and open a pull request. "
        "This issue updates itself every week and closes when nothing is due.",
        "",
        _state_marker(items),
        "",
    ]
    return "\n".join(lines)


def changes(items: list[DueItem], previous_body: str, repo: Repository) -> str:
    """A comment saying what changed since `previous_body` (the issue as last written), or '' if nothing.

    The owners of personas that are new to the list, or newly overdue, are mentioned: a comment notifies
    them, an edited body does not.
    """
    before = _read_state(previous_body)
    now = {item.file: item.status for item in items}
    if now == before:
        return ""
    lines = ["The list of personas due for review changed:", ""]
    for item in items:
        if before.get(item.file) == item.status:
            continue
        news = "now overdue" if item.status == Status.OVERDUE.value else f"due {_when(item)}"
        lines.append(
            f"- {_link(item, repo)}: {news} (review by {item.review_by}), owner {_owner(item.owner)}"
        )
    lines += [
        f"- `{github_code(file)}`: no longer due (reviewed or removed)"
        for file in sorted(before)
        if file not in now
    ]
    return "\n".join([*lines, ""])


def as_dict(
    items: list[DueItem], today: date, within: int, repo: Repository, previous_body: str | None = None
) -> dict[str, object]:
    """Everything the review workflow needs; `comment` is empty unless the list changed since `previous_body`."""
    owners = sorted({i.owner for i in items if USER.fullmatch(i.owner) or TEAM.fullmatch(i.owner)})
    return {
        "title": TITLE,
        "today": today.isoformat(),
        "within_days": within,
        "due": [asdict(i) for i in items if i.status != Status.OVERDUE.value],
        "overdue": [asdict(i) for i in items if i.status == Status.OVERDUE.value],
        "owners": owners,
        "assignees": [o.removeprefix("@") for o in owners if USER.fullmatch(o)],  # teams cannot be assigned
        "teams": [o for o in owners if TEAM.fullmatch(o)],
        "body": markdown(items, today, within, repo),
        "comment": changes(items, previous_body, repo) if previous_body is not None else "",
    }


def _link(item: DueItem, repo: Repository) -> str:
    """The persona's name, escaped, linking to its file (the path percent-encoded: it cannot end the link)."""
    base = repo.config.repository_url.rstrip("/")
    path = quote(item.file, safe="/")
    target = f"{base}/blob/{quote(repo.config.edit_branch, safe='/')}/{path}" if base else path
    return f"[{github_cell(item.name)}]({target})"


def _owner(owner: str) -> str:
    """An owner's GitHub handle (@user or @org/team) stays a mention: the issue is meant to notify them."""
    return owner if USER.fullmatch(owner) or TEAM.fullmatch(owner) else github_cell(owner or "no owner")


def _when(item: DueItem) -> str:
    return f"{days_text(-item.days)} overdue" if item.days < 0 else f"in {days_text(item.days)}"


def _state_marker(items: list[DueItem]) -> str:
    """The listed files and their status, as JSON in an invisible HTML comment."""
    # Every character that could end the comment or mean something to GitHub (-->, @, #) becomes a \\u escape.
    state = json.dumps({item.file: item.status for item in items}, sort_keys=True, ensure_ascii=True)
    state = _UNSAFE.sub(lambda m: f"\\u{ord(m[0]):04x}", state)
    return f"<!-- persona-review-state: {state} -->"


def _read_state(body: str) -> dict[str, str]:
    match = _STATE.search(body)
    try:
        state = json.loads(match[1]) if match else {}
    except ValueError:
        return {}
    if not isinstance(state, dict):
        return {}
    return {str(k): str(v) for k, v in state.items()}
