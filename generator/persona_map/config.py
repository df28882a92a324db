"""Repository configuration: the `[tool.personas]` table of pyproject.toml, in one place."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path

from persona_map.errors import ConfigError

# The example repository's URL: `personas check` warns until a real repository replaces it.
PLACEHOLDER_REPOSITORY_URL = "https://github.com/acme/persona-map"


@dataclass(frozen=True)
class Config:
    """Rules every persona repository can tune; defaults follow the product design."""

    primary_min: int = 3
    primary_max: int = 5
    due_soon_days: int = 30
    review_interval_months: int = 12
    repository_url: str = ""  # the one place the repository's URL is set (site header and edit links)
    edit_branch: str = "main"

    @property
    def repository_name(self) -> str:
        """'acme/persona-map' from the repository URL, as the site's header shows it."""
        return "/".join(self.repository_url.rstrip("/").split("/")[-2:]) if self.repository_url else ""

    def edit_url(self, path: str, *, folder: bool = False) -> str:
        """Where to edit a repository file (or browse a folder); empty without a repository URL."""
        base = self.repository_url.rstrip("/")
        if not base:
            return ""
        return f"{base}/{'tree' if folder else 'edit'}/{self.edit_branch}/{path}"

    def site_settings(self, docs: Path, root: Path) -> dict[str, str]:
        """repo_url, repo_name and edit_uri for either site engine: the header link, and the edit buttons of
        the hand-written pages in `docs` (a folder of the repository at `root`); none without a URL."""
        if not self.repository_url:
            return {}
        docs, root = docs.resolve(), root.resolve()
        folder = docs.relative_to(root).as_posix() if docs.is_relative_to(root) and docs != root else ""
        return {
            "repo_url": self.repository_url,
            "repo_name": self.repository_name,
            "edit_uri": f"edit/{self.edit_branch}/{folder + '/' if folder else ''}",
        }

    @classmethod
    def load(cls, root: Path) -> Config:
        """Read `[tool.personas]` from `root/pyproject.toml`; defaults when absent."""
        path = root / "pyproject.toml"
        if not path.is_file():
            return cls()
        try:
            table = tomllib.loads(path.read_text(encoding="utf-8")).get("tool", {}).get("personas", {})
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
            raise ConfigError(f"{path}: cannot read [tool.personas]: {e}") from e
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(table) - set(known))
        if unknown:
            raise ConfigError(
                f"{path}: unknown setting(s) in [tool.personas]: {', '.join(unknown)} "
                f"(known: {', '.join(known)})"
            )
        for name, value in table.items():
            expected = type(getattr(cls, name))
            if type(value) is not expected:
                raise ConfigError(
                    f"{path}: [tool.personas] {name} must be {expected.__name__}, got {value!r}"
                )
        config = cls(**table)
        if not 1 <= config.primary_min <= config.primary_max:
            raise ConfigError(
                f"{path}: [tool.personas] needs 1 <= primary_min <= primary_max "
                f"(got {config.primary_min} and {config.primary_max})"
            )
        if config.due_soon_days < 0 or config.review_interval_months < 1:
            raise ConfigError(
                f"{path}: [tool.personas] due_soon_days must be >= 0 and review_interval_months >= 1"
            )
        return config


def cache_dir(kind: str) -> Path:
    """Where a cache of `kind` lives: $PERSONA_MAP_CACHE, else $XDG_CACHE_HOME/persona-map, else ~/.cache/persona-map.

    Safe to delete at any time; the tests point PERSONA_MAP_CACHE at a folder of their own.
    """
    own = os.environ.get("PERSONA_MAP_CACHE")
    base = (
        Path(own) if own else Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "persona-map"
    )
    return base / kind
