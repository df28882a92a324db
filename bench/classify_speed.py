"""Benchmark: `personas classify` on a generated million-contact CRM export, against reading it with pyarrow.

Side by side, on the same generated CSV (14 HubSpot-style columns, titles drawn from a few thousand
realistic and messy variants, employee counts, industries, functions, multi-line notes):
  (a) only reading the CSV with `pyarrow.csv.read_csv` (all cores, the whole file in memory;
      `newlines_in_values=True`, which notes spanning lines need, as in real exports);
  (b) `personas classify` on it: the core function the command calls (streaming read in chunks,
      column mapping, classification against the example personas, spreadsheet-safe CSV written to a file).
Each measurement runs in its own fresh process, which imports what it needs first; the timed part
excludes imports, and peak memory is the process's maximum resident set size. (b) also runs on 3M rows
to show that its memory does not grow with the file.

Targets (issue 5): b <= 3x a; peak memory of b under 1 GB regardless of file size.

    python bench/classify_speed.py [--rows 1000000] [--large 3000000] [--pairs 5] [--record]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results import measure, record  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"

# fmt: off
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
PREFIXES = {"developer": ["", "Senior ", "Sr. ", "Lead ", "Principal ", "Staff ", "Junior ", "Jr "],
            "manager": ["", "Senior ", "Sr. ", "Interim ", "Acting "],
            "platform": ["", "Interim ", "Acting ", "Global ", "Deputy "],
            "compliance": ["", "Senior ", "Sr. ", "Interim ", "Deputy ", "Group "],
            "other": [""]}
SUFFIXES = ["", " II", " III", " - EMEA", " (Remote)", ", Payments", " | Cloud", " / Interim"]
INDUSTRIES = ["COMPUTER_SOFTWARE", "Computer Software", "Financial Services", "Banking", "Insurance",
              "Hospital & Health Care", "Retail", "E-commerce", "Internet", "SaaS", "Telecommunications",
              "Information Technology and Services", "Education", "Government Administration", ""]
FUNCTIONS = ["Engineering", "IT", "Information Technology", "Security", "Platform", "Infrastructure", "Finance",
             "Marketing", "Sales", "Operations", "Legal", "Compliance", "Human Resources", ""]
SENIORITY = ["", "", "Entry", "Senior", "Manager", "Director", "VP", "CXO", "Owner"]
EMPLOYEES = ["1", "4", "8", "12", "25", "40", "60", "120", "180", "250", "500", "900", "1500", "3000", "4800",
             "7000", "12000", "50000", "", "1,200", "10,001+", "51-200", "201-500"]
# Per group: its share of contacts, then typical seniorities, functions, employee counts and industries
# (a contact has typical values 85% of the time, any values otherwise).
GROUPS = {
    "platform": (0.12, ["Director", "VP", ""], ["Engineering", "Platform", "Infrastructure", ""],
                 ["250", "500", "900", "1,200"], ["SaaS", "Computer Software", "Internet", "E-commerce"]),
    "manager": (0.16, ["Manager", "Director", ""], ["Engineering", "IT", ""], ["60", "120", "180", "250", "500"],
                ["SaaS", "E-commerce", "Retail", "Internet", "COMPUTER_SOFTWARE"]),
    "developer": (0.30, ["Senior", "Entry", "", ""], ["Engineering", "IT", ""], ["4", "8", "12", "25", "40", "60"],
                  ["SaaS", "Computer Software", "Internet", "COMPUTER_SOFTWARE", ""]),
    "compliance": (0.10, ["Manager", "Director", "Senior", ""], ["Compliance", "Security", "Legal", ""],
                   ["1500", "3000", "4800", "7000"], ["Banking", "Financial Services", "Insurance", "Hospital & Health Care"]),
    "other": (0.32, SENIORITY, FUNCTIONS, EMPLOYEES, INDUSTRIES),
}
OTHER_COLUMNS = {
    "First Name": ["Ana", "Ben", "Chloé", "Dmitri", "Eve", "Farah", "Gustavo", "Hiro", "Ines", "José"],
    "Last Name": ["Smith", "Müller", "García", "O'Brien", "Nguyen", "Kowalski", "Dubois", "Okafor"],
    "Company Name": ["Northwind", "Contoso Ltd", "Initech", "Globex, Inc.", "=cmd|' /C calc'!A0", "Umbrella"],
    "Country/Region": ["United States", "Germany", "France", "Spain", "United Kingdom", "Japan", ""],
    "Lifecycle Stage": ["lead", "marketingqualifiedlead", "salesqualifiedlead", "customer", "subscriber"],
    "Create Date": ["2026-01-05 10:12", "2026-03-17 08:00", "2025-11-30 23:59", "2026-07-01 12:30"],
    "Notes": ["", "", "", "", "Met at KubeCon", 'Asked about "SSO", pricing', "Call back Tuesday\nafter 3pm",
              '=HYPERLINK("http://example.com","site")', "+1 555 0100", "Prefers e-mail; no calls"],
}
COLUMNS = ["Record ID", "First Name", "Last Name", "Email", "Job Title", "Company Name", "Number of Employees",
           "Industry", "Job function", "Seniority", "Country/Region", "Lifecycle Stage", "Create Date", "Notes"]
# fmt: on


def title_variants(seed: int = 11) -> dict[str, list[str]]:
    """A few thousand title variants per group: seniority prefixes, team suffixes, odd casing and spacing."""
    import numpy as np

    rng = np.random.default_rng(seed)
    out: dict[str, set[str]] = {group: set() for group in TITLES}
    for group, bases in TITLES.items():
        for base in bases:
            for prefix in PREFIXES[group] if base else [""]:
                for suffix in SUFFIXES:
                    title = f"{prefix}{base}{suffix}" if base else suffix.strip(" -|,/")
                    style = rng.integers(6)
                    if style == 0:
                        title = title.upper()
                    elif style == 1:
                        title = title.lower()
                    elif style == 2:
                        title = f"  {title.replace(' ', '  ')} "
                    out[group].add(title)
    return {group: sorted(titles) for group, titles in out.items()}


def generate(rows: int, path: Path, seed: int = 7, block: int = 500_000) -> None:
    """A HubSpot-style contacts export, attributes typical of each title's group, written with pyarrow."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv

    rng = np.random.default_rng(seed)
    variants = title_variants()
    groups = list(GROUPS)

    def pick(values: list[str], n: int) -> np.ndarray:
        return np.asarray(values, dtype=object)[rng.integers(len(values), size=n)]

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    writer = None
    for start in range(0, rows, block):
        n = min(block, rows - start)
        ids = np.arange(start, start + n)
        group = rng.choice(len(groups), n, p=[GROUPS[g][0] for g in groups])
        typical = rng.random(n) < 0.85
        data = {name: pick(values, n) for name, values in OTHER_COLUMNS.items()}
        data["Record ID"] = (ids + 10_000_000).astype(str).astype(object)
        data["Email"] = np.char.add(np.char.add("contact", (ids % 100_000).astype(str)), "@example.com")
        data["Job Title"] = np.empty(n, dtype=object)
        attributes = {"Seniority": SENIORITY, "Job function": FUNCTIONS, "Number of Employees": EMPLOYEES,
                      "Industry": INDUSTRIES}  # fmt: skip
        data |= {column: pick(anything, n) for column, anything in attributes.items()}
        for g, name in enumerate(groups):
            members = np.flatnonzero(group == g)
            data["Job Title"][members] = pick(variants[name], len(members))
            usual = np.flatnonzero((group == g) & typical)
            for field, column in enumerate(attributes, start=1):
                data[column][usual] = pick(GROUPS[name][field], len(usual))
        table = pa.table({name: pa.array(data[name], type=pa.string()) for name in COLUMNS})
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
import time, json, pyarrow.csv as pacsv
start = time.perf_counter()
table = pacsv.read_csv({csv!r}, parse_options=pacsv.ParseOptions(newlines_in_values=True))
elapsed = time.perf_counter() - start
print(json.dumps({{"seconds": elapsed, "rows": table.num_rows,
      "peak_mb": peak_mb()}}))
"""

OURS = """
import time, json
from pathlib import Path
from persona_map.check.catalog import build_catalog
from persona_map.repository import Repository
from persona_map.routing.classify import Classifier, ClassifyOptions, classify_file
repo = Repository.open(Path({root!r}))  # imports and loading the personas are not timed
classifier = Classifier.load(repo, build_catalog(repo).personas)  # as the command does: rules and the model, if any
out = Path({out!r})
out.unlink(missing_ok=True)
start = time.perf_counter()
summary = classify_file(Path({csv!r}), out, ClassifyOptions(), classifier)
elapsed = time.perf_counter() - start
print(json.dumps({{"seconds": elapsed, "rows": summary.rows, "unassigned": summary.unassigned_share,
      "counts": summary.counts, "peak_mb": peak_mb()}}))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--large", type=int, default=3_000_000, help="rows of the memory check (0 to skip)")
    parser.add_argument("--pairs", type=int, default=5, help="alternating (a, b) runs; medians are reported")
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()
    csv_path = contacts(args.rows)
    out = OUT / f"classified-{args.rows}.csv"
    size_mb = csv_path.stat().st_size / 1e6
    pairs = []
    for _ in range(args.pairs):  # alternating, so that a busy machine slows both alike
        a = measure(READ.format(csv=str(csv_path)))
        b = measure(OURS.format(root=str(ROOT), csv=str(csv_path), out=str(out)))
        assert b["rows"] == a["rows"] == args.rows, (a["rows"], b["rows"])
        pairs.append((a, b))
    a_s = statistics.median(a["seconds"] for a, _ in pairs)
    b_s = statistics.median(b["seconds"] for _, b in pairs)
    ratios = [b["seconds"] / a["seconds"] for a, b in pairs]
    ratio = statistics.median(ratios)
    best = min(b["seconds"] for _, b in pairs) / min(a["seconds"] for a, _ in pairs)
    b = pairs[0][1]
    lines = [
        f"- data: {args.rows:,} contacts x 14 columns, {size_mb:.0f} MB CSV (generated by this script, "
        f"{sum(map(len, title_variants().values())):,} title variants); {args.pairs} alternating pairs of runs",
        f"- (a) pyarrow `read_csv`: median {a_s:.2f} s, peak memory {pairs[0][0]['peak_mb']:.0f} MB",
        f"- (b) `personas classify` (CSV out): median {b_s:.2f} s ({args.rows / b_s / 1e3:.0f}k contacts/s), "
        f"peak memory {max(b['peak_mb'] for _, b in pairs):.0f} MB, unassigned {b['unassigned']:.0%}",
        f"- b / a per pair: median {ratio:.2f} (min {min(ratios):.2f}, max {max(ratios):.2f}); "
        f"target <= 3: **{'meets' if ratio <= 3 else 'MISSES'}**",
        f"- fastest runs (least disturbed by other load): a {min(a['seconds'] for a, _ in pairs):.2f} s, "
        f"b {min(b['seconds'] for _, b in pairs):.2f} s, b / a = {best:.2f}",
    ]
    peaks = [b["peak_mb"] for _, b in pairs]
    if args.large:
        big = contacts(args.large)
        c = measure(OURS.format(root=str(ROOT), csv=str(big), out=str(OUT / f"classified-{args.large}.csv")))
        peaks.append(c["peak_mb"])
        lines.append(
            f"- (b) on {args.large:,} contacts ({big.stat().st_size / 1e6:.0f} MB): {c['seconds']:.2f} s "
            f"({args.large / c['seconds'] / 1e3:.0f}k contacts/s), peak memory {c['peak_mb']:.0f} MB"
        )
    lines.append(
        f"- peak memory of b: {max(peaks):.0f} MB at most (target < 1024 MB whatever the size: "
        f"**{'meets' if max(peaks) < 1024 else 'MISSES'}**)"
    )
    print("\n".join(lines))
    if args.record:
        record(
            "classify",
            "`personas classify` on a million CRM contacts (issue 5)",
            "python bench/classify_speed.py --record",
            lines,
            notes=(
                "Timed parts exclude imports and loading the personas (each run is a fresh process that does "
                "both first); (b) writes its CSV to bench/out/.",
            ),
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
