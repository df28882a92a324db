"""The persona repository on disk: where personas, research and the schema live, and which files count."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from persona_map.config import Config
from persona_map.findings import Finding

PACKAGED_SCHEMAS = Path(__file__).parent / "_schema"
SOURCE_SCHEMAS = Path(__file__).parents[2] / "schema"  # generator/persona_map/ -> the checkout
SCHEMA_COMMENT = "# yaml-language-server: $schema=../schema/persona.schema.json"
SCHEMA_COMMENT_PATTERN = re.compile(r"^# yaml-language-server: \$schema=\S*persona\.schema\.json\s*$")


@dataclass(frozen=True)
class Repository:
    """A checkout holding personas/, research/ and schema/, with its configuration."""

    root: Path
    config: Config

    @classmethod
    def open(cls, root: Path | None = None) -> Repository:
        """The repository at `root`, or the nearest folder above the current one that has personas/."""
        if root is None:
            root = cls.find(Path.cwd()) or Path.cwd()
        root = root.resolve()
        return cls(root, Config.load(root))

    @staticmethod
    def find(start: Path) -> Path | None:
        """The nearest folder at or above `start` that has a personas/ folder; None when there is none."""
        return next((p for p in (start, *start.parents) if (p / "personas").is_dir()), None)

    @property
    def personas_dir(self) -> Path:
        return self.root / "personas"

    @property
    def research_dir(self) -> Path:
        return self.root / "research"

    @property
    def manifest_path(self) -> Path:
        return self.research_dir / "manifest.yaml"

    def schema_path(self, name: str = "persona.schema.json") -> Path:
        """The repository's own schema; the copy packaged with the tool when the repo has none.

        A built wheel packages the schemas in persona_map/_schema/; an editable install from a checkout
        reads them from the checkout's own schema/ folder.
        """
        own = self.root / "schema" / name
        if own.is_file():
            return own
        return tool_schema_path(name)

    def display(self, path: Path) -> str:
        """A path as people see it in messages: relative to the repository when inside it."""
        try:
            return path.absolute().relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    def inside(self, path: Path) -> bool:
        """True when `path`, with every symlink followed, stays inside the repository."""
        return resolves_inside(path, self.root)

    def persona_files(self) -> tuple[list[Path], list[Finding]]:
        """Every persona file in personas/, and findings for files that look wrong there."""
        findings: list[Finding] = []
        if not self.personas_dir.is_dir():
            return [], [
                Finding(
                    "personas",
                    0,
                    0,
                    "",
                    "no personas/ folder in the repository",
                    f"create {self.personas_dir} with one <id>.yaml file per persona",
                    "repo.no-personas",
                )
            ]
        files: list[Path] = []
        for path in sorted(self.personas_dir.iterdir()):
            shown = self.display(path)
            if path.name.startswith(".") or path.is_dir():
                continue
            if path.suffix == ".yml":
                findings.append(
                    Finding(
                        shown,
                        0,
                        0,
                        "",
                        "persona files end in .yaml, not .yml",
                        f"rename it to {path.stem}.yaml",
                        "repo.extension",
                    )
                )
                continue
            if path.suffix != ".yaml":
                continue
            if not self.inside(path):
                findings.append(
                    Finding(
                        shown,
                        0,
                        0,
                        "",
                        "symlink points outside the repository",
                        "replace the link with the persona file itself",
                        "repo.symlink",
                    )
                )
                continue
            files.append(path)
        return files, findings


def tool_schema_path(name: str = "persona.schema.json") -> Path:
    """The schema that comes with the tool: packaged in a wheel, or the checkout's for an editable install."""
    packaged = PACKAGED_SCHEMAS / name
    return packaged if packaged.is_file() else SOURCE_SCHEMAS / name


def resolves_inside(path: Path, root: Path) -> bool:
    """True when `path`, with every symlink followed, stays inside `root`; False for a symlink loop or a path
    that cannot be resolved (neither is a file anyone can use)."""
    try:
        return path.resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop (Python 3.11)
        return False
