"""Compile the package at install time: its Python modules (.pyc) and its page templates.

`pip install -e .` compiles nothing, and with PYTHONDONTWRITEBYTECODE set Python never writes .pyc files
either, so every run would compile the package again. `make install` runs `python -m persona_map.cli.precompile`
once; a module or template edited afterwards is simply compiled again when used (Python and Jinja both
check the source).
"""

from __future__ import annotations

import compileall
import sys
from pathlib import Path

from jinja2 import TemplateError

from persona_map.pages.render import make_environment


def precompile() -> list[str]:
    """Compile every module and template of the package; returns the problems (empty when all is well)."""
    problems = []
    if not compileall.compile_dir(str(Path(__file__).parent.parent), quiet=1):
        problems.append("some Python modules of the package did not compile")
    env = make_environment(None, install=True)
    for name in env.list_templates(extensions=["j2"]):
        try:
            env.get_template(name)
        except TemplateError as e:
            problems.append(f"template {name}: {e}")
    return problems


def main() -> int:
    problems = precompile()
    for problem in problems:
        print(f"personas: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
