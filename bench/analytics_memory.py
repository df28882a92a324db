"""Benchmark: `personas segment` with a large analytics export (one row per event) joined to the survey.

A copy of the repository's research gets one more source: a generated export of `--rows` events over
`--keys` accounts (the survey's respondents among them), 10 columns, with every kind of declared
aggregation (sum, mean, max, count, distinct, last by time, recency, share), a filter and a derived amount.
Each measurement is a whole process under `/usr/bin/time -v` (imports count: it is what the user waits
for): (a) reading the export with pyarrow, (b) `personas segment` with this checkout's package and, with
`--against DIR`, (c) the same command with the package at DIR (another checkout's `generator/`), so a
change can be measured side by side; (b) and (c) must save the same assignments.

The data goes to a temporary folder (`--out`), not into the repository; `--record` writes the results into
bench/RESULTS.md. `--dask N` adds (d), `--engine dask` with N local workers on the same research.

    python bench/analytics_memory.py [--rows 10000000] [--keys 200000] [--against ../main/generator]
"""

from __future__ import annotations

import argparse
import filecmp
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COPIED = ("personas", "research", "schema", "site")
SOURCE = """
  - id: bench-events
    kind: analytics
    title: Generated product events, one row per event
    file: events.csv
    collected: 2026-09-30
    key: respondent_id
    time: event_date
    exclude:
      - {column: status, equals: cancelled}
    derive:
      - {name: revenue, product: [quantity, unit_price], label: Revenue}
    columns:
      respondent_id: key
      event_date: {role: date, aggregate: recency}
      event: {role: categorical, aggregate: share}
      product: {role: categorical, aggregate: distinct}
      channel: {role: categorical, aggregate: last}
      quantity: {role: numeric, aggregate: sum}
      unit_price: {role: numeric, aggregate: mean}
      seconds: {role: numeric, aggregate: max}
      status: {role: categorical, aggregate: count}
      note: ignored
"""
READ = "import pyarrow.csv as c; print(c.read_csv({csv!r}).num_rows)"


def generate(rows: int, keys: int, path: Path, seed: int = 11) -> None:
    """`rows` events over `keys` accounts (S0001-S0600 are the survey's respondents), a million at a time."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv

    rng = np.random.default_rng(seed)
    names = np.array([f"S{n + 1:04d}" if n < 600 else f"A{n:07d}" for n in range(keys)], dtype=object)
    events = np.array([f"event_{n:02d}" for n in range(20)], dtype=object)
    products = np.array([f"P{n:03d}" for n in range(300)], dtype=object)
    channels = np.array(["web", "ios", "android", "api", "partner"], dtype=object)
    weights = 1 / np.arange(1, 21) ** 1.1
    with pacsv.CSVWriter(str(path), pa.schema([(n, pa.string()) for n in _columns()])) as writer:
        for start in range(0, rows, 1_000_000):
            n = min(1_000_000, rows - start)
            days = rng.integers(0, 365, n)
            data = {
                "respondent_id": names[rng.integers(0, keys, n)],
                "event_date": (np.datetime64("2025-09-30") + days.astype("timedelta64[D]")).astype(str),
                "event": events[rng.choice(20, n, p=weights / weights.sum())],
                "product": products[rng.integers(0, 300, n)],
                "channel": channels[rng.integers(0, 5, n)],
                "quantity": rng.integers(1, 10, n).astype(str),
                "unit_price": np.round(rng.gamma(2.0, 15.0, n), 2).astype(str),
                "seconds": rng.integers(0, 3600, n).astype(str),
                "status": np.where(rng.random(n) < 0.03, "cancelled", "ok").astype(object),
                "note": np.where(rng.random(n) < 0.01, "retried", "").astype(object),
            }
            writer.write_table(pa.table({k: pa.array(v, pa.string()) for k, v in data.items()}))


def _columns() -> list[str]:
    names = re.findall(r"^      (\w+):", SOURCE, flags=re.MULTILINE)
    return [n for n in names if n not in ("column", "name")]


def make_repo(out: Path, rows: int, keys: int) -> Path:
    """A copy of the repository's personas and research with the generated export declared (data reused)."""
    repo = out / "repo"
    events = out / f"events-{rows}-{keys}.csv"
    if not events.is_file():
        generate(rows, keys, events.with_suffix(".tmp"))
        events.with_suffix(".tmp").rename(events)
    shutil.rmtree(repo, ignore_errors=True)
    for folder in COPIED:
        shutil.copytree(ROOT / folder, repo / folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    for name in ("pyproject.toml", "mkdocs.yml"):
        shutil.copy(ROOT / name, repo / name)
    os.link(events, repo / "research" / "events.csv")  # a symlink would point outside research/
    manifest = repo / "research" / "manifest.yaml"
    manifest.write_text(manifest.read_text(encoding="utf-8").rstrip("\n") + "\n" + SOURCE, encoding="utf-8")
    return repo


def timed(command: list[str], generator: Path | None = None) -> dict[str, float]:
    """Wall seconds and peak resident memory (MiB) of one whole process, from `/usr/bin/time -v`."""
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    if generator is not None:
        env["PYTHONPATH"] = str(generator)
    proc = subprocess.run(["/usr/bin/time", "-v", *command], capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise SystemExit(proc.stdout[-2000:] + proc.stderr[-4000:])
    peak = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr).group(1))
    clock = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", proc.stderr).groups()
    hours, minutes, seconds = (float(x) if x else 0.0 for x in clock)
    return {"seconds": hours * 3600 + minutes * 60 + seconds, "peak_mb": peak / 1024}


def segment(repo: Path, generator: Path, *options: str) -> dict[str, float]:
    command = [sys.executable, "-m", "persona_map", "segment", "--root", str(repo), *options]
    return timed(command, generator)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--keys", type=int, default=200_000)
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "persona-map-analytics")
    parser.add_argument("--against", type=Path, help="another checkout's generator/ folder, measured as (c)")
    parser.add_argument(
        "--dask", type=int, default=0, help="also (d): --engine dask with this many local workers"
    )
    parser.add_argument(
        "--record", action="store_true", help="write the 'analytics' section of bench/RESULTS.md"
    )
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    repo = make_repo(args.out, args.rows, args.keys)
    events = (repo / "research" / "events.csv").resolve()
    a = timed([sys.executable, "-c", READ.format(csv=str(events))])
    lines = [
        f"- data: {args.rows:,} events over {args.keys:,} accounts, 10 columns, "
        f"{events.stat().st_size / 1e6:.0f} MB CSV ({events})",
        f"- (a) pyarrow read, whole process: {a['seconds']:.1f} s, peak memory {a['peak_mb']:.0f} MiB",
    ]
    b = segment(repo, ROOT / "generator")
    ours = repo / "build" / "segments" / "assignments.csv"
    lines.append(
        f"- (b) `personas segment` ({ROOT / 'generator'}): {b['seconds']:.1f} s "
        f"({b['seconds'] / a['seconds']:.1f} x a), peak memory {b['peak_mb']:.0f} MiB"
    )
    if args.against:
        kept = args.out / "assignments-b.csv"
        shutil.copy(ours, kept)
        c = segment(repo, args.against.resolve())
        same = filecmp.cmp(kept, ours, shallow=False)
        lines.append(
            f"- (c) `personas segment` ({args.against.resolve()}): {c['seconds']:.1f} s "
            f"({c['seconds'] / a['seconds']:.1f} x a), peak memory {c['peak_mb']:.0f} MiB"
        )
        lines.append(
            f"- b / c: time {b['seconds'] / c['seconds']:.2f}, peak memory {b['peak_mb'] / c['peak_mb']:.2f}"
        )
        lines.append(f"- same assignments.csv from (b) and (c): {'yes' if same else 'NO'}")
    if args.dask:
        kept = args.out / "assignments-b.csv"
        segment(repo, ROOT / "generator")  # (b)'s results again, to compare with
        shutil.copy(ours, kept)
        d = segment(repo, ROOT / "generator", "--engine", "dask", "--workers", str(args.dask))
        same = filecmp.cmp(kept, ours, shallow=False)
        lines.append(
            f"- (d) `personas segment --engine dask --workers {args.dask}`: {d['seconds']:.1f} s, peak memory of "
            f"the run's largest process (client or worker) {d['peak_mb']:.0f} MiB; same assignments.csv as (b): {'yes' if same else 'NO'}"
        )
    print("\n".join(lines))
    if args.record:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from results import record

        record(
            "analytics",
            "`personas segment` with 10 million analytics events joined to the survey (issue 13)",
            "python bench/analytics_memory.py --against <the checkout before the change>/generator --dask 2 --record",
            [line.replace(str(args.out), "<temporary folder>") for line in lines],
            ("Whole processes under `/usr/bin/time -v`, imports included.",),
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
