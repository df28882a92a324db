"""Contact classification: a table of realistic titles, the API contract, scoring, the research model and check."""

from __future__ import annotations

import ast
import csv
import graphlib
import io
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from persona_map.check.catalog import Catalog, build_catalog
from persona_map.check.check import check
from persona_map.cli import main
from persona_map.repository import Repository
from persona_map.research.features import build_table
from persona_map.research.manifest import load_manifest
from persona_map.research.segment import run
from persona_map.research.sources import load_research
from persona_map.routing.classify import (
    COLUMNS,
    UNASSIGNED,
    Classifier,
    ClassifyError,
    classify,
    load_model,
    model_labels,
)
from persona_map.routing.rules import Contact, route, rule_from_data, rules_from_personas, size_bands
from tests.conftest import ROOT, TODAY, copy_repository

DATA = Path(__file__).parent / "data" / "classify"
ATTRIBUTES = ("seniority", "department", "company_size", "industry")


def _table() -> list[dict[str, str]]:
    with (DATA / "titles.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))  # the csv module keeps "N/A" and "" as written


TITLES = _table()


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return build_catalog(Repository.open(ROOT), today=TODAY)


@pytest.fixture(scope="module")
def table_result(catalog: Catalog) -> pd.DataFrame:
    frame = pd.DataFrame(TITLES).drop(columns="expected")
    return classify(frame, personas=catalog.personas)


def test_the_title_table_is_big_enough() -> None:
    assert len(TITLES) >= 60
    assert sum(row["expected"] == UNASSIGNED for row in TITLES) >= 20
    assert {row["expected"] for row in TITLES} == {
        "platform-lead-priya",
        "eng-manager-marco",
        "developer-dev",
        "compliance-officer-carla",
        UNASSIGNED,
    }


@pytest.mark.parametrize(
    "i", range(len(TITLES)), ids=[f"{r['title'].strip() or '(empty)'}|{r['company_size']}" for r in TITLES]
)
def test_realistic_titles_go_to_the_expected_persona(table_result: pd.DataFrame, i: int) -> None:
    row = table_result.iloc[i]
    assert row["persona_id"] == TITLES[i]["expected"], row["reason"]


def test_route_and_classify_agree_on_decision_and_reason(
    catalog: Catalog, table_result: pd.DataFrame
) -> None:
    rules = rules_from_personas(catalog.personas)
    examples = [
        {k: v for k, v in example.items() if k != "expect"}
        for persona in catalog.personas
        for example in persona.classification["examples"]
    ]
    frame = pd.DataFrame([*[{k: v for k, v in r.items() if k != "expected"} for r in TITLES], *examples])
    result = classify(frame, rules)
    assert len(result) == len(frame) > len(TITLES)
    for (_, contact), (_, got) in zip(frame.iterrows(), result.iterrows(), strict=True):
        values = {k: v if isinstance(v, str) else "" for k, v in contact.items()}
        decision = route(rules, Contact(**values))
        assert (got.persona_id, got.confidence, got.reason) == (
            decision.persona_id,
            decision.confidence,
            decision.reason,
        )


def test_reasons_say_what_matched_and_fitted(table_result: pd.DataFrame) -> None:
    first = table_result.iloc[0]
    assert first["reason"] == (
        'title "Head of Platform Engineering" matches "head of platform"; seniority director fits; '
        'department "Platform Engineering" fits; company size 201-1000 fits'
    )
    assert first["confidence"] == 0.9
    by_title = {(r["title"], r["company_size"]): i for i, r in enumerate(TITLES)}
    reason = table_result.iloc[by_title[("Engineering Manager", "5001+")]]["reason"]
    assert reason == (
        'title "Engineering Manager" matches "engineering manager" (eng-manager-marco) but company size 5001+ does not fit'
    )
    reason = table_result.iloc[by_title[("Platform Engineering Intern", "")]]["reason"]
    assert reason.endswith('but is excluded by "intern"')
    assert (
        table_result.iloc[by_title[("Office Manager", "")]]["reason"]
        == 'no persona\'s titles match "Office Manager"'
    )
    assert table_result.iloc[by_title[("N/A", "")]]["reason"] == "no title"


# ---------------------------------------------------------------- API contract


def test_result_keeps_the_index_and_has_the_documented_columns(catalog: Catalog) -> None:
    frame = pd.DataFrame(
        {
            "title": ["Engineering Manager", "Office Manager", None, "CISO"],
            "email": ["a@x", "b@x", "c@x", "d@x"],
        },
        index=pd.Index(["c3", "c1", "c1", "c9"], name="contact"),
    )
    result = classify(frame, personas=catalog.personas)
    assert result.index.equals(frame.index)
    assert tuple(result.columns) == COLUMNS
    assert result["persona_id"].dtype == pd.StringDtype("pyarrow")
    assert result["persona_name"].dtype == pd.StringDtype("pyarrow")
    assert result["reason"].dtype == pd.StringDtype("pyarrow")
    assert result["confidence"].dtype == np.float64
    assert list(result["persona_id"]) == [
        "eng-manager-marco",
        UNASSIGNED,
        UNASSIGNED,
        "compliance-officer-carla",
    ]
    assert list(result["persona_name"])[:2] == ["Marco, the Engineering Manager", ""]
    assert list(frame.columns) == ["title", "email"], "the input is not modified"


def test_unassigned_is_never_a_guess(table_result: pd.DataFrame) -> None:
    unassigned = table_result[table_result["persona_id"] == UNASSIGNED]
    assert (unassigned["persona_name"] == "").all()
    assert (unassigned["confidence"] == 0.0).all()
    assigned = table_result[table_result["persona_id"] != UNASSIGNED]
    assert assigned["confidence"].between(0.6, 1.0).all()
    assert (assigned["confidence"] == assigned["confidence"].round(2)).all()
    assert table_result["reason"].str.len().min() > 0


def test_empty_frame_and_messy_types(catalog: Catalog) -> None:
    empty = classify(pd.DataFrame({"title": pd.Series([], dtype=object)}), personas=catalog.personas)
    assert tuple(empty.columns) == COLUMNS and len(empty) == 0
    frame = pd.DataFrame(
        {
            "title": ["Software Engineer", "Software Engineer", 42, float("nan")],
            "company_size": [25, 25.0, None, "5001+"],  # sizes read as numbers
            "industry": [None, float("nan"), "", "SaaS"],
        }
    )
    result = classify(frame, personas=catalog.personas)
    assert list(result["persona_id"]) == ["developer-dev", "developer-dev", UNASSIGNED, UNASSIGNED]
    assert "company size 25 fits" in result["reason"][1]


def test_missing_title_column_is_a_clear_error(catalog: Catalog) -> None:
    with pytest.raises(ClassifyError, match="no 'title' column"):
        classify(pd.DataFrame({"job": ["CTO"]}), personas=catalog.personas)
    with pytest.raises(ClassifyError, match="needs rules or personas"):
        classify(pd.DataFrame({"title": ["CTO"]}))


def test_no_rules_means_nothing_is_assigned() -> None:
    result = classify(pd.DataFrame({"title": ["Software Engineer", ""]}), [])
    assert list(result["persona_id"]) == [UNASSIGNED, UNASSIGNED]
    assert list(result["reason"]) == ['no persona\'s titles match "Software Engineer"', "no title"]


def test_personas_without_classification_are_skipped(catalog: Catalog) -> None:
    from dataclasses import replace

    personas = [replace(p, classification={}) if p.id == "developer-dev" else p for p in catalog.personas]
    assert [r.persona_id for r in rules_from_personas(personas)] == [
        p.id for p in catalog.personas if p.id != "developer-dev"
    ]


def test_personas_json_carries_the_rules(catalog: Catalog) -> None:
    data = catalog.get("developer-dev").to_dict()
    assert "software engineer" in data["classification"]["titles"]
    assert data["classification"]["examples"]


# ---------------------------------------------------------------- scoring


def _rule(persona_id: str, **block: object) -> object:
    return rule_from_data(persona_id, persona_id.title(), block)


def _one(rules: list, **contact: str) -> pd.Series:
    return classify(pd.DataFrame([contact]), rules).iloc[0]


def test_equal_matches_of_equal_priority_are_ambiguous() -> None:
    rules = [
        _rule("a", titles=["platform engineer"]),
        _rule("b", titles=["platform engineer"]),
        _rule("c", titles=["x"]),
    ]
    got = _one(rules, title="Senior Platform Engineer")
    assert (got.persona_id, got.confidence, got.reason) == (UNASSIGNED, 0.0, "ambiguous: a or b")
    three = [*rules[:2], _rule("c", titles=["platform engineer"])]
    assert _one(three, title="Platform Engineer").reason == "ambiguous: a or b (and 1 more)"


def test_priority_breaks_a_tie() -> None:
    rules = [_rule("a", titles=["platform engineer"]), _rule("b", titles=["platform engineer"], priority=5)]
    assert _one(rules, title="Platform Engineer").persona_id == "b"


def test_longest_phrase_wins_before_priority() -> None:
    rules = [_rule("a", titles=["engineer"], priority=100), _rule("b", titles=["platform engineer"])]
    assert _one(rules, title="Platform Engineer").persona_id == "b"


def test_confidence_wins_before_phrase_length() -> None:
    rules = [
        _rule("a", titles=["engineer"], company_sizes=["1-10"]),
        _rule("b", titles=["platform engineer"]),
    ]
    got = _one(rules, title="Platform Engineer", company_size="5")
    assert (got.persona_id, got.confidence) == ("a", 0.7)


def test_each_fitting_attribute_adds_a_tenth_up_to_one() -> None:
    rule = _rule(
        "a",
        titles=["engineer"],
        seniority=["senior"],
        departments=["engineering"],
        company_sizes=["11-50"],
        industries=["fintech"],
    )
    full = {
        "title": "Senior Engineer",
        "seniority": "Senior",
        "department": "Engineering",
        "company_size": "20",
    }
    assert _one([rule], **full, industry="Fintech & Payments").confidence == 1.0
    assert _one([rule], **full).confidence == 0.9
    assert _one([rule], title="Senior Engineer").confidence == 0.6  # title-implied seniority adds nothing
    assert (
        _one([rule], title="Engineer", industry="Retail").persona_id == UNASSIGNED
    )  # a conflict rules it out


def test_title_implied_seniority_can_rule_out_but_a_column_wins() -> None:
    rule = _rule("a", titles=["platform"], seniority=["director", "vp"])
    assert _one([rule], title="Platform Intern").reason.endswith(
        "seniority entry (from the title) does not fit"
    )
    assert _one([rule], title="Platform Intern", seniority="Director").persona_id == "a"


def test_min_confidence_leaves_weak_matches_unassigned() -> None:
    rules = [_rule("a", titles=["engineer"])]
    frame = pd.DataFrame({"title": ["Engineer"]})
    got = classify(frame, rules, min_confidence=0.7).iloc[0]
    assert (got.persona_id, got.reason) == (
        UNASSIGNED,
        'title "Engineer" matches "engineer"; confidence 0.60 is below 0.70',
    )
    assert classify(frame, rules, min_confidence=0.6).iloc[0].persona_id == "a"


@pytest.mark.parametrize(
    ("value", "bands"),
    [
        ("201-1000", {"201-1000"}),
        ("201 - 1,000 employees", {"201-1000"}),
        ("201-500", {"201-1000"}),
        ("1.001-5.000", {"1001-5000"}),
        ("5001+", {"5001+"}),
        ("10,001+", {"5001+"}),
        ("10k+", {"5001+"}),
        ("350", {"201-1000"}),
        ("2-10", {"1-10"}),
        ("Self-employed", {"1-10"}),
        ("1000+", {"201-1000", "1001-5000", "5001+"}),
        ("", set()),
        ("unknown", set()),
    ],
)
def test_company_size_values_map_to_bands(value: str, bands: set[str]) -> None:
    assert size_bands(value) == bands


def test_a_size_that_spans_bands_neither_fits_nor_conflicts() -> None:
    rule = _rule("a", titles=["engineer"], company_sizes=["201-1000"])
    assert _one([rule], title="Engineer", company_size="1000+").confidence == 0.6
    assert _one([rule], title="Engineer", company_size="201-500").confidence == 0.7


def test_classify_is_vectorised_over_distinct_values(catalog: Catalog) -> None:
    titles = [row["title"] for row in TITLES]
    frame = pd.DataFrame({"title": titles * 500, "company_size": ["51-200", "5001+"] * (len(titles) * 250)})
    result = classify(frame, personas=catalog.personas)
    small = classify(frame.iloc[: 2 * len(titles)], personas=catalog.personas)
    assert len(result) == len(frame)
    merged = pd.concat([small] * 250)
    assert (result.to_numpy() == merged.to_numpy()).all()


# ---------------------------------------------------------------- the research model


@pytest.fixture(scope="module")
def segmented(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_repository(tmp_path_factory.mktemp("classify") / "repo", ("personas", "research", "schema"))
    result, paths, findings = run(Repository.open(root), TODAY, None, None, "kmeans", 0)
    assert result is not None, findings
    return root


@pytest.fixture(scope="module")
def research_rows(segmented: Path) -> tuple[pd.DataFrame, pd.Series]:
    """The research as contacts (text columns, like a CSV) and each respondent's segment."""
    repo = Repository.open(segmented)
    research, _ = load_research(repo, load_manifest(repo)[0])
    frame = build_table(research).frame
    contacts = frame.reset_index().astype("string")
    contacts.index = frame.index.astype(str)
    labels = pd.read_csv(segmented / "build/segments/assignments.csv", dtype=str).set_index("key")["segment"]
    return contacts, labels.reindex(contacts.index)


def test_model_labels_agree_with_the_segments_on_the_research(segmented: Path, research_rows) -> None:
    repo = Repository.open(segmented)
    catalog = build_catalog(repo, today=TODAY)
    model = load_model(repo, catalog.personas)
    assert model is not None
    contacts, segments = research_rows
    persona, membership = model_labels(contacts, model, model["segment_personas"])
    expected = segments.map(model["segment_personas"])
    assert persona.notna().all()
    assert (persona.to_numpy() == expected.to_numpy()).mean() >= 0.95
    assert membership.between(0.5, 1.0).all()


def test_model_classifies_contacts_without_a_title(segmented: Path, research_rows) -> None:
    repo = Repository.open(segmented)
    catalog = build_catalog(repo, today=TODAY)
    contacts, segments = research_rows
    contacts = contacts.assign(title="")
    result = classify(contacts, personas=catalog.personas, model=load_model(repo, catalog.personas))
    assigned = result["persona_id"] != UNASSIGNED
    expected = segments.map(load_model(repo, catalog.personas)["segment_personas"])
    assert assigned.mean() >= 0.8
    assert (result["persona_id"][assigned] == expected[assigned]).mean() >= 0.95
    assert result["confidence"][assigned].between(0.6, 1.0).all()
    assert result["reason"][assigned].str.match(r"nearest research segment S\d \(\w+, the ").all()
    assert (
        result["reason"][~assigned]
        .str.fullmatch(r"no title; nearest research segment S\d is not close enough")
        .all()
    )


def test_rules_win_over_the_model_and_the_reason_says_so(segmented: Path, research_rows) -> None:
    repo = Repository.open(segmented)
    catalog = build_catalog(repo, today=TODAY)
    model = load_model(repo, catalog.personas)
    contacts, segments = research_rows
    persona = segments.map(model["segment_personas"])
    small = contacts["company_size"].isin(["1-10", "11-50", "51-200"])
    small &= model_labels(contacts, model, model["segment_personas"])[1] >= 0.6  # the model is sure
    marco_leads = contacts[
        (persona == "eng-manager-marco") & (contacts["seniority"] == "lead") & small
    ].index[:2]
    devs = contacts[(persona == "developer-dev") & (contacts["seniority"] == "senior") & small].index[:2]
    rows = contacts.loc[[*marco_leads, *devs]].assign(title="Software Engineer")
    result = classify(rows, personas=catalog.personas, model=model)
    assert list(result["persona_id"]) == ["developer-dev"] * 4
    reasons = list(result["reason"])
    assert all(re.search(r"; research segment S\d suggests eng-manager-marco$", r) for r in reasons[:2]), (
        reasons
    )
    assert all(re.search(r"; research segment S\d agrees$", r) for r in reasons[2:]), reasons
    without_model = classify(rows, personas=catalog.personas)
    assert list(result["confidence"]) == [
        c + (0.1 if i >= 2 else 0) for i, c in enumerate(without_model["confidence"])
    ]


def test_the_model_needs_its_columns_and_ordinal_levels(segmented: Path, research_rows) -> None:
    repo = Repository.open(segmented)
    catalog = build_catalog(repo, today=TODAY)
    model = load_model(repo, catalog.personas)
    contacts, _ = research_rows
    no_analytics = contacts.drop(columns=[c for c in contacts.columns if c.startswith("analytics")])
    assert model_labels(no_analytics, model, model["segment_personas"])[0].isna().all()
    without_levels = {**model, "model": {**model["model"], "levels": {}}}
    assert model_labels(contacts, without_levels, model["segment_personas"])[0].isna().all()
    blank = contacts.copy()
    blank.iloc[:5, 1:] = pd.NA  # most values missing: the model does not judge
    assert model_labels(blank, model, model["segment_personas"])[0].iloc[:5].isna().all()


def test_classifier_load_takes_the_personas_rules_and_the_last_segmentation(segmented: Path) -> None:
    repo = Repository.open(segmented)
    personas = build_catalog(repo, today=TODAY).personas
    classifier = Classifier.load(repo, personas)
    assert classifier.rules == rules_from_personas(personas) and len(classifier.rules) == len(personas)
    assert classifier.personas == personas
    assert classifier.model is not None and classifier.model["current"] is True
    assert set(classifier.model["segment_personas"].values()) == {p.id for p in personas}
    assert Classifier.load(repo, personas, use_model=False).model is None


def test_the_command_uses_the_research_model_unless_told_not_to(
    segmented: Path, research_rows, tmp_path: Path
) -> None:
    contacts, segments = research_rows
    path = tmp_path / "contacts.csv"
    contacts.rename(columns={"job_title": "title"}).assign(title="").to_csv(path, index=False)

    def classified(*options: str) -> pd.DataFrame:
        result = CliRunner().invoke(main, ["classify", "--root", str(segmented), *options, str(path)])
        assert result.exit_code == 0, result.output
        return pd.read_csv(io.StringIO(result.stdout), dtype=str, keep_default_na=False)

    with_model, without = classified(), classified("--no-model")
    assert len(with_model) == len(without) == len(contacts)
    assigned = with_model["persona_id"] != UNASSIGNED
    assert assigned.mean() >= 0.8
    repo = Repository.open(segmented)
    model = load_model(repo, build_catalog(repo, today=TODAY).personas)
    expected = segments.map(model["segment_personas"]).to_numpy()
    assert (with_model["persona_id"].to_numpy() == expected)[assigned.to_numpy()].mean() >= 0.95
    assert with_model["reason"][assigned].str.match(r"nearest research segment S\d \(\w+, the ").all()
    assert set(without["persona_id"]) == {UNASSIGNED} and set(without["reason"]) == {"no title"}


def test_load_model_without_a_segmentation_is_none(tmp_path: Path) -> None:
    (tmp_path / "personas").mkdir()
    assert load_model(Repository.open(tmp_path)) is None


def test_load_model_skips_weak_segmentations_and_says_when_stale(segmented: Path, tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(segmented, root)
    model = load_model(Repository.open(root))
    assert model is not None and model["current"] is True
    survey = root / "research" / "survey-2026.csv"
    survey.write_text(survey.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert load_model(Repository.open(root))["current"] is False
    saved = root / "build" / "segments" / "segments.json"
    saved.write_text(
        saved.read_text(encoding="utf-8").replace('"weak": false', '"weak": true'), encoding="utf-8"
    )
    assert load_model(Repository.open(root)) is None


# ---------------------------------------------------------------- personas check


def _append(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _line(path: Path, needle: str) -> int:
    return next(
        i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line
    )


def test_check_runs_the_examples_against_every_persona(repo_copy: Path) -> None:
    marco = repo_copy / "personas" / "eng-manager-marco.yaml"
    _append(marco, "      - tech lead\n", "      - tech lead\n      - founding engineer\n")
    _append(marco, "  classification:\n", "  classification:\n    priority: 10\n")
    result = check(Repository.open(repo_copy), today=TODAY)
    (finding,) = [f for f in result.findings if f.code.startswith("classify.")]
    dev = repo_copy / "personas" / "developer-dev.yaml"
    assert (finding.file, finding.line, finding.is_error) == (
        "personas/developer-dev.yaml",
        _line(dev, "title: Founding Engineer"),
        True,
    )
    assert finding.message.startswith(
        'example "Founding Engineer" is routed to eng-manager-marco, expected developer-dev'
    )
    assert "titles, exclude_titles" in finding.hint and "priority" in finding.hint


def test_check_reports_no_match_examples_that_match(repo_copy: Path) -> None:
    priya = repo_copy / "personas" / "platform-lead-priya.yaml"
    _append(priya, "exclude_titles: [intern, assistant, sales,", "exclude_titles: [assistant, sales,")
    _append(priya, "seniority: [lead, director, vp]", "seniority: [entry, lead, director, vp]")
    result = check(Repository.open(repo_copy), today=TODAY)
    (finding,) = [f for f in result.errors if f.code == "classify.example"]
    assert finding.line == _line(priya, "title: Platform Engineering Intern")
    assert "is routed to platform-lead-priya, expected anything but platform-lead-priya" in finding.message


def test_check_warns_about_overlapping_title_phrases(repo_copy: Path) -> None:
    dev = repo_copy / "personas" / "developer-dev.yaml"
    marco = repo_copy / "personas" / "eng-manager-marco.yaml"
    _append(dev, "      - programmer\n", "      - programmer\n      - Tech Lead\n")
    result = check(Repository.open(repo_copy), today=TODAY)
    assert result.ok
    (warning,) = [f for f in result.findings if f.code.startswith("classify.")]
    assert (warning.file, warning.line, warning.is_error) == (
        "personas/eng-manager-marco.yaml",
        _line(marco, "- tech lead"),
        False,
    )
    assert (
        f"also a title of developer-dev (personas/developer-dev.yaml:{_line(dev, '- Tech Lead')})"
        in warning.message
    )
    assert "priority" in warning.hint and "narrow" in warning.hint
    _append(dev, "  classification:\n", "  classification:\n    priority: 1\n")
    assert not [
        f for f in check(Repository.open(repo_copy), today=TODAY).findings if f.code.startswith("classify.")
    ]


def test_check_reports_phrases_that_cannot_work(repo_copy: Path) -> None:
    carla = repo_copy / "personas" / "compliance-officer-carla.yaml"
    _append(carla, "      - devsecops\n", '      - devsecops\n      - "N/A"\n      - "&"\n')
    _append(carla, "exclude_titles: [intern,", "exclude_titles: [GRC, intern,")
    result = check(Repository.open(repo_copy), today=TODAY)
    found = sorted((f.line, f.code, f.path) for f in result.findings if f.code.startswith("classify."))
    assert found == [
        (_line(carla, '- "N/A"'), "classify.empty-phrase", "spec.classification.titles[10]"),
        (_line(carla, '- "&"'), "classify.empty-phrase", "spec.classification.titles[11]"),
        (
            _line(carla, "exclude_titles: [GRC"),
            "classify.self-exclude",
            "spec.classification.exclude_titles[0]",
        ),
    ]


def test_the_example_personas_have_rules_and_examples(catalog: Catalog) -> None:
    assert len(catalog.personas) >= 4
    for persona in catalog.personas:
        examples = persona.classification["examples"]
        assert 4 <= len(examples) <= 8
        assert {e["expect"] for e in examples} == {"match", "no-match"}


def test_check_does_not_import_pandas() -> None:
    code = (
        "import sys\n"
        "from datetime import date\n"
        "from persona_map.check.check import check\n"
        "from pathlib import Path\n"
        "from persona_map.repository import Repository\n"
        f"result = check(Repository.open(Path({str(ROOT)!r})), today=date(2026, 11, 28))\n"
        "assert result.ok, result.findings\n"
        "heavy = [m for m in ('pandas', 'numpy', 'pyarrow', 'sklearn') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_routing_imports_only_the_base_and_research_without_cycles() -> None:
    """base < research < routing < check < pages < cli: routing never reaches up, not even inside a function."""
    imports: dict[str, set[str]] = {}
    for path in sorted((ROOT / "generator" / "persona_map" / "routing").glob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                names |= {node.module, *(f"{node.module}.{a.name}" for a in node.names)}
            elif isinstance(node, ast.Import):
                names |= {a.name for a in node.names}
        imports[path.stem] = {n for n in names if n.startswith("persona_map.")}
    assert {"classify", "scores", "decide", "outcomes", "reasons", "rules"} <= set(imports)
    upward = sorted(
        (m, n) for m, found in imports.items() for n in found if n.split(".")[1] in ("check", "pages", "cli")
    )
    assert upward == []
    graph = {
        m: {n.split(".")[2] for n in found if n.startswith("persona_map.routing.")}
        for m, found in imports.items()
    }
    assert sum(map(len, graph.values())) >= 15  # the modules do import each other: the check below has edges
    list(graphlib.TopologicalSorter(graph).static_order())  # raises CycleError on a cycle
