"""Declared aggregations: a raw transaction export (one row per invoice line) segmented by recency, frequency
and spend (RFM) without any pandas written by the user: filters, a derived amount, per-column aggregates."""

from __future__ import annotations

import io
import json
import pickle
import shutil
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import persona_map.research.events as events_module
import persona_map.research.sources as sources_module
from persona_map.repository import Repository
from persona_map.research.aggregate import Aggregated, Partial, aggregate, partial
from persona_map.research.features import build_table
from persona_map.research.manifest import Source, load_manifest
from persona_map.research.sources import Research, aggregate_source, load_research, read_source
from tests.conftest import ROOT
from tests.test_segment import OUTPUTS, research_repo, run_ok

COLLECTED = date(2026, 10, 31)
ORDERS = {
    "id": "orders",
    "kind": "analytics",
    "title": "Web shop orders, one row per invoice line",
    "file": "orders.csv",
    "collected": COLLECTED.isoformat(),
    "key": "CustomerID",
    "time": "InvoiceDate",
    "exclude": [{"column": "InvoiceNo", "starts_with": "C"}, {"column": "Quantity", "below": 0}],
    "derive": [
        {"name": "amount", "product": ["Quantity", "UnitPrice"], "label": "Spend", "transform": "log"}
    ],
    "columns": {
        "InvoiceNo": {"role": "categorical", "aggregate": "distinct", "label": "Orders"},
        "StockCode": "ignored",
        "Quantity": {"role": "numeric", "aggregate": "sum", "label": "Items bought", "transform": "log"},
        "InvoiceDate": {"role": "date", "aggregate": "recency", "label": "Days since the last order"},
        "UnitPrice": {"role": "numeric", "cluster": False},
        "CustomerID": "key",
        "Country": {"role": "categorical", "aggregate": "share", "cluster": False},
    },
}


def invoice_lines(seed: int = 2) -> tuple[pd.DataFrame, dict[str, str]]:
    """Three kinds of customers: frequent small orders, rare big ones, and lapsed; plus cancellations."""
    rng = np.random.default_rng(seed)
    rows, truth = [], {}
    invoice = 500000
    kinds = {"frequent": (30, 2, 8.0, 5), "big": (4, 40, 30.0, 20), "lapsed": (3, 5, 10.0, 240)}
    for kind, (orders, quantity, price, last) in kinds.items():
        for c in range(80):
            customer = f"{kind[0].upper()}{c:03d}"
            truth[customer] = kind
            for o in range(max(1, int(rng.poisson(orders)))):
                invoice += 1
                day = COLLECTED - timedelta(days=int(last + rng.integers(0, 20) + o * 3))
                for line in range(int(rng.integers(1, 4))):
                    q = max(1, int(rng.poisson(quantity)))
                    rows.append([str(invoice), f"S{line}", q, day.isoformat(), round(price * rng.uniform(0.8, 1.2), 2), customer,
                                 rng.choice(["United Kingdom", "France"], p=[0.8, 0.2])])  # fmt: skip
            rows.append(
                [f"C{invoice}", "S0", -3, COLLECTED.isoformat(), 5.0, customer, "United Kingdom"]
            )  # a return
    rows.append(["600001", "S1", 2, COLLECTED.isoformat(), 3.0, "", "United Kingdom"])  # no customer id
    columns = ["InvoiceNo", "StockCode", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID", "Country"]
    return pd.DataFrame(rows, columns=columns), truth


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame, dict[str, str]]:
    frame, truth = invoice_lines()
    content = frame.to_csv(index=False).encode()
    return (
        research_repo(tmp_path_factory.mktemp("shop") / "repo", [ORDERS], {"orders.csv": content}),
        frame,
        truth,
    )


def test_every_declared_aggregate_per_customer(shop) -> None:
    root, frame, _ = shop
    repo = Repository.open(root)
    manifest, findings = load_manifest(repo)
    assert not [f for f in findings if f.is_error], findings
    research, problems = load_research(repo, manifest)
    assert [f.code for f in problems] == ["research.no-key"] and "1 of" in problems[0].message
    found = research.aggregated["orders"]
    table = found.frame
    kept = frame[
        (~frame["InvoiceNo"].str.startswith("C")) & (frame["Quantity"] >= 0) & (frame["CustomerID"] != "")
    ]
    one = kept[kept["CustomerID"] == "F000"]
    assert table.loc["F000", "orders:distinct_InvoiceNo"] == one["InvoiceNo"].nunique()
    assert table.loc["F000", "orders:sum_Quantity"] == one["Quantity"].sum()
    assert table.loc["F000", "orders:sum_amount"] == pytest.approx((one["Quantity"] * one["UnitPrice"]).sum())
    latest = date.fromisoformat(one["InvoiceDate"].max())
    assert table.loc["F000", "orders:days_since_InvoiceDate"] == (COLLECTED - latest).days
    shares = table.loc["F000", ["orders:Country=United Kingdom", "orders:Country=France"]]
    assert shares.sum() == pytest.approx(1.0)
    assert table.loc["F000", "orders:rows"] == len(one), "cancellations and returns are left out"
    assert found.meta["orders:sum_amount"]["label"] == "Spend"
    assert found.meta["orders:days_since_InvoiceDate"]["kind"] == "recency"
    assert found.meta["orders:Country=France"]["cluster"] is False


def test_rfm_segments_from_a_raw_export(shop) -> None:
    root, _, truth = shop
    result = run_ok(root, 3, 5)
    assert result.k == 3 and result.structure["real"], result.structure
    saved = pd.read_csv(root / OUTPUTS / "assignments.csv", dtype=str)
    for segment, members in saved.groupby("segment")["key"]:
        kinds = pd.Series([truth[m] for m in members]).value_counts(normalize=True)
        assert kinds.iloc[0] >= 0.9, f"{segment}: {kinds.to_dict()}"
    data = json.loads((root / OUTPUTS / "segments.json").read_text(encoding="utf-8"))
    scaled = next(e for e in data["model"]["encoders"] if e["kind"] == "scaled")
    assert "orders:Country=France" not in scaled["columns"], "described-only columns are not clustered"
    assert scaled["log"][scaled["columns"].index("orders:sum_amount")] is True
    report = (root / OUTPUTS / "report.md").read_text(encoding="utf-8")
    assert "Days since the last order" in report and "Product usage (Web shop orders" in report
    assert " days here vs " in report


# ------------------------------------------- aggregated as read: chunk by chunk, partition by partition

CASE = Path(__file__).parent / "data" / "aggregate"
SHOWN = "research/events.csv"


@pytest.fixture(scope="module")
def events_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A repository whose research is tests/data/aggregate (an export with every kind of aggregation)."""
    root = tmp_path_factory.mktemp("events") / "repo"
    research = root / "research"
    research.mkdir(parents=True)
    (root / "personas").mkdir()
    shutil.copytree(ROOT / "schema", root / "schema")
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    for name in ("manifest.yaml", "events.csv"):
        shutil.copy(CASE / name, research / name)
    return root


def _events(root: Path) -> tuple[Path, Source]:
    repo = Repository.open(root)
    manifest, findings = load_manifest(repo)
    assert findings == [], findings
    spec = manifest.sources["events"]
    return repo.research_dir / spec.file, spec


def _whole(root: Path) -> tuple[Aggregated, list]:
    """The export read whole and aggregated at once, and the findings of reading it."""
    path, spec = _events(root)
    frame, findings = read_source(path, spec, SHOWN)
    assert frame is not None, findings
    return aggregate(frame, spec), findings


def _as_written(frame: pd.DataFrame) -> pd.DataFrame:
    """Features as a CSV file holds them (dates and categories as text): what expected.csv is compared in."""
    return pd.read_csv(io.StringIO(frame.to_csv()), index_col=0)


def assert_same(found: Aggregated, expected: Aggregated) -> None:
    """Same features, names, types and values (sums to the last bits aside), same meta, same keys."""
    pd.testing.assert_frame_equal(found.frame, expected.frame, check_exact=False, rtol=1e-12)
    assert found.meta == expected.meta
    assert list(found.keys) == list(expected.keys)


def test_every_aggregation_kind_gives_the_expected_features(events_repo: Path) -> None:
    found, findings = _whole(events_repo)
    expected = pd.read_csv(CASE / "expected.csv", index_col=0)
    pd.testing.assert_frame_equal(_as_written(found.frame), expected, check_exact=False, rtol=1e-12)
    assert [f.code for f in findings] == ["research.no-key"] and "2 of 101 rows" in findings[0].message
    table = found.frame
    assert table.loc["A", "events:first_channel"] == "api", "same day: the first row in the file"
    assert table.loc["A", "events:last_plan"] == "free", "same day: the last row in the file"
    assert table.loc["G", "events:last_plan"] == "pro", "rows without a time come after every dated one"
    shares = {c.split("=", 1)[1] for c in table.columns if c.startswith("events:event=")}
    assert shares == {"click", "view", "buy", "share", "like", "save", "open", "close",
                      "late", "tie2", "tie4", "tie3", "other"}, "ties go to the values met first in time"  # fmt: skip
    assert "Z" not in table.index and "Z" in set(found.keys), "Z's rows are all excluded, yet Z joins"
    assert found.meta["events:event=late"]["label"] == "share of event = late"


@pytest.mark.parametrize("chunk_rows", [1, 2, 3, 4, 7, 16, 50, 1000])
def test_aggregated_as_read_in_chunks_equals_aggregating_every_row(
    events_repo: Path, chunk_rows: int
) -> None:
    """Chunk boundaries split accounts' rows, their first and last days and their values' first meetings."""
    whole, read_findings = _whole(events_repo)
    path, spec = _events(events_repo)
    streamed, findings = aggregate_source(path, spec, SHOWN, chunk_rows=chunk_rows)
    assert streamed is not None and findings == read_findings
    assert_same(streamed, whole)


def test_the_loader_holds_one_chunk_of_events_at_a_time(events_repo: Path, monkeypatch) -> None:
    chunks: list[int] = []

    def counted(chunk: pd.DataFrame, source: Source, start: int = 0) -> Partial:
        chunks.append(len(chunk))
        return partial(chunk, source, start)

    monkeypatch.setattr(events_module, "partial", counted)
    monkeypatch.setattr(sources_module, "CHUNK_ROWS", 10)
    repo = Repository.open(events_repo)
    research, _ = load_research(repo, load_manifest(repo)[0])
    assert "events" not in research.frames and chunks == [10] * 10 + [1]
    assert_same(research.aggregated["events"], _whole(events_repo)[0])


def _partitions(root: Path, size: int) -> tuple[list[Partial], Aggregated]:
    """Partials of the export cut into partitions of `size` rows (as Dask workers would compute them)."""
    path, spec = _events(root)
    frame, _ = read_source(path, spec, SHOWN)
    parts = [partial(frame.iloc[start : start + size], spec, start) for start in range(0, len(frame), size)]
    return parts, aggregate(frame, spec)


@pytest.mark.parametrize("order", ["reversed", "shuffled", "pickled"])
def test_partials_merge_in_any_order(events_repo: Path, order: str) -> None:
    parts, whole = _partitions(events_repo, 9)
    if order == "reversed":
        parts.reverse()
    elif order == "shuffled":
        parts = [parts[i] for i in np.random.default_rng(3).permutation(len(parts))]
    else:  # sent to workers and back
        parts = [pickle.loads(pickle.dumps(part)) for part in parts]
    merged = parts[0]
    for part in parts[1:]:
        merged = merged.merge(part)
    found = merged.finish()
    pd.testing.assert_frame_equal(
        found.frame, whole.frame, check_exact=False, rtol=1e-12, check_categorical=False
    )
    assert found.meta == whole.meta and set(found.keys) == set(whole.keys)


def test_merging_leaves_the_merged_partial_as_it_was(events_repo: Path) -> None:
    parts, whole = _partitions(events_repo, 30)
    before = [part.finish().frame for part in parts]
    path, spec = _events(events_repo)
    frame, _ = read_source(path, spec, SHOWN)
    merged = partial(frame.iloc[0:0], spec)  # an empty partition
    for part in parts:
        merged.merge(part)
    merged.merge(partial(frame.drop(columns="account"), spec))  # no key column: nothing to merge
    for part, frame in zip(parts, before, strict=True):
        pd.testing.assert_frame_equal(part.finish().frame, frame)
    assert_same(merged.finish(), whole)


def test_a_parquet_export_is_aggregated_as_read(events_repo: Path, tmp_path: Path) -> None:
    path, spec = _events(events_repo)
    table = pa.Table.from_pandas(pd.read_csv(path, dtype=str, keep_default_na=False).replace("", None))
    for part, start in enumerate(range(0, table.num_rows, 40)):  # a folder of files, as warehouses export
        (tmp_path / "events").mkdir(exist_ok=True)
        pq.write_table(table.slice(start, 40), tmp_path / "events" / f"part-{part}.parquet")
    parquet = replace(spec, file="events/")
    streamed, findings = aggregate_source(tmp_path / "events", parquet, SHOWN, chunk_rows=6)
    assert streamed is not None and [f.code for f in findings] == ["research.no-key"]
    assert_same(streamed, _whole(events_repo)[0])


def test_an_export_read_row_by_row_is_aggregated_as_read(events_repo: Path, tmp_path: Path) -> None:
    """UTF-16 is read row by row (Arrow does not scan it): the chunks go to the aggregation all the same."""
    path, spec = _events(events_repo)
    utf16 = tmp_path / "events.csv"
    utf16.write_bytes(path.read_text(encoding="utf-8").encode("utf-16"))
    declared = replace(spec, encoding="utf-16")
    frame, read_findings = read_source(utf16, declared, SHOWN)
    streamed, findings = aggregate_source(utf16, declared, SHOWN, chunk_rows=5)
    assert streamed is not None and findings == read_findings and len(findings) == 1
    expected = aggregate(frame, declared)
    # the row-by-row reader sorts the categories it meets: values, not their order, must agree
    pd.testing.assert_frame_equal(
        streamed.frame, expected.frame, check_exact=False, rtol=1e-12, check_categorical=False
    )
    assert streamed.meta == expected.meta
    expected_file = pd.read_csv(CASE / "expected.csv", index_col=0)
    pd.testing.assert_frame_equal(_as_written(streamed.frame), expected_file, check_exact=False, rtol=1e-12)


@pytest.mark.parametrize("chunk_rows", [97, 1000])
def test_a_generated_shop_export_in_chunks(shop, chunk_rows: int) -> None:
    """Hundreds of customers, each split across chunks: distinct invoices, totals, recency and shares."""
    root, _, _ = shop
    repo = Repository.open(root)
    spec = load_manifest(repo)[0].sources["orders"]
    path = repo.research_dir / spec.file
    frame, _ = read_source(path, spec, "orders.csv")
    streamed, _ = aggregate_source(path, spec, "orders.csv", chunk_rows=chunk_rows)
    assert_same(streamed, aggregate(frame, spec))


def test_the_repository_analytics_in_chunks() -> None:
    repo = Repository.open(ROOT)
    spec = load_manifest(repo)[0].sources["analytics-2026"]
    path = repo.research_dir / spec.file
    frame, _ = read_source(path, spec, spec.file)
    streamed, findings = aggregate_source(path, spec, spec.file, chunk_rows=500)
    assert findings == [] and len(frame) > 8 * 500, "the export spans many chunks"
    assert_same(streamed, aggregate(frame, spec))


@pytest.mark.parametrize("respondent", ["Z", "Q"])
def test_an_export_joins_through_every_key_even_excluded_ones(
    events_repo: Path, tmp_path: Path, respondent: str
) -> None:
    """As before events were aggregated as read: Z's rows are all excluded, yet a survey of Z joins the export."""
    root = tmp_path / "repo"
    shutil.copytree(events_repo, root)
    (root / "research" / "survey.csv").write_text(f"account,size\n{respondent},3\n")
    manifest = root / "research" / "manifest.yaml"
    manifest.write_text(manifest.read_text() + SURVEY_OF_ACCOUNTS)
    repo = Repository.open(root)
    _, findings = load_research(repo, load_manifest(repo)[0])
    joins = sorted(f.message for f in findings if f.code == "research.key-joins-nothing")
    assert joins == ([] if respondent == "Z" else ["no account in events matches any other source",
                                                    "no account in survey matches any other source"])  # fmt: skip


SURVEY_OF_ACCOUNTS = """
  - id: survey
    kind: survey
    file: survey.csv
    collected: 2026-09-30
    key: account
    columns:
      account: key
      size: numeric
"""


def test_the_state_stays_per_key_however_many_chunks(events_repo: Path) -> None:
    """One row at a time: pending (key, value) pairs are deduplicated as they outgrow the deduplicated ones,
    so the state is bounded by keys x values, not by rows."""
    path, spec = _events(events_repo)
    frame, _ = read_source(path, spec, SHOWN)
    merged = partial(frame.iloc[0:1], spec)
    for start in range(1, len(frame)):
        merged.merge(partial(frame.iloc[start : start + 1], spec, start))
        for name, pairs in merged.pairs.items():
            distinct = len(np.unique(pairs.pairs))
            assert len(pairs.pairs) < 2 * distinct + 1, (name, start, len(pairs.pairs), distinct)
    assert len(merged.keys) == 9 and all(len(fold.values) == 9 for fold in merged.folds.values())
    assert_same(merged.finish(), aggregate(frame, spec))


def test_events_a_caller_holds_are_aggregated_when_the_table_is_built(events_repo: Path) -> None:
    """An engine that reads an export itself may put its rows in Research.frames: features are the same."""
    repo = Repository.open(events_repo)
    research, _ = load_research(repo, load_manifest(repo)[0])
    path, spec = _events(events_repo)
    frame, _ = read_source(path, spec, SHOWN)
    held = Research(research.specs, {"events": frame})
    pd.testing.assert_frame_equal(build_table(held).frame, build_table(research).frame)
    assert build_table(held).meta == build_table(research).meta
