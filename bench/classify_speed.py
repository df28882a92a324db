"""Benchmark: `personas classify` on a generated million-contact CRM export, against reading it with pyarrow.

Side by side, on the same generated CSV (14 HubSpot-style columns, titles drawn from a few thousand
realistic and messy variants, employee counts, industries, functions, multi-line notes):
  (a) only reading the CSV with `pyarrow.csv.read_csv` (all cores, the whole file in memory);
  (b) `personas classify` on it: the core function the command calls (streaming read in chunks,
      column mapping, classification against the example personas, spreadsheet-safe CSV written to a file).
Each measurement runs in its own fresh process, which imports what it needs first; the timed part
excludes imports, and peak memory is the process's maximum resident set size. (b) also runs on 3M rows
to show that its memory does not grow with the file.

Targets (issue 5): b <= 3x a; peak memory of b under 1 GB regardless of file size.

    python bench/classify_speed.py [--rows 1000000] [--large 3000000] [--record]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results import record  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"

# Job titles by the persona they should reach; the last group should stay unassigned.
TITLES = {
    "platform": ["Head of Platform", "Head of Platform Engineering", "Platform Engineering Lead", "Platform Lead",
                 "Director of Platform Engineering", "Director, Developer Experience", "Head of DevOps",
                 "VP Infrastructure", "Infrastructure Engineering Manager", "Head of Infrastructure",
                 "Leiter Plattform", "Responsable plateforme"],
    "manager": ["Engineering Manager", "Software Engineering Manager", "Eng Mgr", "Manager, Software Engineering",
                "Development Team Lead", "Engineering Team Lead", "Delivery Manager", "Gerente de Ingeniería"],
    "developer": ["Software Engineer", "Senior Software Engineer", "Sr. Software Engineer", "Backend Developer",
                  "Full Stack Developer", "SWE II", "Software Developer", "DevOps Engineer", "Frontend Engineer",
                  "Softwareentwickler", "Développeur logiciel", "Ingeniero de Software", "Programmer"],
    "compliance": ["Compliance Lead", "CISO", "Head of Compliance", "GRC Manager", "Chief Information Security Officer",
                   "Risk and Compliance Manager", "Security & Compliance Officer", "Compliance Officer",
                   "Information Security Manager"],
    "other": ["Marketing Manager", "Account Executive", "CEO", "Office Manager", "Recruiter", "CFO", "Intern",
              "Sales Development Representative", "HR Business Partner", "Student", "Consultant", "Founder",
              "City Manager", "Publicity Manager", "International Sales", "", "n/a", "-", "???"],
}
PREFIXES = ["", "Senior ", "Sr. ", "Lead ", "Principal ", "Staff ", "Junior ", "Jr "]
SUFFIXES = ["", " II", " III", " - EMEA", " (Remote)", ", Payments", " | Cloud", " / Interim"]
INDUSTRIES = ["COMPUTER_SOFTWARE", "Computer Software", "Financial Services", "Banking", "Insurance",
              "Hospital & Health Care", "Retail", "E-commerce", "Internet", "SaaS", "Telecommunications",
              "Information Technology and Services", "Education", "Government Administration", ""]
FUNCTIONS = ["Engineering", "IT", "Information Technology", "Security", "Platform", "Infrastructure", "Finance",
             "Marketing", "Sales", "Operations", "Legal", "Compliance", "Human Resources", ""]
SENIORITY = ["", "", "Entry", "Senior", "Manager", "Director", "VP", "CXO", "Owner"]
NOTES = ["", "", "", "", "Met at KubeCon", 'Asked about "SSO", pricing', "Call back Tuesday\nafter 3pm",
         "=HYPERLINK(\"http://example.com\",\"site\")", "+1 555 0100", "Prefers e-mail; no calls"]


def title_variants(seed: int = 11) -> list[str]:
    """A few thousand title variants: seniority prefixes, team suffixes, odd casing and spacing."""
    import numpy as np

    rng = np.random.default_rng(seed)
    out = []
    for group, bases in TITLES.items():
        for base in bases:
            prefixes = PREFIXES if group != "other" and base else [""]
            for prefix in prefixes:
                for suffix in SUFFIXES:
                    title = f"{prefix}{base}{suffix}" if base else suffix.strip(" -|,/")
                    style = rng.integers(6)
                    if style == 0:
                        title = title.upper()
                    elif style == 1:
                        title = title.lower()
                    elif style == 2:
                        title = f"  {title.replace(' ', '  ')} "
                    out.append(title)
    return sorted(set(out))


def generate(rows: int, path: Path, seed: int = 7, block: int = 500_000) -> None:
    """A HubSpot-style contacts export, written with pyarrow block by block."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv

    rng = np.random.default_rng(seed)
    titles = np.asarray(title_variants(), dtype=object)
    first = np.asarray(["Ana", "Ben", "Chloé", "Dmitri", "Eve", "Farah", "Gustavo", "Hiro", "Ines", "José"], dtype=object)
    last = np.asarray(["Smith", "Müller", "García", "O'Brien", "Nguyen", "Kowalski", "Dubois", "Okafor"], dtype=object)
    employees = np.asarray([str(n) for n in (1, 4, 8, 12, 25, 40, 60, 120, 180, 250, 500, 900, 1500, 3000, 4800,
                                                 7000, 12000, 50000)] + ["", "1,200", "10,001+"], dtype=object)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    writer = None
    for start in range(0, rows, block):
        n = min(block, rows - start)
        ids = np.arange(start, start + n)
        pick = lambda values: np.asarray(values, dtype=object)[rng.integers(len(values), size=n)]  # noqa: E731
        data = {
            "Record ID": pa.array(ids + 10_000_000).cast(pa.string()),
            "First Name": first[rng.integers(len(first), size=n)],
            "Last Name": last[rng.integers(len(last), size=n)],
            "Email": np.char.add(np.char.add("contact", (ids % 100_000).astype(str)), "@example.com").astype(object),
            "Job Title": titles[rng.integers(len(titles), size=n)],
            "Company Name": pick(["Northwind", "Contoso Ltd", "Initech", "Globex, Inc.", "=cmd|' /C calc'!A0", "Umbrella"]),
            "Number of Employees": employees[rng.integers(len(employees), size=n)],
            "Industry": pick(INDUSTRIES),
            "Job function": pick(FUNCTIONS),
            "Seniority": pick(SENIORITY),
            "Country/Region": pick(["United States", "Germany", "France", "Spain", "United Kingdom", "Japan", ""]),
            "Lifecycle Stage": pick(["lead", "marketingqualifiedlead", "salesqualifiedlead", "customer", "subscriber"]),
            "Create Date": pick(["2026-01-05 10:12", "2026-03-17 08:00", "2025-11-30 23:59", "2026-07-01 12:30"]),
            "Notes": pick(NOTES),
        }
        table = pa.table({k: pa.array(v, type=pa.string()) if not isinstance(v, pa.Array) else v for k, v in data.items()})
        if writer is None:
            writer = pacsv.CSVWriter(tmp, table.schema)
        writer.write_table(table)
    if writer is not None:
        writer.close()
    tmp.replace(path)


def contacts(rows: int) -> Path:
    """The generated export, cached in bench/out/ (gitignored)."""
    path = OUT / f"contacts-{rows}.csv"
    if not path.is_file():
        generate(rows, path)
    return path


# Each measurement is a small program run in a fresh process; it prints one JSON line.
READ = """
import time, resource, json, pyarrow.csv as pacsv
start = time.perf_counter()
table = pacsv.read_csv({csv!r})
elapsed = time.perf_counter() - start
print(json.dumps({{"seconds": elapsed, "rows": table.num_rows,
      "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""

OURS = """
import time, resource, json
from pathlib import Path
from generator.cli import classify_setup
from generator.contacts import ClassifyOptions, classify_file
import generator.classify  # imports and loading the personas are not timed
rules, personas, model = classify_setup(Path({root!r}), use_model=True)
start = time.perf_counter()
summary = classify_file(Path({csv!r}), Path({out!r}), ClassifyOptions(), rules=rules, personas=personas, model=model)
elapsed = time.perf_counter() - start
print(json.dumps({{"seconds": elapsed, "rows": summary.rows, "unassigned": summary.unassigned_share,
      "counts": summary.counts, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def measure(program: str) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(program)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--large", type=int, default=3_000_000, help="rows of the memory check (0 to skip)")
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()
    csv_path = contacts(args.rows)
    out = OUT / f"classified-{args.rows}.csv"
    size_mb = csv_path.stat().st_size / 1e6
    a = measure(READ.format(csv=str(csv_path)))
    b = measure(OURS.format(root=str(ROOT), csv=str(csv_path), out=str(out)))
    assert b["rows"] == a["rows"] == args.rows, (a["rows"], b["rows"])
    ratio = b["seconds"] / a["seconds"]
    lines = [
        f"- data: {args.rows:,} contacts x 14 columns, {size_mb:.0f} MB CSV (generated by this script, "
        f"{len(title_variants()):,} title variants)",
        f"- (a) pyarrow `read_csv`: {a['seconds']:.2f} s, peak memory {a['peak_mb']:.0f} MB",
        f"- (b) `personas classify` (CSV out): {b['seconds']:.2f} s ({args.rows / b['seconds'] / 1e3:.0f}k rows/s), "
        f"peak memory {b['peak_mb']:.0f} MB, unassigned {b['unassigned']:.0%}",
        f"- b / a = {ratio:.2f} (target <= 3: **{'meets' if ratio <= 3 else 'MISSES'}**)",
    ]
    peaks = [b["peak_mb"]]
    if args.large:
        big = contacts(args.large)
        c = measure(OURS.format(root=str(ROOT), csv=str(big), out=str(OUT / f"classified-{args.large}.csv")))
        peaks.append(c["peak_mb"])
        lines.append(
            f"- (b) on {args.large:,} contacts ({big.stat().st_size / 1e6:.0f} MB): {c['seconds']:.2f} s, "
            f"peak memory {c['peak_mb']:.0f} MB"
        )
    lines.append(f"- peak memory of b: {max(peaks):.0f} MB (target < 1024 MB: **{'meets' if max(peaks) < 1024 else 'MISSES'}**)")
    print("\n".join(lines))
    if args.record:
        record(
            "classify",
            "`personas classify` on a million CRM contacts (issue 5)",
            "python bench/classify_speed.py --record",
            lines,
            notes=("Timed parts exclude imports and loading the personas (each runs in a fresh process that does both first).",),
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
