"""Compiled templates: the package's compiled at install, overrides compiled once per user, edits recompiled."""

from __future__ import annotations

from pathlib import Path

import pytest
from jinja2 import Environment

import persona_map.pages.template_cache as template_cache
from persona_map.cli.precompile import precompile
from persona_map.pages.render import make_environment


@pytest.fixture
def folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """(package cache, user cache), both empty and private to the test."""
    package, user = tmp_path / "package-cache", tmp_path / "user-cache"
    monkeypatch.setattr(template_cache, "PACKAGE_DIR", package)
    monkeypatch.setenv("PERSONA_MAP_CACHE", str(user))
    return package, user


@pytest.fixture
def compiled(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names of the templates Jinja compiles from source from now on."""
    names: list[str] = []
    original = Environment.compile

    def spy(
        self: Environment, source: str, name: str | None = None, *args: object, **kwargs: object
    ) -> object:
        names.append(str(name))
        return original(self, source, name, *args, **kwargs)

    monkeypatch.setattr(Environment, "compile", spy)
    return names


def cached(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.cache"))


def test_precompiled_package_templates_are_not_compiled_again(
    folders: tuple[Path, Path], compiled: list[str]
) -> None:
    package, user = folders
    assert precompile() == []
    templates = make_environment(None).list_templates(extensions=["j2"])
    assert len(cached(package)) == len(templates) >= 8
    compiled.clear()
    env = make_environment(None)
    for name in templates:
        env.get_template(name)
    assert compiled == []
    assert cached(user) == []  # nothing to add: the package had it all


def test_an_override_is_compiled_once_into_the_user_cache(
    folders: tuple[Path, Path], compiled: list[str], tmp_path: Path
) -> None:
    package, user = folders
    overrides = tmp_path / "site" / "templates"
    overrides.mkdir(parents=True)
    (overrides / "tags.md.j2").write_text("# Our tags\n")
    assert make_environment(overrides).get_template("tags.md.j2").render() == "# Our tags\n"
    assert compiled == ["tags.md.j2"]
    assert len(cached(user)) == 1 and cached(package) == []
    compiled.clear()
    assert make_environment(overrides).get_template("tags.md.j2").render() == "# Our tags\n"
    assert compiled == []


def test_an_edited_template_is_compiled_again(
    folders: tuple[Path, Path], compiled: list[str], tmp_path: Path
) -> None:
    overrides = tmp_path / "templates"
    overrides.mkdir()
    page = overrides / "note.md.j2"
    page.write_text("before\n")
    assert make_environment(overrides).get_template("note.md.j2").render() == "before\n"
    page.write_text("after, and longer\n")
    assert make_environment(overrides).get_template("note.md.j2").render() == "after, and longer\n"
    assert compiled == ["note.md.j2", "note.md.j2"]


def test_other_settings_use_other_folders() -> None:
    env = make_environment(None)
    key = template_cache.settings_key(env)
    env.trim_blocks = False
    assert template_cache.settings_key(env) != key


def test_an_unwritable_cache_only_costs_speed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setattr(template_cache, "PACKAGE_DIR", blocker / "package")
    monkeypatch.setenv("PERSONA_MAP_CACHE", str(blocker))
    assert make_environment(None).get_template("tags.md.j2") is not None
