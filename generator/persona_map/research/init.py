"""`personas init`: start your own persona repository from the example one.

The example research (sources marked `example: true`, their files and the example generator) and the personas
built only on it are removed; everything else stays. Then a team declares its own research, runs `personas
segment` and `personas suggest`, which drafts a persona for every segment no persona speaks for, and moves the
drafts it wants into personas/: no example persona is edited by hand.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

from ruamel.yaml import YAML

from persona_map.atomic import scratch_folder, write_atomic
from persona_map.data_paths import get
from persona_map.errors import EditError
from persona_map.repository import Repository
from persona_map.research.manifest import Manifest
from persona_map.yaml_load import load

EXAMPLE_EXTRAS = ("example-truth.json", "generate_example.py")  # the example generator and what it planted


@dataclass
class InitPlan:
    """What `personas init` removes, and the personas it leaves for a person to look at."""

    sources: list[str] = field(default_factory=list)  # example source ids, out of the manifest
    files: list[str] = field(default_factory=list)  # research files deleted
    personas: list[str] = field(
        default_factory=list
    )  # persona files deleted: they cite only example research
    mixed: list[str] = field(default_factory=list)  # persona files that cite example research among their own

    @property
    def empty(self) -> bool:
        return not (self.sources or self.files or self.personas)


def plan_init(repo: Repository, manifest: Manifest) -> InitPlan:
    """What would be removed; nothing is changed."""
    plan = InitPlan()
    examples = {sid for sid, source in manifest.sources.items() if source.example}
    plan.sources = sorted(examples)
    files = {f"research/{manifest.sources[sid].file}" for sid in examples if manifest.sources[sid].exists}
    files |= {f"research/{name}" for name in EXAMPLE_EXTRAS if (repo.research_dir / name).is_file()}
    plan.files = sorted(files)
    paths, _ = repo.persona_files()
    for path in paths:
        doc, _ = load(path, repo.display(path))
        cited = get(doc.data, "spec", "evidence", "sources") if doc else None
        cited = {c for c in cited if isinstance(c, str)} if isinstance(cited, list) else set()
        if cited and cited <= examples:
            plan.personas.append(repo.display(path))
        elif cited & examples:
            plan.mixed.append(repo.display(path))
    return plan


def apply_init(repo: Repository, plan: InitPlan) -> None:
    """Remove the example sources from the manifest (keeping its comments), their files and the personas: all
    or nothing. Files and folders are moved aside first, the manifest is rewritten, and only then are they
    deleted; a step that fails puts back what was moved."""
    manifest = _without_examples(repo, plan.sources) if plan.sources else None  # before anything is touched
    with scratch_folder(repo.root / ".personas-init") as aside:
        moved: list[tuple[Path, Path]] = []
        try:
            for index, name in enumerate([*plan.files, *plan.personas]):
                path = repo.root / name
                if path.exists() or path.is_symlink():
                    path.rename(aside / str(index))
                    moved.append((path, aside / str(index)))
            if manifest is not None:
                write_atomic(repo.manifest_path, manifest)
        except OSError as e:
            for original, kept in reversed(moved):
                kept.rename(original)
            shown = e.filename if isinstance(e.filename, str) else repo.display(repo.manifest_path)
            raise EditError(f"{shown}: cannot remove it: {e.strerror or e} (nothing was removed)") from e


def _without_examples(repo: Repository, sources: list[str]) -> bytes:
    """The manifest's text without the entries of `sources`, its other entries and comments as they are."""
    yaml = YAML()  # round trip
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    try:
        data = yaml.load(repo.manifest_path.read_text(encoding="utf-8"))
        data["sources"] = [s for s in data["sources"] if not (isinstance(s, dict) and s.get("id") in sources)]
    except (OSError, KeyError, TypeError) as e:
        raise EditError(f"{repo.display(repo.manifest_path)}: cannot remove the example sources: {e}") from e
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue().encode("utf-8")
