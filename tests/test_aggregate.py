"""Declared aggregations: a raw transaction export (one row per invoice line) segmented by recency, frequency
and spend (RFM) without any pandas written by the user: filters, a derived amount, per-column aggregates."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from persona_map.repository import Repository
from persona_map.research.aggregate import aggregate
from persona_map.research.manifest import load_manifest
from persona_map.research.sources import load_research
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
    found = aggregate(research.frames["orders"], manifest.sources["orders"])
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
