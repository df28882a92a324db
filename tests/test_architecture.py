"""The package's shape: one subpackage per capability, dependencies one way, no cycles, small modules."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGE = ROOT / "generator" / "persona_map"
# Lower layers never import higher ones: base < research < routing < check < pages < cli.
LAYERS = ("", "research", "routing", "check", "pages", "cli")
MAX_LINES = 400


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def _imports(path: Path, name: str, modules: dict[str, Path]) -> set[str]:
    """Every persona_map module `path` imports, at the top or inside a function."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(
                    package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else [])
                )
            targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        found |= {t for t in targets if t in modules and t != name}
    return found


def _layer(module: str) -> int:
    if module == "persona_map.__main__":  # `python -m persona_map`: the command line itself
        return LAYERS.index("cli")
    parts = module.split(".")
    return LAYERS.index(parts[1]) if len(parts) > 1 and parts[1] in LAYERS else 0


GRAPH = {name: _imports(path, name, _modules()) for name, path in _modules().items()}


def test_the_capabilities_are_packages():
    for capability in ("check", "research", "routing", "pages", "cli"):
        assert (PACKAGE / capability / "__init__.py").is_file(), capability


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_dependencies_run_one_way(module: str):
    upward = sorted(t for t in GRAPH[module] if _layer(t) > _layer(module))
    assert not upward, f"{module} (layer {LAYERS[_layer(module)] or 'base'}) imports higher layers: {upward}"


def test_no_import_cycles_lazy_imports_included():
    cycles, state = [], {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = "open"
        for target in sorted(GRAPH[node]):
            if target.startswith(f"{node}.") or node.startswith(f"{target}."):
                continue  # a package and its own modules
            if state.get(target) == "open":
                cycles.append(stack[stack.index(target) :] + [target])
            elif target not in state:
                visit(target, [*stack, target])
        state[node] = "done"

    for module in sorted(GRAPH):
        if module not in state:
            visit(module, [module])
    assert not cycles, "\n".join(" -> ".join(c) for c in cycles)


def test_no_module_is_over_the_limit():
    long = {n: len(p.read_text().splitlines()) for n, p in _modules().items()}
    over = {n: lines for n, lines in long.items() if lines > MAX_LINES}
    assert not over, over
    assert len(long) > 40, "the walk found the package's modules"


def test_import_name_is_the_distribution_and_generator_is_not_a_module(tmp_path: Path):
    code = "import persona_map, importlib.util; print(importlib.util.find_spec('generator') is None or 'sentinel')"
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    proc = subprocess.run(
        [sys.executable, "-c", "import generator"], cwd=ROOT, capture_output=True, text=True
    )
    assert proc.returncode != 0 and "persona_map" in proc.stderr
