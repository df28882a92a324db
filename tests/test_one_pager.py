"""The persona one-pager's parts: avatars, evidence strength, strongest quote, and what changed from git."""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from persona_map.check.catalog import build_catalog
from persona_map.pages import history as history_module
from persona_map.pages.avatar import MIN_HUE_GAP, looks, svg
from persona_map.pages.glance import evidence_strength, strongest_quote
from persona_map.pages.history import line_fields, read_history
from persona_map.pages.render import Renderer
from persona_map.repository import Repository
from tests.conftest import ROOT, TODAY


@pytest.fixture(scope="module")
def catalog():
    return build_catalog(Repository.open(ROOT), TODAY)


# --- avatars -------------------------------------------------------------------------------------


def test_avatars_are_the_same_on_every_build_and_different_between_personas(catalog):
    ids = [p.id for p in catalog.personas]
    first, again = looks(ids), looks(reversed(ids))
    assert first == again, "the order personas come in changes nothing"
    drawings = {pid: svg(face) for pid, face in first.items()}
    assert len(set(drawings.values())) == len(ids) == 4
    hues = sorted(face.hue for face in first.values())
    gaps = [(b - a) % 360 for a, b in zip(hues, hues[1:] + hues[:1], strict=True)]
    assert min(gaps) >= MIN_HUE_GAP, f"background colours too close: {hues}"


def test_a_new_persona_leaves_the_others_avatars_alone_and_gets_its_own(catalog):
    ids = [p.id for p in catalog.personas]
    before = looks(ids)
    after = looks([*ids, "zz-new-persona"])
    assert {pid: after[pid] for pid in ids} == before
    assert all(
        min(abs(after["zz-new-persona"].hue - f.hue), 360 - abs(after["zz-new-persona"].hue - f.hue))
        >= MIN_HUE_GAP
        for f in before.values()
    )


def test_twelve_personas_get_twelve_different_avatars():
    faces = looks(f"persona-{n}" for n in range(12))
    assert len({svg(face) for face in faces.values()}) == 12
    assert len({face.hue for face in faces.values()}) == 12


def test_an_avatar_carries_no_text_and_no_request():
    drawing = svg(looks(["platform-lead-priya"])["platform-lead-priya"])
    assert re.sub(r"<[^>]*>", "", drawing) == "", "no text to show up in search results"
    assert "href" not in drawing and "url(" not in drawing
    assert 'aria-hidden="true"' in drawing


# --- evidence strength and the strongest quote ---------------------------------------------------


def test_evidence_strength_in_plain_words(catalog):
    priya = catalog.get("platform-lead-priya")
    strong = evidence_strength(priya, TODAY)
    assert (strong.level, strong.score) == ("strong", 3)
    assert strong.reasons[0] == f"{priya.evidence['sample_size']} people in the research"
    small = replace(priya, evidence={**priya.evidence, "sample_size": 12, "sources": ["survey-2026"]})
    assert evidence_strength(small, TODAY).level == "thin"
    old = replace(priya, evidence={**priya.evidence, "last_research_date": "2023-01-10"})
    assert evidence_strength(old, TODAY).level == "fair"
    assert "research from January 2023" in evidence_strength(old, TODAY).reasons


def test_the_strongest_quote_echoes_the_persona_and_needs_none(catalog):
    priya = catalog.get("platform-lead-priya")
    quote = strongest_quote(priya)
    assert quote in priya.quotes
    echo = {
        "text": "Pipeline sprawl, cost per team, babysitting self-hosted runners, legacy Jenkins jobs, "
        "golden path adoption and DORA metrics for the CTO.",
        "source": "interviews-2026",
        "respondent": "S9999",
    }
    assert strongest_quote(replace(priya, quotes=[*priya.quotes, echo])) == echo
    uncited = {**echo, "source": "someone-else"}
    assert strongest_quote(replace(priya, quotes=[uncited, quote])) == quote, "its own research first"
    assert strongest_quote(replace(priya, quotes=[])) is None


# --- what changed, from git ----------------------------------------------------------------------


def test_line_fields_names_the_field_of_every_line():
    text = (
        "# comment\napiVersion: personamap/v1\nmetadata:\n  id: x\n  tags:\n  - a\nspec:\n"
        "  narrative: >-\n    Note: not a key\n  quotes:\n    - text: hi\n      source: s\n  goals:\n  - g\n"
    )
    assert line_fields(text) == [
        None,
        "apiVersion",
        "metadata",
        "id",
        "tags",
        "tags",
        "spec",
        "narrative",
        "narrative",
        "quotes",
        "quotes",
        "quotes",
        "goals",
        "goals",
    ]


def git(repo: Path, *args: str, day: str = "2026-10-01", author: str = "Ana Researcher") -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": author,
        "GIT_AUTHOR_EMAIL": "ana@example.com",
        "GIT_COMMITTER_NAME": author,
        "GIT_COMMITTER_EMAIL": "ana@example.com",
        "GIT_AUTHOR_DATE": f"{day}T12:00:00+00:00",
        "GIT_COMMITTER_DATE": f"{day}T12:00:00+00:00",
    }
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=env)


@pytest.fixture
def git_repo(repo_copy: Path) -> Path:
    git(repo_copy, "init", "-q", "-b", "main")
    git(repo_copy, "add", "-A")
    git(repo_copy, "commit", "-q", "-m", "personas", day="2026-09-01", author="Sam Seed")
    priya = repo_copy / "personas" / "platform-lead-priya.yaml"
    text = priya.read_text()
    priya.write_text(text.replace("  goals:\n", "  goals:\n    - Halve the time to onboard a new team.\n", 1))
    git(repo_copy, "commit", "-q", "-am", "goal", day="2026-11-02", author="Ana Researcher")
    priya.write_text(
        priya.read_text().replace("Pipeline sprawl, with", "Pipeline sprawl (worse every quarter), with")
    )
    git(repo_copy, "commit", "-q", "-am", "pain", day="2026-11-20", author="Bo Marketer")
    return repo_copy


def test_history_lists_each_change_with_its_fields(git_repo: Path):
    changes = read_history(git_repo).of("personas/platform-lead-priya.yaml")
    assert [(c.day, c.author, c.fields) for c in changes] == [
        (date(2026, 11, 20), "Bo Marketer", ("pain_points",)),
        (date(2026, 11, 2), "Ana Researcher", ("goals",)),
        (date(2026, 9, 1), "Sam Seed", ("whole file",)),
    ]


def test_the_persona_page_shows_what_changed_since_the_review(git_repo: Path):
    catalog = build_catalog(Repository.open(git_repo), TODAY)
    pages = {p.path: p.content for p in Renderer(catalog, history=read_history(git_repo)).pages()}
    priya = pages["personas/platform-lead-priya/index.md"]
    assert "**Since the last review:** pain points, goals changed (2 changes)." in priya
    assert "| 2026-11-20 | Bo Marketer | pain points |" in priya
    assert "| 2026-11-02 | Ana Researcher | goals |" in priya
    carla = pages["personas/compliance-officer-carla/index.md"]
    assert "**Since the last review:** nothing changed." in carla


def test_history_takes_two_git_processes_whatever_the_number_of_personas(git_repo: Path, monkeypatch):
    for n in range(6):
        source = git_repo / "personas" / "developer-dev.yaml"
        (git_repo / "personas" / f"extra-{n}.yaml").write_text(source.read_text())
    git(git_repo, "add", "-A")
    git(git_repo, "commit", "-q", "-m", "more", day="2026-11-25")
    calls = []
    real = subprocess.run
    monkeypatch.setattr(history_module.subprocess, "run", lambda *a, **k: calls.append(a[0]) or real(*a, **k))
    history = read_history(git_repo)
    assert len(history.changes) == 10
    assert [c[3] for c in calls] == ["log", "cat-file"]


def test_outside_a_git_checkout_there_is_no_history(repo_copy: Path):
    assert read_history(repo_copy).changes == {}
    catalog = build_catalog(Repository.open(repo_copy), TODAY)
    page = Renderer(catalog, history=read_history(repo_copy)).pages()
    priya = next(p.content for p in page if p.path == "personas/platform-lead-priya/index.md")
    assert "Since the last review" not in priya and "| Date | Author |" not in priya
