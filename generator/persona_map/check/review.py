"""Which personas are due for review or overdue: the body of the scheduled reminder issue."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import date

from persona_map.data_paths import get
from persona_map.dates import Status, review_dates
from persona_map.markdown import github_cell as _cell
from persona_map.repository import Repository
from persona_map.yaml_load import load

TITLE = "Persona review: personas due or overdue"


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
    link = repo.config.repository_url.rstrip("/")
    for heading, group in (("Overdue", overdue), (f"Due within {within} days", due)):
        if not group:
            continue
        lines += [f"### {heading}", "", "| Persona | Owner | Review by | |", "|---|---|---|---|"]
        for item in group:
            target = f"{link}/blob/{repo.config.edit_branch}/{item.file}" if link else item.file
            when = f"{-item.days} days overdue" if item.days < 0 else f"in {item.days} days"
            lines.append(
                f"| [{_cell(item.name)}]({target}) | {_mention(item.owner)} | {item.review_by} | {when} |"
            )
        lines.append("")
    lines += [
        "To review: check the persona against current research, update what changed, set "
        "`spec.review.last_reviewed` to the review date and open a pull request. "
        "This issue updates itself every week and closes when nothing is due.",
        "",
    ]
    return "\n".join(lines)


def as_dict(items: list[DueItem], today: date, within: int, repo: Repository) -> dict[str, object]:
    owners = sorted({i.owner for i in items if i.owner})
    return {
        "title": TITLE,
        "today": today.isoformat(),
        "within_days": within,
        "due": [asdict(i) for i in items if i.status != Status.OVERDUE.value],
        "overdue": [asdict(i) for i in items if i.status == Status.OVERDUE.value],
        "owners": owners,
        "assignees": sorted(o.lstrip("@") for o in owners if "/" not in o),
        "body": markdown(items, today, within, repo),
    }


def _mention(owner: str) -> str:
    """An owner's GitHub handle (@user or @org/team) stays a mention: the issue is meant to notify them."""
    return owner if re.fullmatch(r"@[A-Za-z0-9-]+(?:/[A-Za-z0-9_.-]+)?", owner) else _cell(owner)
