"""All checked personas of a repository, ready to publish: the input of the site and the exports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from persona_map.check.check import check
from persona_map.errors import InvalidPersonas
from persona_map.findings import CheckResult
from persona_map.persona import Persona
from persona_map.repository import Repository
from persona_map.research.manifest import Manifest

# Review dates are shown on the site (a stale persona turns red there); they do not stop a build.
PUBLISHABLE_CODES = ("review.overdue", "review.due-soon")
# Comparing personas with research also works while the persona budget is not met yet: `personas suggest`
# is how a new repository drafts its first personas.
COMPARABLE_CODES = (*PUBLISHABLE_CODES, "repo.primary-count")


@dataclass(frozen=True)
class Catalog:
    """The personas (primary first, then by name), the research manifest and the repository."""

    repo: Repository
    personas: list[Persona]
    manifest: Manifest
    today: date

    def get(self, persona_id: str) -> Persona:
        return next(p for p in self.personas if p.id == persona_id)


def build_catalog(
    repo: Repository, today: date | None = None, allowed: tuple[str, ...] = PUBLISHABLE_CODES
) -> Catalog:
    """Check the repository and load its personas; raise InvalidPersonas naming every blocking finding.

    Errors whose codes are `allowed` do not block (by default: review dates, which the site shows).
    """
    today = today or date.today()
    # The site publishes no research rows, only counts: `personas check` (in CI) scans them for personal
    # data; the build checks the personas themselves, quotes included.
    result = check(repo, today=today, scan_research_files=False)
    blocking = [f for f in result.errors if f.code not in allowed]
    if blocking:
        raise InvalidPersonas(CheckResult(result.checked, blocking))
    personas = [
        Persona.from_data(doc.data, doc.file, repo.config.review_interval_months) for doc in result.documents
    ]
    personas.sort(key=lambda p: (not p.primary, p.name.casefold()))
    return Catalog(repo, personas, result.manifest, today)
