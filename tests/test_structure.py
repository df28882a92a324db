"""An honest verdict on structure: real segments against nulls that keep everything but clusters.

Synthetic controls (one correlated Gaussian, Likert answers along one continuum, planted groups) and real
data (Mall customers, the repository's example research, the same research shuffled) give the verdicts the
literature and the data sets' provenance notes lead us to expect, whatever the seed.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from sklearn.preprocessing import StandardScaler

from persona_map.cli import main
from persona_map.research.cluster import fit_labels
from persona_map.research.structure import Structure, assess_structure
from tests.conftest import TODAY, copy_repository
from tests.test_segment import OUTPUTS, mall_repo, run_ok

KS = range(3, 6)


def one_gaussian(seed: int, n: int = 1000, d: int = 8, rho: float = 0.6) -> np.ndarray:
    """Draws from ONE multivariate Gaussian with correlated columns: no segments at all."""
    cov = np.full((d, d), rho)
    np.fill_diagonal(cov, 1.0)
    data = np.random.default_rng(seed).multivariate_normal(np.zeros(d), cov, n)
    return StandardScaler().fit_transform(data)


def verdict(X: np.ndarray, seed: int = 0, ks: range = KS) -> Structure:
    return assess_structure(X, ks, fit_labels("kmeans"), seed)


@pytest.mark.parametrize("seed", range(10))
def test_one_correlated_gaussian_has_no_substantial_structure_whatever_the_seed(seed: int) -> None:
    found = verdict(one_gaussian(seed), seed)
    assert found.silhouette > 0.15, "correlated data scores a fair silhouette: that alone proves nothing"
    assert not found.real and found.verdict == "no substantial structure", found.to_dict()


def test_likert_answers_along_one_continuum_have_no_substantial_structure() -> None:
    rng = np.random.default_rng(7)
    latent = rng.normal(size=(1000, 1))
    answers = np.clip(np.round(3 + latent + rng.normal(scale=0.7, size=(1000, 10))), 1, 5)
    assert verdict(StandardScaler().fit_transform(answers)).verdict == "no substantial structure"


def test_planted_groups_are_found() -> None:
    rng = np.random.default_rng(3)
    centres = rng.normal(scale=3, size=(4, 8))
    data = np.vstack([centre + rng.normal(size=(250, 8)) for centre in centres])
    found = verdict(StandardScaler().fit_transform(data))
    assert found.real and found.verdict != "no substantial structure", found.to_dict()
    assert all(n.margin > 0.2 and n.p_value < 1e-6 for n in found.nulls)


def test_mall_customers_give_five_reasonable_segments(mall: Path) -> None:
    """PROVENANCE.md: income and spending score, best k by silhouette is 5 (0.554)."""
    result = run_ok(mall, 3, 8)
    assert result.k == 5
    assert result.verdict == "reasonable" and not result.weak, result.structure


def test_the_example_research_keeps_its_real_structure(tmp_path: Path) -> None:
    result = run_ok(copy_repository(tmp_path / "repo"))
    assert result.structure["real"] and not result.weak
    assert result.verdict != "no substantial structure"
    assert all(n["beaten"] for n in result.structure["nulls"])


def test_the_example_research_shuffled_has_no_substantial_structure(tmp_path: Path) -> None:
    root = copy_repository(tmp_path / "repo")
    survey = root / "research" / "survey-2026.csv"
    frame = pd.read_csv(survey, dtype=str, keep_default_na=False)
    rng = np.random.default_rng(11)
    for column in frame.columns:
        if column != "respondent_id":
            frame[column] = rng.permutation(frame[column].to_numpy())
    frame.to_csv(survey, index=False)
    (root / "research" / "analytics-2026.csv").write_text(  # product usage: shuffled per column too
        _shuffled_csv(root / "research" / "analytics-2026.csv", rng, keep=("respondent_id", "week"))
    )
    result = run_ok(root)
    assert result.verdict == "no substantial structure" and result.weak, result.structure


def _shuffled_csv(path: Path, rng: np.random.Generator, keep: tuple[str, ...]) -> str:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    for column in frame.columns:
        if column not in keep:
            frame[column] = rng.permutation(frame[column].to_numpy())
    return frame.to_csv(index=False)


def test_an_unstable_k_names_a_stable_one() -> None:
    from persona_map.research.fit import warnings as _warnings
    from persona_map.research.structure import NullComparison

    real = Structure(0.4, [NullComparison("one Gaussian", [0.2, 0.21], 0.205, 0.01, 0.195, 1e-9)])
    warnings = _warnings(real, [0.41, 0.45, 0.38], {"3": 0.52, "4": 0.88}, 5)
    assert len(warnings) == 1 and warnings[0].startswith("Unstable segments"), warnings
    assert "k = 4 is stable: agreement 0.88 (run with --k-min 4 --k-max 4)" in warnings[0]
    assert _warnings(real, [0.95, 0.97], {}, 5) == []


# --- suggest respects the verdict ----------------------------------------------------------------


def test_suggest_changes_nothing_on_research_without_structure(tmp_path: Path) -> None:
    root = copy_repository(tmp_path / "repo")
    survey = root / "research" / "survey-2026.csv"
    rng = np.random.default_rng(11)
    survey.write_text(_shuffled_csv(survey, rng, keep=("respondent_id",)))
    analytics = root / "research" / "analytics-2026.csv"
    analytics.write_text(_shuffled_csv(analytics, rng, keep=("respondent_id", "week")))
    (root / "personas" / "compliance-officer-carla.yaml").unlink()  # a segment no persona speaks for
    before = {p.name: p.read_bytes() for p in (root / "personas").iterdir()}

    result = CliRunner().invoke(
        main, ["suggest", "--root", str(root), "--today", TODAY.isoformat(), "--apply"]
    )
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "### No persona changes from this research" in out and "What would help" in out
    assert "Retire or merge" not in out and "New persona candidates" not in out
    assert out.count("no segment matched") == 3
    assert {p.name: p.read_bytes() for p in (root / "personas").iterdir()} == before, (
        "no drift, no data update"
    )
    assert not (root / OUTPUTS / "candidates").exists() or not list((root / OUTPUTS / "candidates").iterdir())
    saved = json.loads((root / OUTPUTS / "segments.json").read_text(encoding="utf-8"))
    assert saved["verdict"] == "no substantial structure"


@pytest.fixture(scope="module")
def mall(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return mall_repo(tmp_path_factory.mktemp("mall") / "repo")
