"""The fast path of the research loader: it takes clean files, and hands anything doubtful to the slow path.

The slow path's findings are tested case by case in test_research.py (a bad file the fast path accepted
would produce no finding there). Here: the cheap checks themselves, and that clean files do take the
fast path.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow as pa
import pytest

import persona_map.research.sources
from persona_map.repository import Repository
from persona_map.research.manifest import load_manifest
from persona_map.research.read_arrow import odd_quotes, repeats
from persona_map.research.sources import load_research

CASES = Path(__file__).parent / "data" / "research"


def keys(values: list[str], chunks: int = 1) -> pa.ChunkedArray:
    size = -(-len(values) // chunks)
    return pa.chunked_array(
        [pa.array(values[i : i + size], pa.string()) for i in range(0, len(values), size)]
    )


@pytest.mark.parametrize("chunks", [1, 3])
def test_distinct_fixed_width_keys_do_not_repeat(chunks: int) -> None:
    assert not repeats(keys([f"R{n:06d}" for n in range(10_000)], chunks))


@pytest.mark.parametrize("chunks", [1, 3])
def test_a_repeated_fixed_width_key_is_found(chunks: int) -> None:
    values = [f"R{n:06d}" for n in range(10_000)]
    values[7_777] = values[12]
    assert repeats(keys(values, chunks))


def test_keys_of_varying_width() -> None:
    values = [f"R{n}" for n in range(5_000)]
    assert not repeats(keys(values))
    assert repeats(keys([*values, "R42"]))


def test_keys_that_differ_only_after_eight_bytes() -> None:
    assert not repeats(keys(["customer-0001", "customer-0002", "customer-0003"]))
    assert repeats(keys(["customer-0001", "customer-0002", "customer-0001"]))


def test_a_sliced_array_is_read_from_its_own_offset() -> None:
    array = pa.array(["AAAA", "BBBB", "CCCC", "AAAA", "DDDD", "EEEE"]).slice(1)
    assert not repeats(pa.chunked_array([array.slice(0, 3)]))
    assert repeats(pa.chunked_array([pa.array(["AAAA", "BBBB", "BBBB"]).slice(1)]))


@pytest.mark.parametrize("size", [100, 5 << 20, 21 << 20], ids=["small", "two-threads", "several-blocks"])
def test_quote_parity(size: int, tmp_path: Path) -> None:
    body = bytearray(b"x" * size)
    body[size // 3] = ord('"')
    path = tmp_path / "survey.csv"
    path.write_bytes(body)
    assert odd_quotes(path)
    body[size - 1] = ord('"')  # the second quote lands in the other half
    path.write_bytes(body)
    assert not odd_quotes(path)
    body[size // 2 + size // 10] = ord('"')  # a third one, in the second half (read by the other thread)
    path.write_bytes(body)
    assert odd_quotes(path)
    if size > 18 << 20:  # and one past the first 8 MiB read of the second half
        body[size // 2 + (9 << 20)] = ord('"')
        path.write_bytes(body)
        assert not odd_quotes(path)


def clean_repository(root: Path) -> Path:
    """The repository copy with the `clean` research case as its research."""
    shutil.rmtree(root / "research")
    shutil.copytree(CASES / "clean", root / "research")
    return root


def test_a_clean_file_takes_the_fast_path(repo_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = clean_repository(repo_copy)

    def slow(*args: object, **kwargs: object) -> None:
        raise AssertionError("a clean file went to the slow path")

    monkeypatch.setattr(persona_map.research.sources, "slow_read", slow)
    repo = Repository.open(root)
    research, findings = load_research(repo, load_manifest(repo)[0])
    assert findings == []
    assert len(research.frames["survey"]) > 0


def test_a_duplicate_key_at_the_end_of_a_large_file(repo_copy: Path) -> None:
    root = clean_repository(repo_copy)
    survey = root / "research" / "survey.csv"
    lines = survey.read_text(encoding="utf-8").splitlines()
    header, first = lines[0], lines[1].split(",")
    rows = [",".join([f"S{n:06d}", *first[1:]]) for n in range(60_000)]
    rows.append(",".join(["S000123", *first[1:]]))
    survey.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    repo = Repository.open(root)
    _, findings = load_research(repo, load_manifest(repo)[0])
    assert [(f.code, f.line) for f in findings if f.is_error] == [("research.duplicate-key", 60_002)]


def survey_lines(rows: int, long_comment: bool) -> list[str]:
    """The clean case's columns, `rows` respondents (one comment far longer than a small chunk)."""
    lines = ["respondent_id,email,role,company_size,sat_speed,team_size,responded_on,comment"]
    for n in range(rows):
        comment = '"Says ""ship it"", a lot"' if n % 3 else ""
        if long_comment and n == 7:
            comment = "Really " * 100
        lines.append(f"S{n:04d},,{['Engineer', 'Manager'][n % 2]},{['1-10', '11-50', '51-200'][n % 3]},"
                     f"{n % 5 + 1},{n % 40},2026-08-{n % 28 + 1:02d},{comment}")  # fmt: skip
    return lines


@pytest.mark.parametrize("chunk", [64, 333, 1 << 20])
@pytest.mark.parametrize("variant", ["lf", "crlf-bom", "no-final-newline", "long-line"])
def test_files_read_in_chunks_of_whole_lines_give_the_same_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int, variant: str
) -> None:
    """The first attempt parses whole lines a chunk at a time on all cores: every cut gives the same rows."""
    import persona_map.research.read_arrow as read_arrow

    def slow(*args: object, **kwargs: object) -> None:
        raise AssertionError("a clean file must take the fast path")

    monkeypatch.setattr(persona_map.research.sources, "slow_read", slow)
    shutil.copytree(CASES / "clean", tmp_path / "research")
    (tmp_path / "personas").mkdir()
    lines = survey_lines(300, long_comment=variant == "long-line")
    text = "\r\n".join(lines) + "\r\n" if variant == "crlf-bom" else "\n".join(lines) + "\n"
    data = (b"\xef\xbb\xbf" if variant == "crlf-bom" else b"") + text.encode("utf-8")
    (tmp_path / "research" / "survey.csv").write_bytes(
        data.rstrip(b"\n") if variant == "no-final-newline" else data
    )
    repo = Repository.open(tmp_path)
    manifest, _ = load_manifest(repo)
    whole, problems = load_research(repo, manifest)
    assert not problems and len(whole.frames["survey"]) == 300
    monkeypatch.setattr(read_arrow, "CHUNK_BYTES", chunk)
    cut, problems = load_research(repo, manifest)
    assert not problems
    assert cut.frames["survey"].equals(whole.frames["survey"])
    assert cut.frames["survey"]["comment"].str.len().max() == (700 if variant == "long-line" else 21)
