"""`personas segment --engine dask` against the default engine, on a real two-worker Dask cluster.

The Dask engine must give the same segments as the default engine (same k, the same assignments) on the
same research and seed, whatever the partitioning: CSV and Parquet sources, keyed and unkeyed surveys,
quoted line breaks, empty partitions. A run that fails (a worker that dies, a cluster out of reach, bad
research) says why in one line and writes nothing under the results' final names.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from sklearn.metrics import adjusted_rand_score

from persona_map.cli import main
from persona_map.dask_cluster import DaskOptions
from persona_map.errors import EngineError
from persona_map.repository import Repository
from persona_map.research.default_engine import segment
from persona_map.research.manifest import load_manifest
from persona_map.research.results import fingerprint
from persona_map.research.segment import run, save
from persona_map.research.segmentation import SegmentOptions
from persona_map.research.sources import load_research
from tests.conftest import TODAY, copy_repository
from tests.test_segment import DATA, GENERATED_COLUMNS, OUTPUTS, planted_survey, research_repo, survey_source

distributed = pytest.importorskip("distributed", reason="the Dask engine's tests need the dask extra")

SMALL = {"fit_sample": 800}  # fitted on a sample: the planted survey has 3,000 rows


@pytest.fixture(scope="module")
def cluster():
    """Two worker processes of one thread each, as `--workers 2` starts them."""
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    ) as local:
        yield local


def on(cluster, partition_size: int = 1_000_000) -> DaskOptions:
    return DaskOptions(scheduler=cluster.scheduler_address, partition_size=partition_size)


def planted_repo(root: Path, **edit) -> Path:
    frame, _ = planted_survey()
    for name, change in edit.items():
        frame[name] = change(frame[name])
    return research_repo(
        root, [survey_source(GENERATED_COLUMNS)], {"survey.csv": frame.to_csv(index=False).encode()}
    )


def both(root: Path, cluster, partition_size: int, **options) -> tuple[dict, dict, dict, dict]:
    """(default result, Dask result, default assignments, Dask assignments) of one repository."""
    repo = Repository.open(root)
    manifest, findings = load_manifest(repo)
    settings = SegmentOptions(**options)
    research, problems = load_research(repo, manifest)
    assert not [f for f in findings + problems if f.is_error]
    default = segment(research, settings, fingerprint(repo, manifest), today=TODAY)
    save(default, root)
    expected = _assignments(root)
    (root / OUTPUTS / "assignments.csv").unlink()  # what is compared next is what the Dask run wrote
    from persona_map.research.dask_engine import segment_dask

    result, problems = segment_dask(
        repo,
        manifest,
        settings,
        on(cluster, partition_size),
        fingerprint(repo, manifest),
        lambda _: None,
        TODAY,
    )
    assert result is not None, [str(p) for p in problems]
    save(result, root)
    return default.to_dict(), result.to_dict(), expected, _assignments(root)


def _assignments(root: Path) -> dict[str, str]:
    frame = pd.read_csv(root / OUTPUTS / "assignments.csv", dtype=str, keep_default_na=False)
    assert not frame["key"].duplicated().any()
    return dict(zip(frame["key"], frame["segment"], strict=True))


def agreement(a: dict[str, str], b: dict[str, str]) -> float:
    assert a.keys() == b.keys()
    return adjusted_rand_score([a[k] for k in a], [b[k] for k in a])


# --- the same answer ---------------------------------------------------------------------------------------


def test_same_segments_as_the_default_engine_when_fitted_on_a_sample(tmp_path: Path, cluster) -> None:
    root = planted_repo(tmp_path / "repo")
    default, dask, expected, assigned = both(root, cluster, partition_size=700, **SMALL)
    assert dask["k"] == default["k"] == 4
    assert agreement(expected, assigned) >= 0.95
    assert assigned == expected  # the same sample, the same centres: the same segment for everyone
    assert [s["size"] for s in dask["segments"]] == [s["size"] for s in default["segments"]]
    assert dask["verdict"] == default["verdict"] and dask["stability"] == default["stability"]
    for ours, theirs in zip(dask["segments"], default["segments"], strict=True):
        assert ours["modes"] == theirs["modes"] and ours["categories"] == theirs["categories"]
        assert ours["summary"] == theirs["summary"]
    assert dask["columns"] == default["columns"]  # missing values counted on the workers


def test_the_repository_research_with_analytics_and_interviews(tmp_path: Path, cluster) -> None:
    """The example survey joined with its analytics export (aggregated per account) and interviews."""
    root = copy_repository(tmp_path / "repo")
    default, dask, expected, assigned = both(root, cluster, partition_size=150)
    assert any(s["analytics"] for s in default["segments"])  # the export's features take part
    assert any(s["quotes"] for s in default["segments"])  # and the interviews' words
    assert assigned == expected
    assert dask["segments"] == default["segments"] and dask["columns"] == default["columns"]


def only_sources(root: Path, *kinds: str) -> None:
    """Keep only the manifest's sources of `kinds` (the manifest is YAML: JSON-ready once loaded)."""
    from ruamel.yaml import YAML

    path = root / "research" / "manifest.yaml"
    manifest = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    manifest["sources"] = [s for s in manifest["sources"] if s["kind"] in kinds]
    path.write_text(json.dumps(manifest, default=str), encoding="utf-8")


def test_an_analytics_export_alone_is_aggregated_on_the_workers(tmp_path: Path, cluster) -> None:
    """Accounts only: the export reduced per key partition by partition, then segmented like the default."""
    root = copy_repository(tmp_path / "repo")
    only_sources(root, "analytics")
    default, dask, expected, assigned = both(root, cluster, partition_size=999)
    assert dask["unit"] == default["unit"] == "accounts"
    assert assigned == expected and dask["segments"] == default["segments"]


def test_an_export_with_no_rows_kept_joins_like_the_default_engine(tmp_path: Path, cluster) -> None:
    """A first export whose filter leaves no row still has its feature columns (they were lost, and the run
    failed with an internal KeyError)."""
    from ruamel.yaml import YAML

    root = copy_repository(tmp_path / "repo")
    research = root / "research"
    shutil.copy(research / "analytics-2026.csv", research / "analytics-a.csv")
    path = research / "manifest.yaml"
    manifest = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    export = next(s for s in manifest["sources"] if s["kind"] == "analytics")
    emptied = {**export, "id": "analytics-a", "file": "analytics-a.csv"}
    emptied["exclude"] = [{"column": "pipelines_run", "above": -1}]
    manifest["sources"].insert(manifest["sources"].index(export), emptied)
    path.write_text(json.dumps(manifest, default=str), encoding="utf-8")
    default, dask, expected, assigned = both(root, cluster, partition_size=150)
    assert assigned == expected
    assert dask["segments"] == default["segments"] and dask["columns"] == default["columns"]


def test_dates_with_a_time_of_day_stream_like_plain_dates(tmp_path: Path, cluster) -> None:
    """ISO timestamps in a date column are read by the streaming reader (the Dask engine refused the file)."""
    root = copy_repository(tmp_path / "repo")
    survey = root / "research" / "survey-2026.csv"
    survey.write_text(survey.read_text(encoding="utf-8").replace(",2026-08-28,", ",2026-08-28T10:00:00,", 1))
    default, dask, expected, assigned = both(root, cluster, partition_size=150)
    assert assigned == expected and dask["segments"] == default["segments"]


def test_partitioning_does_not_change_the_answer(tmp_path: Path, cluster) -> None:
    root = planted_repo(tmp_path / "repo")
    _, one, _, first = both(root, cluster, partition_size=1_000_000, **SMALL)
    _, many, _, second = both(root, cluster, partition_size=100, **SMALL)
    assert first == second
    assert one["segments"] == many["segments"]


def test_unkeyed_survey_with_quoted_line_breaks(tmp_path: Path, cluster) -> None:
    """Mall customers have no respondent id (rows are numbered) and here a comment spans lines."""
    mall = pd.read_csv(DATA / "Mall_Customers.csv")
    mall["comment"] = [
        "first line\nsecond line, with a comma" if i % 7 == 0 else "" for i in range(len(mall))
    ]
    columns = {"CustomerID": "ignored", "Genre": "categorical", "Age": "numeric",
               "Annual Income (k$)": "numeric", "Spending Score (1-100)": "numeric", "comment": "text"}  # fmt: skip
    source = survey_source(columns, key="")
    del source["key"]
    root = research_repo(tmp_path / "repo", [source], {"survey.csv": mall.to_csv(index=False).encode()})
    default, dask, expected, assigned = both(root, cluster, partition_size=50)
    assert list(assigned) == [str(i) for i in range(200)]  # every row once: no record split at a line break
    assert dask["k"] == default["k"] and assigned == expected


def test_parquet_folder_with_empty_files_and_row_groups_across_partitions(tmp_path: Path, cluster) -> None:
    frame, _ = planted_survey(n=1200)
    frame["years_experience"] = pd.to_numeric(frame["years_experience"]).astype("float64")
    frame["deploys_per_week"] = pd.to_numeric(frame["deploys_per_week"]).astype("float64")
    root = research_repo(tmp_path / "repo", [survey_source(GENERATED_COLUMNS, file="survey/")], {})
    folder = root / "research" / "survey"
    folder.mkdir()
    table = pa.Table.from_pandas(frame, preserve_index=False)
    pq.write_table(table.slice(0, 500), folder / "part-0.parquet", row_group_size=200)
    pq.write_table(table.slice(0, 0), folder / "part-1.parquet")
    pq.write_table(table.slice(500), folder / "part-2.parquet", row_group_size=200)
    pq.write_table(table.slice(0, 0), folder / "part-3.parquet")
    default, dask, expected, assigned = both(root, cluster, partition_size=300)
    assert len(assigned) == 1200 and assigned == expected
    assert dask["segments"] == default["segments"]


def test_runs_are_deterministic(tmp_path: Path, cluster) -> None:
    root = planted_repo(tmp_path / "repo")
    outputs = []
    for _ in range(2):
        result, paths, findings = run(Repository.open(root), TODAY, 3, 5, "kmeans", 0, dask=on(cluster, 1000))
        assert result is not None, findings
        outputs.append(
            [(root / OUTPUTS / name).read_bytes() for name in ("assignments.csv", "segments.json")]
        )
    assert outputs[0] == outputs[1]


def test_command_line_writes_the_results_where_suggest_and_the_site_read_them(
    tmp_path: Path, cluster
) -> None:
    root = planted_repo(tmp_path / "repo")
    runner = CliRunner()
    plain = runner.invoke(
        main, ["segment", "--root", str(root), "--today", TODAY.isoformat(), "--format", "json"]
    )
    assert plain.exit_code == 0, plain.output
    expected = (root / OUTPUTS / "assignments.csv").read_bytes()
    (root / OUTPUTS / "assignments.csv").unlink()
    args = ["segment", "--root", str(root), "--today", TODAY.isoformat(), "--format", "json", "--engine", "dask",
            "--scheduler", cluster.scheduler_address, "--partition-size", "500"]  # fmt: skip
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    assert (root / OUTPUTS / "assignments.csv").read_bytes() == expected
    saved = json.loads((root / OUTPUTS / "segments.json").read_text())
    assert saved["k"] == json.loads(plain.stdout)["k"]
    assert (root / OUTPUTS / "report.md").exists()


# --- failures ----------------------------------------------------------------------------------------------


def test_repeated_respondent_ids_are_refused_like_the_default_engine(tmp_path: Path, cluster) -> None:
    root = planted_repo(tmp_path / "repo", respondent_id=lambda ids: ids.where(ids != "R02999", "R00007"))
    repo = Repository.open(root)
    _, _, default = run(repo, TODAY, 3, 5, "kmeans", 0)
    result, paths, findings = run(repo, TODAY, 3, 5, "kmeans", 0, dask=on(cluster, 700))
    assert result is None and paths is None
    assert [str(f) for f in findings] == [str(f) for f in default]
    assert any("R00007" in str(f) for f in findings)
    assert not (root / OUTPUTS).exists()


def test_bad_values_are_reported_with_their_line_like_the_default_engine(tmp_path: Path, cluster) -> None:
    root = planted_repo(tmp_path / "repo", sat_speed=lambda v: v.astype(object).where(v.index != 1234, 9))
    repo = Repository.open(root)
    _, _, default = run(repo, TODAY, 3, 5, "kmeans", 0)
    result, _, findings = run(repo, TODAY, 3, 5, "kmeans", 0, dask=on(cluster, 700))
    assert result is None
    assert [str(f) for f in findings] == [str(f) for f in default]
    assert any(f.line == 1236 and f.path == "sat_speed" for f in findings)


def findings_of_both(root: Path, cluster) -> tuple[list, list]:
    repo = Repository.open(root)
    _, _, default = run(repo, TODAY, 3, 5, "kmeans", 0)
    result, paths, findings = run(repo, TODAY, 3, 5, "kmeans", 0, dask=on(cluster, 100))
    assert result is None and paths is None and findings
    return sorted(default, key=str), sorted(findings, key=str)


def test_an_export_whose_keys_join_nothing_is_refused_like_the_default_engine(
    tmp_path: Path, cluster
) -> None:
    root = copy_repository(tmp_path / "repo")
    only_sources(root, "survey", "analytics")
    export = root / "research" / "analytics-2026.csv"
    export.write_text(export.read_text(encoding="utf-8").replace("S0", "X0"), encoding="utf-8")
    default, dask = findings_of_both(root, cluster)
    assert dask == default
    assert any(f.message == "no respondent_id in analytics-2026 matches any other source" for f in dask)


def test_undeclared_columns_and_bad_export_values_are_refused_like_the_default_engine(
    tmp_path: Path, cluster
) -> None:
    root = copy_repository(tmp_path / "repo")
    survey = root / "research" / "survey-2026.csv"
    lines = survey.read_text(encoding="utf-8").splitlines()
    survey.write_text("\n".join([lines[0] + ",shoe_size", *(line + ",42" for line in lines[1:])]) + "\n")
    export = root / "research" / "analytics-2026.csv"
    rows = export.read_text(encoding="utf-8").splitlines()
    rows[5] = rows[5].rsplit(",", 1)[0] + ",many"  # seats_active is a number
    export.write_text("\n".join(rows) + "\n", encoding="utf-8")
    default, dask = findings_of_both(root, cluster)
    assert dask == default
    assert any(f.path == "shoe_size" for f in dask)
    assert any(f.line == 6 and f.path == "seats_active" for f in dask)


def _die_on_second_partition() -> None:
    """Installed on every worker: assigning partition 1 kills the worker process."""
    from persona_map.research import dask_parts

    original = dask_parts.read_part

    def dying(data, part, job):
        if part.index == 1:
            os._exit(1)
        return original(data, part, job)

    dask_parts.read_part = dying


def test_a_worker_that_dies_fails_the_run_and_writes_nothing(tmp_path: Path) -> None:
    import dask

    root = planted_repo(tmp_path / "repo")
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}), distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    ) as local, distributed.Client(local) as client:  # fmt: skip
        client.run(_die_on_second_partition)
        with pytest.raises(EngineError, match="nothing was written"):
            run(Repository.open(root), TODAY, 3, 5, "kmeans", 0, dask=on(local, 1000))
    leftovers = sorted(p.name for p in (root / OUTPUTS).iterdir()) if (root / OUTPUTS).exists() else []
    assert leftovers == []  # no assignments.csv, no segments.json, no temporary file


def test_unreachable_scheduler_is_one_line(tmp_path: Path) -> None:
    root = planted_repo(tmp_path / "repo")
    args = ["segment", "--root", str(root), "--engine", "dask", "--scheduler", "tcp://127.0.0.1:9"]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(DaskOptions, "timeout", 2.0)
        result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in result.output
    assert "Traceback" not in result.output


def test_dask_options_need_the_dask_engine(tmp_path: Path) -> None:
    root = planted_repo(tmp_path / "repo")
    result = CliRunner().invoke(main, ["segment", "--root", str(root), "--workers", "2"])
    assert result.exit_code == 2 and "--workers needs --engine dask" in result.output


def test_without_dask_installed_the_error_says_how_to_install_it(tmp_path: Path, monkeypatch) -> None:
    import sys

    root = planted_repo(tmp_path / "repo")
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed now fails
    result = CliRunner().invoke(main, ["segment", "--root", str(root), "--engine", "dask"])
    assert result.exit_code == 1
    assert "pip install 'persona-map[dask]'" in result.output
