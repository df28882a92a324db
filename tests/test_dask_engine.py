"""`personas classify --engine dask`: the same answer as the default engine, row for row, on a two-worker
LocalCluster; partitions that are empty, workers that die, and nothing partial under the final name."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from persona_map.cli import main
from persona_map.routing import dask_parts
from tests.conftest import ROOT

distributed = pytest.importorskip("distributed")

DATA = ROOT / "tests" / "data" / "contacts"
TITLES = [
    "Software Engineer",
    "Compliance Lead",
    "Engineering Manager",
    "Head of Platform",
    "Recruiter",
    "=1+1",
]


@pytest.fixture(scope="module")
def cluster():
    """Two workers in this process (threads): fast to start, and monkeypatching reaches them."""
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0", silence_logs=50
    ) as local:
        yield local.scheduler_address


@pytest.fixture
def run(repo_copy: Path):
    def invoke(*args: object, input: bytes | None = None):
        return CliRunner().invoke(main, ["classify", "--root", str(repo_copy), *map(str, args)], input=input)

    return invoke


@pytest.fixture(scope="module")
def contacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """600 contacts whose notes hold quoted line breaks (a byte-range reader would split them)."""
    path = tmp_path_factory.mktemp("dask") / "contacts.csv"
    lines = ["Job Title,Company,Number of Employees,Notes"]
    for i in range(600):
        note = f'"first line\nsecond, with ""quotes"" {i}\n"' if i % 3 else f"plain {i}"
        lines.append(f"{TITLES[i % len(TITLES)]},Co {i},{(i * 37) % 6000},{note}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def dask(cluster: str, *args: object) -> list[str]:
    return [
        "--engine",
        "dask",
        "--scheduler",
        cluster,
        "--partition-size",
        "50",
        "--chunk-size",
        "20",
        *map(str, args),
    ]


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_the_same_answer_as_the_default_engine_row_for_row(
    run, cluster, contacts: Path, tmp_path: Path, fmt: str
):
    expected = run(contacts, "--format", fmt)
    assert expected.exit_code == 0, expected.output
    (tmp_path / "out").mkdir()
    out = tmp_path / "out" / f"routed.{fmt}"
    result = run(contacts, *dask(cluster, "--out", out))
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == expected.stdout_bytes
    assert result.stderr == expected.stderr  # the summary, reduced across the 12 partitions
    assert "classified 600 contacts" in result.stderr
    piped = run(*dask(cluster, "--format", fmt), input=contacts.read_bytes())
    assert piped.exit_code == 0, piped.output
    assert piped.stdout_bytes == expected.stdout_bytes
    assert [p.name for p in out.parent.iterdir()] == [out.name], "no temporary file or folder is left"


def test_parquet_output_is_the_same_table(run, cluster, contacts: Path, tmp_path: Path):
    run(contacts, "--out", tmp_path / "default.parquet")
    result = run(contacts, *dask(cluster, "--out", tmp_path / "dask.parquet"))
    assert result.exit_code == 0, result.output
    assert pq.read_table(tmp_path / "dask.parquet").equals(pq.read_table(tmp_path / "default.parquet"))


def test_one_part_per_partition_in_a_folder(run, cluster, contacts: Path, tmp_path: Path):
    expected = pacsv.read_csv(io.BytesIO(run(contacts).stdout_bytes))
    (tmp_path / "parts").mkdir()
    (tmp_path / "parts" / "part-00099.csv").write_text("from an earlier run")
    result = run(contacts, *dask(cluster, "--out", f"{tmp_path}/parts/"))
    assert result.exit_code == 0, result.output
    parts = sorted((tmp_path / "parts").iterdir())
    assert [p.name for p in parts] == [f"part-{i:05d}.csv" for i in range(12)], "the folder is replaced whole"
    tables = [pacsv.read_csv(p) for p in parts]
    assert all(t.num_rows == 50 for t in tables)
    assert pa.concat_tables(tables).equals(expected)
    jsonl = run(contacts, *dask(cluster, "--format", "jsonl", "--out", f"{tmp_path}/jsonl/"))
    assert jsonl.exit_code == 0
    joined = b"".join(p.read_bytes() for p in sorted((tmp_path / "jsonl").iterdir()))
    assert joined == run(contacts, "--format", "jsonl").stdout_bytes


def test_parquet_input_file_and_folder_with_empty_partitions(run, cluster, contacts: Path, tmp_path: Path):
    header = contacts.read_text().splitlines()[0].split(",")
    table = pacsv.read_csv(
        contacts,
        parse_options=pacsv.ParseOptions(newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(header, pa.string())),
    )
    folder = tmp_path / "export"
    folder.mkdir()
    pq.write_table(table.slice(0, 0), folder / "a-empty.parquet")
    with pq.ParquetWriter(folder / "b.parquet", table.schema) as writer:
        writer.write_table(table.slice(0, 250), row_group_size=40)
        writer.write_table(table.slice(0, 0))  # an empty row group
        writer.write_table(table.slice(250), row_group_size=90)
    pq.write_table(table.slice(0, 0), folder / "c-empty.parquet")
    pq.write_table(table, tmp_path / "one.parquet", row_group_size=64)
    expected = run(contacts).stdout_bytes
    for source in (folder, tmp_path / "one.parquet"):
        result = run(source, *dask(cluster))
        assert result.exit_code == 0, result.output
        assert result.stdout_bytes == expected, source
    header_only = tmp_path / "header-only.csv"
    header_only.write_bytes((DATA / "header-only.csv").read_bytes())
    for fmt in ("csv", "jsonl", "parquet"):
        out, mine = tmp_path / f"h.{fmt}", tmp_path / f"d.{fmt}"
        assert run(header_only, "--out", out).exit_code == 0
        assert run(header_only, *dask(cluster, "--out", mine)).exit_code == 0
        assert (
            mine.read_bytes() == out.read_bytes()
            if fmt != "parquet"
            else pq.read_table(mine).equals(pq.read_table(out))
        )


def test_runs_are_deterministic_whatever_the_partitions(run, cluster, contacts: Path):
    first = run(contacts, *dask(cluster)).stdout_bytes
    assert first and run(contacts, *dask(cluster)).stdout_bytes == first
    uneven = run(contacts, "--engine", "dask", "--scheduler", cluster, "--partition-size", "7")
    assert uneven.stdout_bytes == first


def test_the_classifier_is_loaded_once_per_worker_process(run, cluster, contacts: Path, monkeypatch):
    monkeypatch.setattr(dask_parts, "_classifiers", type(dask_parts._classifiers)())
    monkeypatch.setattr(dask_parts, "loads", 0)
    result = run(contacts, *dask(cluster))
    assert result.exit_code == 0
    assert dask_parts.loads == 1, "12 partitions, two workers in one process: one unpickling"
    run(contacts, *dask(cluster))
    assert dask_parts.loads == 1, "the same personas and model: the same fingerprint, nothing loaded again"


def test_a_task_that_fails_mid_run_leaves_nothing(run, cluster, contacts: Path, tmp_path: Path, monkeypatch):
    calls = []
    real = dask_parts.route

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 5:
            raise OSError(28, "No space left on device")
        return real(*args, **kwargs)

    monkeypatch.setattr(dask_parts, "route", failing)
    out = tmp_path / "out"
    out.mkdir()
    for target in (out / "routed.csv", f"{out}/parts/"):
        calls.clear()
        result = run(contacts, *dask(cluster, "--out", target))
        assert result.exit_code == 1, result.output
        assert "the Dask run failed while classifying contacts (OSError" in result.stderr
        assert "nothing was written" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.output
        assert not list(out.iterdir()), "no partial output, no temporary folder"


def test_a_missing_dask_says_how_to_install_it(run, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # what an environment without the extra has
    result = run(DATA / "hubspot.csv", "--engine", "dask")
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "error: --engine dask needs Dask, which is not installed: pip install 'persona-map[dask]'"
    )


def test_the_default_engine_never_imports_dask(tmp_path: Path):
    program = (
        "import sys; from persona_map.cli import main\n"
        "try:\n"
        f"    main(['classify', {str(DATA / 'hubspot.csv')!r}, '--root', {str(ROOT)!r}, '--out', "
        f"{str(tmp_path / 'o.csv')!r}])\n"
        "except SystemExit as e:\n"
        "    assert e.code == 0, e.code\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))\n"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
    assert (tmp_path / "o.csv").is_file()


def test_a_scheduler_that_cannot_be_reached_is_one_line(run, tmp_path: Path):
    from persona_map.dask_cluster import DaskOptions
    from persona_map.errors import PersonaError
    from persona_map.routing.classify import Classifier, ClassifyOptions
    from persona_map.routing.dask_engine import classify_file

    nowhere = DaskOptions(scheduler="tcp://127.0.0.1:9", timeout=1.0)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(PersonaError, match="cannot reach the Dask scheduler at tcp://127.0.0.1:9"):
        classify_file(DATA / "hubspot.csv", out / "o.csv", ClassifyOptions(), Classifier([], []), nowhere)
    assert not list(out.iterdir())
    assert run(DATA / "hubspot.csv", "--engine", "dask", "--scheduler", "x", "--workers", "2").exit_code == 2


# ---------------------------------------------------------------- worker processes


class DieOnce(distributed.WorkerPlugin):
    """Kills the worker process as it starts a classify task; once (a marker file), or every time."""

    def __init__(self, marker: str, always: bool = False) -> None:
        self.marker, self.always = marker, always

    def transition(self, key, start, finish, **kwargs) -> None:
        starts = finish == "executing" and "classify-" in str(key)
        if starts and (self.always or not os.path.exists(self.marker)):
            Path(self.marker).write_text(str(key))
            os._exit(1)


@pytest.fixture(scope="module")
def process_cluster():
    """Two worker processes under nannies (a dead worker is replaced); a partition may kill one worker and be
    retried once."""
    import dask

    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 1}),
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=50
        ) as local,
        distributed.Client(local) as client,
    ):
        yield local.scheduler_address, client


@pytest.mark.parametrize("always", [False, True], ids=["dies once: retried", "dies every time: fails"])
def test_a_worker_that_dies_mid_run(run, process_cluster, contacts: Path, tmp_path: Path, always: bool):
    address, client = process_cluster
    client.register_plugin(DieOnce(str(tmp_path / "died"), always), name="die")
    try:
        out = tmp_path / "out"
        out.mkdir()
        result = run(contacts, *dask(address, "--out", out / "routed.csv"))
    finally:
        client.unregister_worker_plugin("die")
    assert (tmp_path / "died").is_file(), "a worker was killed while classifying"
    if always:
        assert result.exit_code == 1, result.output
        assert "Dask workers kept dying while classifying contacts" in result.stderr
        assert "nothing was written" in result.stderr and len(result.stderr.strip().splitlines()) == 1
        assert not list(out.iterdir())
    else:
        assert result.exit_code == 0, result.output
        assert (out / "routed.csv").read_bytes() == run(contacts).stdout_bytes
        assert [p.name for p in out.iterdir()] == ["routed.csv"]


def test_a_local_cluster_of_worker_processes(run, contacts: Path):
    # no --scheduler: a LocalCluster of --workers processes, started and stopped by the command
    result = run(contacts, "--engine", "dask", "--workers", "1", "--partition-size", "200")
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == run(contacts).stdout_bytes


def test_a_folder_of_parts_where_a_file_is_is_refused(run, cluster, tmp_path: Path):
    (tmp_path / "taken").write_text("x")
    result = run(
        DATA / "hubspot.csv", "--engine", "dask", "--scheduler", cluster, "--out", f"{tmp_path}/taken/"
    )
    assert result.exit_code == 1 and "is a file, not a folder" in result.stderr
    assert (tmp_path / "taken").read_text() == "x"


@pytest.mark.parametrize("address", ["notanaddress", "http://127.0.0.1:9"])
def test_a_scheduler_address_dask_cannot_parse_is_one_line(run, address: str):
    result = run(DATA / "hubspot.csv", "--engine", "dask", "--scheduler", address)
    assert result.exit_code == 1
    assert "internal error" not in result.output
    assert f"cannot reach the Dask scheduler at {address}" in result.output


def test_a_folder_of_parts_never_replaces_other_files(run, cluster, contacts: Path, tmp_path: Path):
    """The parts replace the folder whole: a folder holding the input or anything else is refused."""
    data = tmp_path / "data"
    data.mkdir()
    source = data / "contacts.csv"
    source.write_bytes(contacts.read_bytes())
    (data / "notes.txt").write_text("keep me")
    result = run(source, *dask(cluster, "--out", f"{data}/"))
    assert result.exit_code == 1, result.output
    assert "the folder holds 'contacts.csv', which is not a part of an earlier run" in result.output
    assert sorted(p.name for p in data.iterdir()) == ["contacts.csv", "notes.txt"]
    assert source.read_bytes() == contacts.read_bytes()
    without_slash = run(source, *dask(cluster, "--out", data))
    assert without_slash.exit_code == 1 and "that is a folder (give a file name)" in without_slash.output
    assert sorted(p.name for p in data.iterdir()) == ["contacts.csv", "notes.txt"]
