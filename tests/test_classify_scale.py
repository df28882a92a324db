"""`personas classify` at scale: bounded memory whatever the input and output, Parquet input, and the limits of
issue 10 (a quote that never closes, a bad row early in a large pipe, a very wide header, no repository)."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from persona_map.cli import main
from persona_map.repository import Repository
from persona_map.routing import contacts_feed
from persona_map.routing.classify import COLUMNS, Classifier, ClassifyOptions, classify_file
from tests.conftest import ROOT

DATA = ROOT / "tests" / "data" / "contacts"


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    from persona_map.check.catalog import build_catalog
    from tests.conftest import TODAY

    repo = Repository.open(ROOT)
    return Classifier.load(repo, build_catalog(repo, today=TODAY).personas, use_model=False)


@pytest.fixture
def run(repo_copy: Path):
    def invoke(*args: object, input: bytes | None = None):
        return CliRunner().invoke(main, ["classify", "--root", str(repo_copy), *map(str, args)], input=input)

    return invoke


class Pipe(io.RawIOBase):
    """A stream that cannot seek, like stdin from a pipe; counts what has been read from it."""

    def __init__(self, data: bytes) -> None:
        self.data, self.read_bytes = memoryview(data), 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        n = min(len(buffer), len(self.data) - self.read_bytes, 1 << 16)  # pipes give 64 KB at a time
        buffer[:n] = self.data[self.read_bytes : self.read_bytes + n]
        self.read_bytes += n
        return n


class Sink(io.RawIOBase):
    """stdout: records how much had been read from the input each time something was written."""

    def __init__(self, source: Pipe | None = None) -> None:
        self.parts: list[bytes] = []
        self.source, self.input_at_write = source, []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:  # type: ignore[override]
        self.parts.append(bytes(data))
        if self.source is not None:
            self.input_at_write.append(self.source.read_bytes)
        return len(data)

    @property
    def value(self) -> bytes:
        return b"".join(self.parts)


def contacts_csv(rows: int, note: str = "") -> bytes:
    titles = ["Software Engineer", "Compliance Lead", "Engineering Manager", "Head of Platform", "Recruiter"]
    lines = ["Job Title,Company,Notes"]
    lines += [f'{titles[i % 5]},Co {i},"{note or "line one"}\nline two {i}"' for i in range(rows)]
    return ("\n".join(lines) + "\n").encode()


# ---------------------------------------------------------------- bounded memory, from a pipe to a pipe


def test_a_pipe_is_read_as_it_is_classified_and_written(classifier: Classifier, monkeypatch) -> None:
    # 64 MB parser blocks on pipes held a 2 GB input whole; blocks are scaled down here, as are the chunks
    monkeypatch.setattr("persona_map.routing.contacts_csv.PIPE_BLOCK", 1 << 16)
    monkeypatch.setattr("persona_map.routing.contacts_feed.PIECE", 1 << 14)
    data = contacts_csv(120_000)
    assert len(data) > 5 << 20
    source, sink = Pipe(data), None
    sink = Sink(source)
    summary = classify_file(source, sink, ClassifyOptions(chunk_size=2_000), classifier)
    assert summary.rows == 120_000
    assert len(sink.input_at_write) > 10, "the output is written chunk by chunk"
    assert sink.input_at_write[0] < len(data) / 4, "the first rows go out long before the input is read"
    read_ahead = [at for at in sink.input_at_write if at < len(data)]
    assert read_ahead, "writes happened while the input was still being read"
    file_run = Sink()
    classify_file(io.BytesIO(data), file_run, ClassifyOptions(), classifier)
    assert sink.value == file_run.value


def test_pyarrow_reads_at_most_a_few_blocks_ahead_of_the_batches_taken(monkeypatch) -> None:
    from persona_map.routing.contacts_read import open_contacts

    monkeypatch.setattr("persona_map.routing.contacts_csv.PIPE_BLOCK", 1 << 15)
    monkeypatch.setattr("persona_map.routing.contacts_feed.PIECE", 1 << 13)
    data = contacts_csv(40_000)
    blocks = len(data) >> 15
    assert blocks > 40  # pyarrow on its own reads 32 blocks ahead
    pipe = Pipe(data)
    seen = []
    with open_contacts(pipe, None, ",", "stdin") as contacts:
        for batch in contacts.batches(1000):
            feed = contacts.feed
            seen.append(feed.reads - feed.taken)
            _settle(lambda feed=feed: feed.reads)  # let pyarrow's reader thread go as far as it may
            assert feed.reads - feed.taken <= contacts_feed.AHEAD + 1
            assert pipe.read_bytes <= (feed.taken + contacts_feed.AHEAD + 2) * (1 << 15) + 2 * (1 << 13)
            del batch
    assert len(seen) >= blocks


def _settle(value, polls: int = 5) -> None:
    """Wait until `value()` stops changing (a few quiet polls), without asserting anything about time."""
    quiet, last = 0, value()
    for _ in range(200):
        threading.Event().wait(0.005)
        now = value()
        quiet, last = (quiet + 1, now) if now == last else (0, now)
        if quiet >= polls:
            return


def test_a_long_record_on_a_file_restarts_without_repeating_rows_already_written(
    classifier: Classifier, tmp_path: Path, monkeypatch
) -> None:
    # 1 MB blocks, a 10 MB note, scaled down: rows before the long record are written to stdout before the
    # reader starts over with larger blocks; they must not be written twice
    monkeypatch.setattr("persona_map.routing.contacts_csv.SMALL_BLOCK", 1 << 14)
    rows = contacts_csv(3_000).decode().splitlines(keepends=True)
    long_row = f'Compliance Lead,Big,"{"x" * (1 << 16)}"\n'
    path = tmp_path / "long.csv"
    path.write_text("".join(rows[:4_001] + [long_row] + rows[4_001:]), encoding="utf-8")
    to_stdout = Sink()
    summary = classify_file(path, to_stdout, ClassifyOptions(chunk_size=100), classifier)
    assert summary.rows == 3_001
    out = tmp_path / "out.csv"
    classify_file(path, out, ClassifyOptions(), classifier)
    assert to_stdout.value == out.read_bytes()
    assert to_stdout.value.count(b'"Compliance Lead","Big"') == 1


def test_a_long_cell_on_a_pipe_is_read_and_one_longer_than_its_blocks_is_explained(
    classifier: Classifier, monkeypatch
) -> None:
    data = b'Job Title,Notes\nSoftware Engineer,"' + b"x" * (10 << 20) + b'"\nCompliance Lead,=1\n'
    sink = Sink()
    assert classify_file(Pipe(data), sink, ClassifyOptions(), classifier).rows == 2
    assert sink.value.count(b"x" * 1000) >= 1
    monkeypatch.setattr("persona_map.routing.contacts_csv.PIPE_BLOCK", 1 << 20)
    with pytest.raises(Exception, match="a record is longer than 1 MB.*pass the file instead of a pipe"):
        classify_file(Pipe(data), Sink(), ClassifyOptions(), classifier)


# ---------------------------------------------------------------- issue 10: limits without crashes


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('Job Title,Notes\nSoftware Engineer,"oops\nCompliance Lead,fine\n', "a quote is never closed"),
        ('Job Title,Notes,Size\nEngineer,"oops,10\nCompliance Lead,fine,20\n', "a quote is never closed"),
        ('Job Title\n"Software Engineer\nCompliance Lead\n', "a quote is never closed"),
    ],
    ids=["last column", "middle column", "only column"],
)
@pytest.mark.parametrize("via", ["file", "stdin"])
def test_an_unclosed_quote_is_an_error_not_a_short_file(
    run, tmp_path: Path, text: str, message: str, via: str
):
    path = tmp_path / "contacts.csv"
    path.write_text(text)
    out = tmp_path / "out"
    out.mkdir()
    result = (
        run(path, "--out", out / "routed.csv")
        if via == "file"
        else run("--out", out / "r.csv", input=text.encode())
    )
    assert result.exit_code == 1, result.output
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not list(out.iterdir())


@pytest.mark.parametrize(
    "text", ["Job Title\nSoftware Engineer\n", "Job Title\nSoftware Engineer", "Job Title\n\n"]
)
def test_the_end_marker_never_shows_in_the_output(run, text: str) -> None:
    for fmt in ("csv", "jsonl"):
        result = run("--format", fmt, input=text.encode())
        assert result.exit_code == 0, result.output
        assert contacts_feed.END not in result.stdout and "\x00" not in result.stdout
    assert run(input=text.encode()).stdout.count("\n") == text.count("Engineer") + 1


def test_a_bad_row_early_in_a_large_pipe_exits_cleanly(tmp_path: Path) -> None:
    # 200 MB on stdin with a bad third line: the error used to be followed by "Fatal Python error:
    # PyGILState_Release" (exit 134), pyarrow's reader thread still reading stdin as the interpreter exited
    command = [sys.executable, "-m", "persona_map", "classify", "--root", str(ROOT), "--no-model"]
    block = b"Compliance Lead,Fine Co\n" * 40_000  # about 1 MB
    for _ in range(2):
        process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        try:
            process.stdin.write(
                b"Job Title,Company\nSoftware Engineer,Acme\nEngineering Manager,Acme,extra\n"
            )
            for _ in range(200):
                process.stdin.write(block)
            process.stdin.close()
        except BrokenPipeError:
            pass  # the command stopped reading, as it should
        stderr = process.stderr.read().decode()
        assert process.wait(timeout=120) == 1, stderr
        assert stderr.startswith("error: stdin: a row has 3 fields where the header has 2"), stderr
        assert "Fatal" not in stderr and len(stderr.strip().splitlines()) == 1


def test_a_header_of_100000_columns_does_not_need_gigabytes(tmp_path: Path) -> None:
    names = ["Job Title", *(f"c{i}" for i in range(99_999))]
    rows = [["Software Engineer", *["=x"] * 99_999], ["Compliance Lead", *["y"] * 99_999]]
    path = tmp_path / "wide.csv"
    path.write_text("\n".join(",".join(r) for r in [names, *rows]) + "\n")
    out = tmp_path / "out.csv"
    # The process's own high-water mark (VmHWM): ru_maxrss would include the test runner's memory, which
    # Linux carries over to the processes it starts.
    program = (
        "import atexit, sys; from persona_map.cli import main; "
        "atexit.register(lambda: print(open('/proc/self/status').read().split('VmHWM:')[1].split()[0], "
        "file=sys.stderr)); "
        f"main(['classify', {str(path)!r}, '--root', {str(ROOT)!r}, '--no-model', '--out', {str(out)!r}])"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    peak_mb = int(done.stderr.strip().splitlines()[-1]) / 1024
    assert peak_mb < 600, f"{peak_mb:.0f} MB for a 100,000-column header (pyarrow alone took 1.3 GB)"
    with out.open(
        encoding="utf-8", newline=""
    ) as handle:  # the csv module: pyarrow takes seconds per 100k columns
        header, *written = list(csv.reader(handle))
    assert header[:2] == ["Job Title", "c0"] and header[-4:] == list(COLUMNS)
    persona = header.index("persona_id")
    assert [row[persona] for row in written] == ["developer-dev", "compliance-officer-carla"]
    assert written[0][6] == "'=x" and written[1][99_999] == "y"
    assert len(written[0]) == len(header) == 100_000 + len(COLUMNS)


def test_outside_a_repository_the_error_names_root_and_the_folder_searched(
    tmp_path: Path, monkeypatch
) -> None:
    (tmp_path / "contacts.csv").write_bytes((DATA / "hubspot.csv").read_bytes())
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["classify", "contacts.csv"])
    assert result.exit_code == 1
    assert "--root" in result.stderr and str(tmp_path) in result.stderr
    assert "create" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    elsewhere = CliRunner().invoke(main, ["classify", "contacts.csv", "--root", str(tmp_path)])
    assert elsewhere.exit_code == 1 and f"--root {tmp_path}: no personas/ folder there" in elsewhere.stderr


# ---------------------------------------------------------------- Parquet in and out


def hubspot_table() -> pa.Table:
    header = (DATA / "hubspot.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    return pacsv.read_csv(
        DATA / "hubspot.csv",
        parse_options=pacsv.ParseOptions(newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(header, pa.string()), strings_can_be_null=False
        ),
    )


def test_parquet_file_and_folder_give_what_the_csv_gives(run, tmp_path: Path) -> None:
    table = hubspot_table()
    pq.write_table(table, tmp_path / "contacts.parquet", row_group_size=7)
    folder = tmp_path / "export"
    folder.mkdir()
    for i, start in enumerate(range(0, table.num_rows, 15)):
        pq.write_table(table.slice(start, 15), folder / f"part-{i:03d}.parquet")
    pq.write_table(table.slice(0, 0), folder / "part-999-empty.parquet")
    (folder / "_SUCCESS").write_text("")  # what Spark leaves next to its files
    expected = run(DATA / "hubspot.csv")
    assert expected.exit_code == 0
    for source in (tmp_path / "contacts.parquet", folder):
        for fmt in ("csv", "jsonl"):
            result = run(source, "--format", fmt)
            assert result.exit_code == 0, result.output
            assert result.stdout_bytes == run(DATA / "hubspot.csv", "--format", fmt).stdout_bytes
    assert "classified 40 contacts" in run(folder).stderr


def test_parquet_columns_of_any_type_are_read_as_text(run, tmp_path: Path) -> None:
    table = pa.table(
        {
            "Job Title": pa.array(["Compliance Lead", None, "Software Engineer"]),
            "Number of Employees": pa.array([4800, 12, None], pa.int64()),
            "Created": pa.array([1, 2, 3], pa.timestamp("s")),
            "Industry": pa.array(["Banking", "SaaS", "SaaS"]).dictionary_encode(),
            "Score": pa.array([-1.5, 2.0, None]),
        }
    )
    pq.write_table(table, tmp_path / "typed.parquet")
    result = run(tmp_path / "typed.parquet", "--format", "jsonl")
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["Number of Employees"] for r in records] == ["4800", "12", ""]
    assert records[0]["Created"].startswith("1970-01-01 00:00:01") and records[1]["Job Title"] == ""
    assert [r["persona_id"] for r in records] == ["compliance-officer-carla", "unassigned", "developer-dev"]
    as_csv = run(tmp_path / "typed.parquet")
    assert as_csv.stdout.splitlines()[1].split(",")[4] == '"\'-1.5"'  # spreadsheet-safe, as for CSV input


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: pq.write_table(pa.table({"Job Title": [["a"]]}), d / "x.parquet"), "which cannot be read as text"),
        (lambda d: (pq.write_table(pa.table({"Job Title": ["a"]}), d / "a.parquet"),
                    pq.write_table(pa.table({"Title": ["a"]}), d / "b.parquet")), "its columns differ from those of"),
        (lambda d: (d / "notes.txt").write_text("x"), "no Parquet files in this folder"),
        (lambda d: (d / "broken.parquet").write_bytes(b"PAR1 not really"), "not a readable Parquet file"),
    ],
    ids=["nested column", "different columns", "no parquet files", "broken file"],
)  # fmt: skip
def test_bad_parquet_is_one_clear_line(run, tmp_path: Path, make, message: str) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    make(folder)
    result = run(folder)
    assert result.exit_code == 1, result.output
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_parquet_on_stdin_is_refused_with_the_fix(run, tmp_path: Path) -> None:
    pq.write_table(hubspot_table(), tmp_path / "c.parquet")
    result = run(input=(tmp_path / "c.parquet").read_bytes())
    assert result.exit_code == 1 and "cannot be read from a pipe (pass its path)" in result.stderr


def test_parquet_output_keeps_values_and_types(run, tmp_path: Path) -> None:
    out = tmp_path / "routed.parquet"
    result = run(DATA / "hubspot.csv", "--out", out, "--chunk-size", "7")
    assert result.exit_code == 0, result.output
    table = pq.read_table(out)
    assert table.column_names == [*hubspot_table().column_names, *COLUMNS]
    assert table.schema.field("confidence").type == pa.float64()
    assert (
        table.slice(0, table.num_rows).select(range(12)).equals(hubspot_table())
    )  # no apostrophes: not a sheet
    as_csv = list(
        pacsv.read_csv(io.BytesIO(run(DATA / "hubspot.csv").stdout_bytes)).column("persona_id").to_pylist()
    )
    assert table.column("persona_id").to_pylist() == as_csv
    assert pq.ParquetFile(out).metadata.num_row_groups == 6, "one row group per chunk: nothing held back"
    empty = run(DATA / "header-only.csv", "--format", "parquet", "--out", tmp_path / "empty.parquet")
    assert empty.exit_code == 0 and pq.read_table(tmp_path / "empty.parquet").num_rows == 0


def test_folder_output_and_dask_options_need_the_dask_engine(run, tmp_path: Path) -> None:
    for args in (
        ["--out", f"{tmp_path}/parts/"],
        ["--scheduler", "tcp://127.0.0.1:8786"],
        ["--workers", "2"],
    ):
        result = run(DATA / "hubspot.csv", *args)
        assert result.exit_code == 2 and "needs --engine dask" in result.stderr, args
    assert not (tmp_path / "parts").exists()


def test_an_output_that_cannot_be_written_is_refused_before_any_work(run, tmp_path: Path) -> None:
    result = run(DATA / "hubspot.csv", "--out", tmp_path / "missing" / "routed.csv")
    assert result.exit_code == 1, result.output  # was "internal error: FileNotFoundError"
    assert "the folder" in result.stderr and "does not exist (create it first)" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_named_pipe_given_as_the_input_is_read_from_its_start(run, tmp_path: Path) -> None:
    """`personas classify <(cat contacts.csv)`: the path is a pipe, which must not be peeked at and read again."""
    fifo = tmp_path / "contacts.pipe"
    os.mkfifo(fifo)
    data = (DATA / "hubspot.csv").read_bytes()

    def feed() -> None:
        with fifo.open("wb") as handle:
            handle.write(data)

    writer = threading.Thread(target=feed)
    writer.start()
    piped = run(fifo)
    writer.join(timeout=10)
    assert piped.exit_code == 0, piped.output
    assert piped.stdout_bytes == run(DATA / "hubspot.csv").stdout_bytes
