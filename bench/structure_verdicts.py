"""Structure verdicts on public data sets and synthetic controls: is what `personas segment` finds real?

For each data set (copied into tests/data with its PROVENANCE.md), a repository is made with the manifest a
researcher would write, and `personas segment` runs on it (seed 0): the table gives k, the silhouette and its
Kaufman-Rousseeuw band, the null comparison's p-value (the larger of the two nulls), the stability and the
verdict. Synthetic controls: one correlated Gaussian (no segments) and four planted groups.

    python bench/structure_verdicts.py            # print the table
    python bench/structure_verdicts.py --record   # and write it into bench/RESULTS.md
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results import ROOT, record  # noqa: E402

DATA = ROOT / "tests" / "data"
TODAY = date(2026, 11, 28)


def _all_ignored(path: Path, sep: str, keep: dict[str, object]) -> dict[str, object]:
    """Every column of the file ignored except `keep` (a manifest must declare every column)."""
    header = pd.read_csv(path, sep=sep, nrows=0).columns
    return {name: keep.get(name, "ignored") for name in header}


def mall() -> tuple[list[dict], dict[str, bytes], tuple[int, int]]:
    path = DATA / "segment" / "Mall_Customers.csv"
    columns = {"CustomerID": "key", "Genre": "ignored", "Age": "ignored",
               "Annual Income (k$)": "numeric", "Spending Score (1-100)": "numeric"}  # fmt: skip
    return [_survey("mall", path.name, columns, key="CustomerID")], {path.name: path.read_bytes()}, (3, 8)


def wholesale() -> tuple[list[dict], dict[str, bytes], tuple[int, int]]:
    path = DATA / "datasets" / "wholesale_customers" / "Wholesale customers data.csv"
    spend = {"role": "numeric", "transform": "log"}
    columns = _all_ignored(
        path,
        ",",
        {c: spend for c in ("Fresh", "Milk", "Grocery", "Frozen", "Detergents_Paper", "Delicassen")},
    )
    return [_survey("wholesale", path.name, columns)], {path.name: path.read_bytes()}, (3, 5)


def ifood() -> tuple[list[dict], dict[str, bytes], tuple[int, int]]:
    path = DATA / "datasets" / "customer_personality_ifood" / "marketing_campaign.csv"
    amounts = {c: {"role": "numeric", "transform": "log"} for c in
               ("MntWines", "MntFruits", "MntMeatProducts", "MntFishProducts", "MntSweetProducts", "MntGoldProds")}  # fmt: skip
    keep = {"ID": "key", "Income": "numeric", "Kidhome": "numeric", "Teenhome": "numeric", "Recency": "numeric",
            "Education": "categorical", "Marital_Status": "categorical", "NumWebPurchases": "numeric",
            "NumStorePurchases": "numeric", "NumCatalogPurchases": "numeric", **amounts}  # fmt: skip
    source = _survey("ifood", path.name, _all_ignored(path, "\t", keep), key="ID")
    source["delimiter"] = "\t"
    return [source], {path.name: path.read_bytes()}, (3, 5)


def bank() -> tuple[list[dict], dict[str, bytes], tuple[int, int]]:
    path = DATA / "datasets" / "bank_marketing_uci" / "bank.csv"
    keep = {c: "categorical" for c in ("job", "marital", "education", "default", "housing", "loan")}
    keep |= {"age": "numeric", "balance": {"role": "numeric", "transform": "log"}}
    source = _survey("bank", path.name, _all_ignored(path, ";", keep))
    source["delimiter"] = ";"
    return [source], {path.name: path.read_bytes()}, (3, 5)


def stackoverflow() -> tuple[list[dict], dict[str, bytes], tuple[int, int]]:
    path = DATA / "datasets" / "stackoverflow_survey_2023_subset" / "survey_results_public_2023_first595.csv"
    keep = {"ResponseId": "key", "MainBranch": "categorical", "RemoteWork": "categorical", "EdLevel": "categorical",
            "OrgSize": "categorical", "Age": "categorical",
            "LanguageHaveWorkedWith": {"role": "multi-select", "separator": ";"}}  # fmt: skip
    return (
        [_survey("stackoverflow", path.name, _all_ignored(path, ",", keep), key="ResponseId")],
        {path.name: path.read_bytes()},
        (3, 5),
    )


def _synthetic(
    make: Callable[[np.random.Generator], np.ndarray],
) -> tuple[list[dict], dict[str, bytes], tuple[int, int]]:
    data = make(np.random.default_rng(0))
    frame = pd.DataFrame(data, columns=[f"x{i}" for i in range(data.shape[1])])
    frame.insert(0, "id", [f"R{i:04d}" for i in range(len(frame))])
    columns = {"id": "key", **{c: "numeric" for c in frame.columns[1:]}}
    return (
        [_survey("synthetic", "synthetic.csv", columns, key="id")],
        {"synthetic.csv": frame.to_csv(index=False).encode()},
        (3, 5),
    )


def one_gaussian() -> tuple[list[dict], dict[str, bytes], tuple[int, int]]:
    cov = np.full((8, 8), 0.6)
    np.fill_diagonal(cov, 1.0)
    return _synthetic(lambda rng: rng.multivariate_normal(np.zeros(8), cov, 1000))


def planted() -> tuple[list[dict], dict[str, bytes], tuple[int, int]]:
    return _synthetic(
        lambda rng: np.vstack([c + rng.normal(size=(250, 8)) for c in rng.normal(scale=3, size=(4, 8))])
    )


def _survey(sid: str, file: str, columns: dict, key: str | None = None) -> dict:
    source = {"id": sid, "kind": "survey", "file": file, "collected": "2026-01-01", "columns": columns}
    return {**source, "key": key} if key else source


DATASETS = {
    "Mall customers (income, spending score; k 3-8)": mall,
    "Wholesale customers (6 spend columns, log)": wholesale,
    "Customer personality / iFood (income, spend, purchases, household)": ifood,
    "Bank marketing (job, marital, education, loans, age, balance)": bank,
    "Stack Overflow 2023, first 595 (role, work, education, size, languages)": stackoverflow,
    "Synthetic: one correlated Gaussian (no segments)": one_gaussian,
    "Synthetic: four planted groups": planted,
}


def verdict(name: str, make: Callable) -> dict:
    from persona_map.repository import Repository
    from persona_map.research.segment import run

    sources, files, (k_min, k_max) = make()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        shutil.copytree(ROOT / "schema", root / "schema")
        (root / "personas").mkdir()
        (root / "research").mkdir()
        manifest = {"apiVersion": "personamap/v1", "kind": "ResearchManifest", "sources": sources}
        (root / "research" / "manifest.yaml").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        for file, content in files.items():
            (root / "research" / file).write_bytes(content)
        result, _, findings = run(Repository.open(root), TODAY, k_min, k_max, "kmeans", 0)
    if result is None:
        raise SystemExit(f"{name}: {[str(f) for f in findings if f.is_error]}")
    return {
        "name": name,
        "rows": result.respondents,
        "k": result.k,
        "silhouette": result.scores[result.k],
        "band": result.structure["band"],
        "p": result.structure["p_value"],
        "null": max(n["mean"] for n in result.structure["nulls"]),
        "stability": result.stability_mean,
        "verdict": result.verdict + (" (unstable)" if result.weak and result.structure["real"] else ""),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()
    rows = [verdict(name, make) for name, make in DATASETS.items()]
    lines = [
        "| data set | rows | k | silhouette | K&R band | best null | null p-value | stability | verdict |",
        "|---|---|---|---|---|---|---|---|---|",
        *(
            f"| {r['name']} | {r['rows']:,} | {r['k']} | {r['silhouette']:.3f} | {r['band']} | {r['null']:.3f} | "
            f"{'< 0.001' if r['p'] < 0.001 else f'{r[chr(112)]:.3f}'} | {r['stability']:.2f} | **{r['verdict']}** |"
            for r in rows
        ),
    ]
    print("\n".join(lines))
    if args.record:
        record("structure", "Structure verdicts on public data sets and controls (issue 11)",
               "python bench/structure_verdicts.py --record", lines,
               ("Each data set as a researcher would declare it (see the script); seed 0. The null p-value is the "
                "larger of the two nulls' (one Gaussian, Gaussian copula); real structure needs p < 0.01 and a "
                "silhouette 0.03 above both nulls' means.",))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
