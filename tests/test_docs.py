"""The README documents every command and option, and its two set-up commands are what CI runs."""

from __future__ import annotations

import re

import click
import pytest

from persona_map.cli import main
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _commands() -> list[tuple[str, click.Command]]:
    return sorted(main.commands.items())


@pytest.mark.parametrize(("name", "command"), _commands(), ids=lambda x: x if isinstance(x, str) else "")
def test_every_command_and_option_is_documented(name: str, command: click.Command):
    assert f"personas {name}" in README
    for param in command.params:
        if isinstance(param, click.Option):
            for opt in param.opts + param.secondary_opts:
                if opt.startswith("--") and opt != "--help":
                    assert opt in README, f"README does not mention {opt} of `personas {name}`"


def test_readme_gives_exactly_two_setup_commands():
    section = README.split("## Two commands", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S)[1]
    commands = [line.split("#")[0].strip() for line in block.splitlines() if line.split("#")[0].strip()]
    assert commands == ["make site", "make test"]


def test_ci_runs_the_readme_test_command():
    script = (ROOT / ".ci/run").read_text()
    assert re.search(r"^make test$", script, re.M)
