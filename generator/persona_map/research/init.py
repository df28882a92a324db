"""`personas init`: start your own persona repository from the example one.

The example research (sources marked `example: true`, their files and the example generator) and the personas
built only on it are removed; everything else stays. Then a team declares its own research, runs `personas
segment` and `personas suggest`, which drafts a persona for every segment no persona speaks for, and moves the
drafts it wants into personas/: no example persona is edited by hand.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from ruamel.yaml import YAML

from persona_map.atomic import write_atomic
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
    """Remove the example sources from the manifest (keeping its comments), their files and the personas."""
    if plan.sources:
        yaml = YAML()  # round trip: the manifest's other entries and comments stay as they are
        yaml.preserve_quotes = True
        yaml.indent(mapping=2, sequence=4, offset=2)
        try:
            data = yaml.load(repo.manifest_path.read_text(encoding="utf-8"))
            data["sources"] = [s for s in data["sources"] if s.get("id") not in plan.sources]
            out = io.StringIO()
            yaml.dump(data, out)
            write_atomic(repo.manifest_path, out.getvalue().encode("utf-8"))
        except (OSError, KeyError, TypeError) as e:
            raise EditError(
                f"{repo.display(repo.manifest_path)}: cannot remove the example sources: {e}"
            ) from e
    for name in [*plan.files, *plan.personas]:
        try:
            (repo.root / name).unlink(missing_ok=True)
        except OSError as e:
            raise EditError(f"{name}: cannot remove it: {e.strerror or e}") from e
