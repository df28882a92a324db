"""Segmentation on real and generated research: known answers, planted segments, noise, privacy, outputs.

Every test builds research the way a user does: a repository folder with research/manifest.yaml and
CSV files, segmented by `persona_map.research.segment.run` (or `load_research` + `segment`). The reference data
set and its known results are described in tests/data/segment/PROVENANCE.md.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score
from sklearn.utils.estimator_checks import parametrize_with_checks

from persona_map.check.catalog import build_catalog
from persona_map.markdown import github_text
from persona_map.repository import Repository
from persona_map.research.cluster import AutoKClusterer
from persona_map.research.default_engine import segment
from persona_map.research.manifest import load_manifest
from persona_map.research.matching import suggest
from persona_map.research.segment import run
from persona_map.research.segmentation import SegmentOptions, SegmentResult
from persona_map.research.sources import Research, load_research
from persona_map.research.suggest import propose
from tests.conftest import ROOT, TODAY, copy_repository

DATA = Path(__file__).parent / "data" / "segment"
OUTPUTS = Path("build") / "segments"
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")

MALL_SHA256 = "293887b3a8de822afa42629d01c2679006adcc8269890b19eba1ff8ab4a49075"
INCOME, SPENDING = "Annual Income (k$)", "Spending Score (1-100)"
# (income, spending, size) of the k=5 solution, from PROVENANCE.md
MALL_CENTROIDS = [(55.3, 49.5, 81), (86.5, 82.1, 39), (88.2, 17.1, 35), (25.7, 79.4, 22), (26.3, 20.9, 23)]


# --- building research the way a user does -------------------------------------------------------


def research_repo(root: Path, sources: list[dict[str, Any]], files: dict[str, bytes]) -> Path:
    """A fresh repository with no personas, one manifest and the given research files."""
    (root / "personas").mkdir(parents=True)
    (root / "research").mkdir()
    shutil.copytree(ROOT / "schema", root / "schema")
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    manifest = {"apiVersion": "personamap/v1", "kind": "ResearchManifest", "sources": sources}
    # JSON is YAML: the manifest is written exactly as the loader will read it.
    (root / "research" / "manifest.yaml").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    for name, content in files.items():
        (root / "research" / name).write_bytes(content)
    return root


def survey_source(
    columns: dict[str, Any], file: str = "survey.csv", key: str = "respondent_id"
) -> dict[str, Any]:
    return {
        "id": "survey",
        "kind": "survey",
        "file": file,
        "collected": "2026-09-30",
        "key": key,
        "columns": columns,
    }


def read_research(root: Path) -> Research:
    """Load the research of a repository, failing the test on any error finding."""
    repo = Repository.open(root)
    manifest, findings = load_manifest(repo)
    research, problems = load_research(repo, manifest)
    errors = [f for f in findings + problems if f.is_error]
    assert not errors, errors
    return research


def run_ok(
    root: Path, k_min: int = 3, k_max: int = 5, method: str = "kmeans", seed: int = 0
) -> SegmentResult:
    result, paths, findings = run(Repository.open(root), TODAY, k_min, k_max, method, seed)
    assert result is not None, [str(f) for f in findings]
    assert paths is not None
    return result


def assignments(root: Path) -> dict[str, str]:
    """Respondent key -> segment id, as saved in build/segments/assignments.csv."""
    frame = pd.read_csv(root / OUTPUTS / "assignments.csv", dtype=str, keep_default_na=False)
    return dict(zip(frame["key"], frame["segment"], strict=True))


def members(root: Path) -> dict[str, list[str]]:
    """Segment id -> its respondents' keys, from the saved assignments."""
    out: dict[str, list[str]] = {}
    for key, seg in assignments(root).items():
        out.setdefault(seg, []).append(key)
    return out


# --- generated research --------------------------------------------------------------------------

SIZE_BANDS = ["1-10", "11-50", "51-200", "201-1000", "1001+"]
GENERATED_COLUMNS: dict[str, Any] = {
    "respondent_id": "key",
    "department": "categorical",
    "region": "categorical",
    "company_size": {"role": "ordinal", "levels": SIZE_BANDS},
    "tools_used": {"role": "multi-select", "separator": ";"},
    "sat_speed": {"role": "likert", "scale": [1, 5]},
    "sat_cost": {"role": "likert", "scale": [1, 5]},
    "sat_audit": {"role": "likert", "scale": [1, 5]},
    "years_experience": "numeric",
    "deploys_per_week": "numeric",
    "comment": "text",
}


def _draw(rng: np.random.Generator, values: list[str], probabilities: np.ndarray) -> np.ndarray:
    """One value per row, row i drawn from probabilities[i]."""
    cumulative = np.cumsum(probabilities, axis=1)
    index = (rng.random(len(probabilities))[:, None] > cumulative).sum(axis=1)
    return np.asarray(values, dtype=object)[np.minimum(index, len(values) - 1)]


def planted_survey(n: int = 3000, seed: int = 20261128) -> tuple[pd.DataFrame, np.ndarray]:
    """Respondents from 4 planted segments that differ in every kind of column, plus noise.

    Segments differ in department, company size, tool choices, three Likert answers and two numbers;
    region and comment are pure noise, and 2% of the numbers and departments are missing. (Silhouette
    prefers k=4 over k=3 by about 0.01-0.02 here: planted segments that differ less get merged.)
    """
    rng = np.random.default_rng(seed)
    truth = rng.choice(4, size=n, p=[0.3, 0.25, 0.25, 0.2])
    departments = ["Platform", "Product", "Security", "Data"]
    department_p = np.array(
        [[0.8, 0.1, 0.05, 0.05], [0.1, 0.8, 0.05, 0.05], [0.05, 0.05, 0.8, 0.1], [0.05, 0.1, 0.05, 0.8]]
    )
    size_p = np.array(
        [
            [0.05, 0.1, 0.2, 0.4, 0.25],
            [0.1, 0.4, 0.3, 0.15, 0.05],
            [0.0, 0.05, 0.15, 0.3, 0.5],
            [0.5, 0.3, 0.15, 0.05, 0.0],
        ]
    )
    tools = ["Jenkins", "GitHub Actions", "Terraform", "Kubernetes", "Vault", "Datadog"]
    tool_p = np.array(
        [
            [0.5, 0.6, 0.9, 0.9, 0.2, 0.5],
            [0.6, 0.8, 0.2, 0.3, 0.1, 0.3],
            [0.3, 0.3, 0.5, 0.4, 0.9, 0.6],
            [0.1, 0.5, 0.3, 0.2, 0.1, 0.9],
        ]
    )
    likert_mean = np.array([[2.0, 4.0, 3.0], [4.0, 2.0, 3.0], [3.0, 3.0, 1.5], [4.5, 4.5, 4.5]])
    number_mean = np.array([[15.0, 40.0], [8.0, 10.0], [12.0, 3.0], [3.0, 30.0]])

    picked = rng.random((n, len(tools))) < tool_p[truth]
    likert = np.clip(np.rint(likert_mean[truth] + rng.normal(0, 0.5, (n, 3))), 1, 5).astype(int)
    numbers = np.maximum(number_mean[truth] + rng.normal(0, [3.0, 6.0], (n, 2)), 0).round(1)
    frame = pd.DataFrame(
        {
            "respondent_id": [f"R{i:05d}" for i in range(n)],
            "department": _draw(rng, departments, department_p[truth]),
            "region": rng.choice(["EMEA", "North America", "APAC", "LATAM"], n),
            "company_size": _draw(rng, SIZE_BANDS, size_p[truth]),
            "tools_used": [";".join(t for t, yes in zip(tools, row, strict=True) if yes) for row in picked],
            "sat_speed": likert[:, 0],
            "sat_cost": likert[:, 1],
            "sat_audit": likert[:, 2],
            "years_experience": numbers[:, 0],
            "deploys_per_week": numbers[:, 1],
            "comment": rng.choice(["", "Release day is stressful.", "Need a cost report."], n),
        }
    )
    missing = rng.random((n, 3)) < 0.02
    frame["years_experience"] = frame["years_experience"].astype(object).where(~missing[:, 0], "")
    frame["deploys_per_week"] = frame["deploys_per_week"].astype(object).where(~missing[:, 1], "")
    frame["department"] = frame["department"].where(~missing[:, 2], "")
    return frame, truth


def unstructured_survey(n: int = 3000, seed: int = 20261128) -> pd.DataFrame:
    """The same columns, every one drawn independently: there are no segments to find."""
    rng = np.random.default_rng(seed)
    tools = ["Jenkins", "GitHub Actions", "Terraform", "Kubernetes", "Vault", "Datadog"]
    picked = rng.random((n, len(tools))) < 0.4
    return pd.DataFrame(
        {
            "respondent_id": [f"R{i:05d}" for i in range(n)],
            "department": rng.choice(["Platform", "Product", "Security", "Data"], n),
            "region": rng.choice(["EMEA", "North America", "APAC", "LATAM"], n),
            "company_size": rng.choice(SIZE_BANDS, n),
            "tools_used": [";".join(t for t, yes in zip(tools, row, strict=True) if yes) for row in picked],
            "sat_speed": rng.integers(1, 6, n),
            "sat_cost": rng.integers(1, 6, n),
            "sat_audit": rng.integers(1, 6, n),
            "years_experience": rng.normal(10, 4, n).round(1),
            "deploys_per_week": rng.normal(20, 8, n).round(1),
            "comment": rng.choice(["", "Release day is stressful.", "Need a cost report."], n),
        }
    )


def generated_repo(root: Path, frame: pd.DataFrame) -> Path:
    return research_repo(
        root, [survey_source(GENERATED_COLUMNS)], {"survey.csv": frame.to_csv(index=False).encode("utf-8")}
    )


@dataclass
class Planted:
    root: Path
    frame: pd.DataFrame
    truth: np.ndarray
    result: SegmentResult


# --- shared, expensive runs (read-only in the tests) ---------------------------------------------


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SegmentResult]:
    """run() on a copy of this repository, research as it is, seed 0."""
    root = copy_repository(tmp_path_factory.mktemp("example") / "repo")
    return root, run_ok(root)


def mall_repo(root: Path) -> Path:
    """A repository whose only research is the Mall Customers data set, byte for byte."""
    columns = {
        "CustomerID": "key",
        "Genre": "ignored",
        "Age": "ignored",
        INCOME: "numeric",
        SPENDING: "numeric",
    }
    source = survey_source(columns, file="Mall_Customers.csv", key="CustomerID")
    source.update(
        id="mall-customers", title="Mall customers (Kaggle teaching data set)", collected="2018-01-01"
    )
    content = (DATA / "Mall_Customers.csv").read_bytes()
    return research_repo(root, [source], {"Mall_Customers.csv": content})


@pytest.fixture(scope="module")
def mall(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return mall_repo(tmp_path_factory.mktemp("mall") / "repo")


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Planted:
    frame, truth = planted_survey()
    root = generated_repo(tmp_path_factory.mktemp("planted") / "repo", frame)
    return Planted(root, frame, truth, run_ok(root))


# --- reference data: Mall Customers --------------------------------------------------------------


def test_mall_customers_file_is_the_reference_file() -> None:
    """The test data is the documented file: CRLF line ends and no final newline survive checkout."""
    content = (DATA / "Mall_Customers.csv").read_bytes()
    assert hashlib.sha256(content).hexdigest() == MALL_SHA256
    assert content.startswith(b"CustomerID,Genre,Age,Annual Income (k$),Spending Score (1-100)\r\n")
    assert not content.endswith(b"\n")


def test_mall_customers_five_known_segments(mall: Path) -> None:
    result = run_ok(mall, 3, 5)

    assert result.k == 5
    assert sorted(result.scores) == [3, 4, 5]
    assert max(result.scores, key=result.scores.get) == 5
    assert result.scores[5] == pytest.approx(0.554, abs=0.01)  # PROVENANCE.md: silhouette 0.554 at k=5
    assert not result.weak, result.warnings
    assert result.respondents == 200

    # Centroids in original units: the mean of each segment's members, read from the CSV itself.
    data = pd.read_csv(DATA / "Mall_Customers.csv", dtype={"CustomerID": str}).set_index("CustomerID")
    saved = members(mall)
    found = []
    for seg in result.segments:
        rows = data.loc[saved[seg.id]]
        assert len(rows) == seg.size
        found.append((rows[INCOME].mean(), rows[SPENDING].mean(), seg.size))
    unmatched = list(found)
    for income, spending, size in MALL_CENTROIDS:
        close = [f for f in unmatched if abs(f[0] - income) <= 1.5 and abs(f[1] - spending) <= 1.5]
        assert len(close) == 1, f"no segment near ({income}, {spending}); found {found}"
        assert abs(close[0][2] - size) <= 2, (
            f"segment near ({income}, {spending}) has {close[0][2]} members, expected {size}"
        )
        unmatched.remove(close[0])
    assert sum(seg.size for seg in result.segments) == 200


def test_mall_customers_keys_keep_their_zero_padding(mall: Path) -> None:
    """IDs like 0001 are keys, not numbers: the assignments name them as written."""
    run_ok(mall, 3, 5)
    assignments = pd.read_csv(mall / OUTPUTS / "assignments.csv", dtype=str)
    assert len(assignments) == 200
    assert assignments["key"].is_unique
    assert {"0001", "0010", "0200"} <= set(assignments["key"])


def test_mall_customers_gmm_agrees(mall: Path) -> None:
    result = run_ok(mall, 3, 5, method="gmm")
    assert result.k == 5  # PROVENANCE.md: GMM (BIC) picks 5 too
    assert result.options["method"] == "gmm"


# --- generated data: planted segments and no structure -------------------------------------------


def test_planted_segments_are_recovered(planted: Planted) -> None:
    frame, truth, result = planted.frame, planted.truth, planted.result
    assert result.k == 4
    assert result.respondents == len(frame)
    segment_of = assignments(planted.root)
    ari = adjusted_rand_score(truth, [segment_of[key] for key in frame["respondent_id"]])
    assert ari >= 0.9, f"adjusted Rand index {ari:.3f} against the planted segments"
    assert not result.weak, result.warnings
    assert result.warnings == []
    assert result.stability_mean >= 0.9


def test_planted_segment_profiles_name_what_was_planted(planted: Planted) -> None:
    """The security segment (planted: 80% Security, Vault, low audit satisfaction) is profiled as such."""
    keys = planted.frame["respondent_id"].to_numpy()
    security = set(keys[planted.truth == 2])
    saved = members(planted.root)
    seg = max(planted.result.segments, key=lambda s: len(security & set(saved[s.id])))
    assert seg.modes["department"] == "Security"
    over = {(c["column"], c["value"]) for c in seg.categories}
    assert ("department", "Security") in over
    assert ("tools_used", "Vault") in over
    audit = next(n for n in seg.numbers if n["column"] == "sat_audit")
    assert audit["z"] < -1
    assert audit["mean"] == pytest.approx(1.5, abs=0.3)


def test_no_structure_is_flagged_as_weak(tmp_path: Path) -> None:
    result = run_ok(generated_repo(tmp_path / "repo", unstructured_survey()))
    assert result.weak and result.verdict == "no substantial structure"
    assert any(w.startswith("No substantial structure") for w in result.warnings), result.warnings
    report = (tmp_path / "repo" / OUTPUTS / "report.md").read_text(encoding="utf-8")
    assert "> **Warning:** No substantial structure" in report
    saved = json.loads((tmp_path / "repo" / OUTPUTS / "segments.json").read_text(encoding="utf-8"))
    assert saved["weak"] is True and saved["structure"]["real"] is False


# --- the repository's own example research -------------------------------------------------------


def test_example_research_reproduces_the_example_personas(example: tuple[Path, SegmentResult]) -> None:
    root, result = example
    assert result.k == 4
    assert not result.weak, result.warnings
    catalog = build_catalog(Repository.open(root), TODAY)
    suggestions = suggest(catalog.personas, result.to_dict())
    by_id = {seg.id: seg for seg in result.segments}
    matched = set()
    for report in suggestions.reports:
        assert report.match is not None, f"{report.persona.id} matches no segment"
        seg = by_id[report.match.segment]
        assert report.persona.evidence["sample_size"] == seg.size, report.persona.id
        assert report.persona.evidence["segment_share"] == round(seg.share, 2), report.persona.id
        assert report.match.overlap == 1.0  # every quoted respondent is in the persona's segment
        matched.add(seg.id)
    assert matched == set(by_id)
    assert suggestions.uncovered == []
    assert suggestions.retire == []
    assert suggestions.coverage == pytest.approx(0.86, abs=0.01)


def test_example_research_finds_the_planted_segment_sizes(example: tuple[Path, SegmentResult]) -> None:
    """research/example-truth.json says how many respondents each persona's segment was planted with."""
    _, result = example
    truth = json.loads((ROOT / "research" / "example-truth.json").read_text(encoding="utf-8"))
    planted = sorted((s["count"] for s in truth["segments"].values()), reverse=True)
    found = [seg.size for seg in result.segments]  # segments are numbered largest first
    assert len(found) == len(planted)
    for size, count in zip(found, planted, strict=True):
        assert abs(size - count) <= 6, (found, planted)


def test_suggest_proposes_no_change_to_the_example_evidence(example: tuple[Path, SegmentResult]) -> None:
    root, _ = example
    catalog = build_catalog(Repository.open(root), TODAY)
    proposal, _ = propose(catalog.repo, catalog.personas, catalog.manifest, TODAY, SegmentOptions(3, 5))
    assert proposal is not None
    assert proposal.suggestions.reports, "no persona was compared"
    for file, (old, new) in proposal.edits.items():
        changed = set(old.splitlines()) ^ set(new.splitlines())
        assert not [line for line in changed if "sample_size" in line or "segment_share" in line], file
    for report in proposal.suggestions.reports:
        assert (report.size_then, report.share_then) == (report.size_now, report.share_now), report.persona.id


# --- determinism ---------------------------------------------------------------------------------


def test_same_seed_gives_identical_results(example: tuple[Path, SegmentResult]) -> None:
    root, first = example
    saved = {
        name: (root / OUTPUTS / name).read_bytes()
        for name in ("segments.json", "report.md", "assignments.csv")
    }
    second = run_ok(root)
    assert json.dumps(second.to_dict(), sort_keys=True) == json.dumps(first.to_dict(), sort_keys=True)
    for name, content in saved.items():
        assert (root / OUTPUTS / name).read_bytes() == content, name


def test_other_seeds_pick_the_same_k(example: tuple[Path, SegmentResult]) -> None:
    root, first = example
    research = read_research(root)
    for seed in (1, 2):
        other = segment(research, SegmentOptions(3, 5, seed=seed), today=TODAY)
        assert other.k == first.k == 4
        assert other.options["seed"] == seed


# --- scikit-learn -----------------------------------------------------------------------------------


@parametrize_with_checks([AutoKClusterer(k_min=2, k_max=3)])
def test_auto_k_clusterer_follows_the_scikit_learn_contract(estimator: AutoKClusterer, check: Any) -> None:
    check(estimator)


def test_gmm_chooses_k_within_range(example: tuple[Path, SegmentResult]) -> None:
    root, _ = example
    result = segment(read_research(root), SegmentOptions(3, 5, method="gmm"), today=TODAY)
    assert 3 <= result.k <= 5
    assert sorted(result.scores) == [3, 4, 5]
    assert len(result.segments) == result.k
    assert sum(s.size for s in result.segments) == result.respondents
    assert result.options["method"] == "gmm"


def test_gmm_chooses_k_within_a_wider_range(planted: Planted, tmp_path: Path) -> None:
    result = run_ok(generated_repo(tmp_path / "repo", planted.frame), 2, 6, method="gmm")
    assert 2 <= result.k <= 6
    assert sorted(result.scores) == [2, 3, 4, 5, 6]


# --- outputs -----------------------------------------------------------------------------------------


def test_personal_data_never_leaves(example: tuple[Path, SegmentResult]) -> None:
    root, _ = example
    with (root / "research" / "interviews-2026.csv").open(encoding="utf-8", newline="") as handle:
        names = {row["interviewee_name"] for row in csv.DictReader(handle)}
    with (root / "research" / "survey-2026.csv").open(encoding="utf-8", newline="") as handle:
        emails = {row["email"] for row in csv.DictReader(handle)}
    assert len(names) > 10 and all(names)
    assert all("@example.com" in e for e in emails)
    for name in ("segments.json", "report.md", "assignments.csv"):
        text = (root / OUTPUTS / name).read_text(encoding="utf-8")
        assert "@example.com" not in text, name
        assert not EMAIL.search(text), f"{name} contains an e-mail address: {EMAIL.search(text)}"
        leaked = sorted(n for n in names if n in text)
        assert not leaked, f"{name} contains interviewee names {leaked}"


def test_segments_json_holds_everything(example: tuple[Path, SegmentResult]) -> None:
    root, result = example
    data = json.loads((root / OUTPUTS / "segments.json").read_text(encoding="utf-8"))
    assert data["k"] == 4
    assert set(data["scores"]) == {"3", "4", "5"}
    assert all(isinstance(v, float) and -1 <= v <= 1 for v in data["scores"].values())
    assert data["scores"]["4"] == max(data["scores"].values())
    assert len(data["stability"]) == SegmentOptions().resamples
    assert all(0 <= v <= 1 for v in data["stability"])
    assert data["structure"]["real"] is True and data["verdict"] in ("weak", "reasonable", "strong")
    assert data["weak"] is False and data["warnings"] == []
    assert data["created"] == TODAY.isoformat()
    assert data["respondents"] == 600
    assert len(data["inputs"]) == 16
    assert len(data["segments"]) == 4
    for seg in data["segments"]:
        for key in (
            "id",
            "size",
            "share",
            "categories",
            "numbers",
            "analytics",
            "quotes",
            "modes",
            "distributions",
        ):
            assert key in seg, key
        assert "members" not in seg
        assert seg["categories"] and seg["analytics"] and seg["quotes"]
        assert all(q["source"] == "interviews-2026" and q["text"] for q in seg["quotes"])
        assert all(a["column"].startswith("analytics-2026:") for a in seg["analytics"])
    assert [s["id"] for s in data["segments"]] == ["S1", "S2", "S3", "S4"]
    sizes = [s["size"] for s in data["segments"]]
    assert sizes == sorted(sizes, reverse=True)
    assert sum(sizes) == 600
    assert sum(s["share"] for s in data["segments"]) == pytest.approx(1.0, abs=0.001)
    assignments = pd.read_csv(root / OUTPUTS / "assignments.csv", dtype=str)
    assert len(assignments) == 600
    assert assignments["segment"].value_counts().to_dict() == {s["id"]: s["size"] for s in data["segments"]}


def test_report_explains_k_and_every_segment(example: tuple[Path, SegmentResult]) -> None:
    root, result = example
    report = (root / OUTPUTS / "report.md").read_text(encoding="utf-8")
    assert (
        report.index("## How sure are we")
        < report.index("## The segments at a glance")
        < report.index("## For researchers")
    )
    assert "## Choosing the number of segments" in report
    for k, score in result.scores.items():
        chosen = " (chosen)" if k == result.k else ""
        assert f"| {k}{chosen} | {score:.3f} |" in report
    assert report.count("(chosen)") == 1
    assert "made to have no segments" in report and "Stability is" in report
    assert report.count("The silhouette says") == 1, "silhouette is explained once, in plain words"
    for seg in result.segments:
        assert f"## {seg.id}: {seg.size} respondents ({seg.share * 100:.0f}%)" in report
        assert seg.summary and github_text(seg.summary) in report
    assert "What sets them apart:" in report and "In their words:" in report
    assert "Satisfaction with reliability" in report and " of 5 " in report, "Likert answers read as 'x of 5'"
    assert "'director'" in report, "ordinal answers show their level's name"
    assert "rows: 1.0 vs 1.0" not in report and "per account and week" not in report


def test_progress_bar_shows_on_a_terminal_only(repo_copy: Path) -> None:
    """On a terminal the long steps show a progress bar (on stderr); in a pipe, nothing but the report."""
    import os
    import pty
    import subprocess
    import sys

    command = [str(Path(sys.executable).parent / "personas"), "segment", "--root", str(repo_copy)]
    leader, follower = pty.openpty()
    proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=follower)
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    proc.wait(timeout=120)
    os.close(leader)
    assert proc.returncode == 0
    assert b"choosing k" in seen and b"profiling segments" in seen, seen[-500:]
    piped = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert piped.returncode == 0
    assert "choosing k" not in piped.stderr and "# What the research says" in piped.stdout


# --- the fast paths agree with the plain computation ------------------------------------------------


def test_nearest_centre_assignment_equals_the_feature_matrix(planted: Planted, tmp_path: Path) -> None:
    """Distances computed encoder by encoder (without a feature matrix) match the plain matrix's.

    The planted data has missing numbers and departments; fitting without one department makes it a
    category the encoder has never seen.
    """
    from persona_map.research.features import build_table, make_preprocessor

    root = generated_repo(tmp_path / "repo", planted.frame)
    table = build_table(read_research(root))
    fitted_on = table.frame[table.frame["department"] != "Data"].iloc[:500]
    pre = make_preprocessor(table).fit(fitted_on)
    names = [str(n) for n in pre.get_feature_names_out()]
    assert any(n.endswith("department=Platform") for n in names)
    assert not any(n.endswith("department=Data") for n in names)
    X = pre.transform(table.frame).astype(np.float64)
    centres = X[np.random.default_rng(3).choice(len(X), 4, replace=False)] + 0.1
    expected = ((X[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
    got = np.zeros_like(expected)
    for name, transformer, columns in pre.transformers_:
        if name != "remainder":
            got += transformer.squared_distances(table.frame[columns], centres[:, pre.output_indices_[name]])
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-4)


def test_a_mixture_that_cannot_be_fitted_says_what_to_do(
    example: tuple[Path, SegmentResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    from sklearn.mixture import GaussianMixture

    from persona_map.errors import SegmentError

    def collapse(self: object, X: object, y: object = None) -> None:
        raise ValueError(
            "Fitting the mixture model failed because some components have ill-defined empirical covariance."
        )

    monkeypatch.setattr(GaussianMixture, "fit", collapse)
    root, _ = example
    with pytest.raises(SegmentError, match=r"--method kmeans"):
        segment(read_research(root), SegmentOptions(3, 5, method="gmm"), today=TODAY)


def test_fits_on_several_threads_give_the_same_result(planted: Planted) -> None:
    """The candidate and stability fits run side by side; the answer must not depend on how many."""
    from persona_map.research.features import build_table, make_preprocessor

    table = build_table(read_research(planted.root))
    X = make_preprocessor(table).fit_transform(table.frame).astype(np.float32)
    runs = []
    for n_jobs in (None, 2, -1):
        clusterer = AutoKClusterer(2, 6, fit_sample=2_000, score_sample=800, n_init=2, n_jobs=n_jobs).fit(X)
        runs.append((clusterer.scores_, clusterer.cluster_centers_, clusterer.stability(X, 4)))
    for scores, centres, stability in runs[1:]:
        assert scores == runs[0][0]
        np.testing.assert_array_equal(centres, runs[0][1])
        assert stability == runs[0][2]
