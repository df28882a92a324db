"""Benchmark: `personas segment` on 10 million survey rows, default engine and Dask engine (issue 13).

Whole processes, as the user waits for them (imports included), on one generated survey of 9 columns
(respondent id, two categoricals, an ordinal, a multi-select, two Likert answers, two numbers; four
planted segments):
  (a) a whole-process pyarrow read of the CSV (`pyarrow.csv.read_csv`, all columns);
  (b) `personas segment` with the default engine;
  (c) `personas segment --engine dask --workers W` for W = 1 and 2 (a local cluster started by the run).
Peak memory: of the process for (a) and (b) (its maximum resident set size); for (c) of this machine's
client process and, separately, the largest sum over the whole process tree (client, nannies, workers),
sampled every 50 ms. (c) must agree with (b): the same k and byte-identical assignments.csv.

Where (c) spends its time comes from one more run in this process with the engine's progress steps
timed: streaming the survey to the workers (on the client, serial), fitting on the sample, assigning and
counting on the workers, writing assignments.csv (on the client). The extrapolation to 100 million and
1 billion rows is arithmetic on those phases, labelled as such: it is not a measurement.

Targets (issue 13): (b) peak under 1 GiB and (b) / (a) <= 4 at 10 million rows.

    python bench/segment_scale.py [--rows 10000000] [--workers 1 2] [--record]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results import record  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
BIN = Path(sys.executable).parent
MANIFEST = {
    "apiVersion": "personamap/v1",
    "kind": "ResearchManifest",
    "sources": [{
        "id": "survey", "kind": "survey", "file": "survey.csv", "collected": "2026-09-30", "key": "respondent_id",
        "columns": {
            "respondent_id": "key", "department": "categorical", "region": "categorical",
            "company_size": {"role": "ordinal", "levels": ["1-10", "11-50", "51-200", "201-1000"]},
            "tools_used": {"role": "multi-select", "separator": ";"},
            "sat_speed": {"role": "likert", "scale": [1, 5]}, "sat_cost": {"role": "likert", "scale": [1, 5]},
            "years_experience": "numeric", "deploys_per_week": "numeric",
        },
    }],
}  # fmt: skip


def generate(rows: int, root: Path, seed: int = 0) -> Path:
    """A repository whose research is one survey of `rows` rows (kept in bench/out between runs)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    survey = root / "research" / "survey.csv"
    if survey.exists() and (root / "rows").read_text() == str(rows):
        return root
    (root / "research").mkdir(parents=True, exist_ok=True)
    (root / "personas").mkdir(exist_ok=True)
    for name in ("schema", "pyproject.toml"):
        target = root / name
        if not target.exists():
            target.symlink_to(ROOT / name)
    rng = np.random.default_rng(seed)
    writer = None
    for start in range(0, rows, 1_000_000):
        n = min(1_000_000, rows - start)
        seg = rng.integers(0, 4, n)

        def pick(values: list[str], probs: list[list[float]], seg=seg, n=n) -> np.ndarray:
            cumulative = np.cumsum(np.asarray(probs)[seg], axis=1)
            return np.asarray(values)[
                np.minimum((rng.random(n)[:, None] > cumulative).sum(1), len(values) - 1)
            ]

        table = pa.table({
            "respondent_id": np.char.add("R", np.arange(start, start + n).astype("U9")),
            "department": pick(["Platform", "Product", "Security", "Data"],
                               [[.7, .1, .1, .1], [.1, .7, .1, .1], [.1, .1, .7, .1], [.1, .1, .1, .7]]),
            "region": pick(["EMEA", "NA", "APAC"], [[.4, .4, .2]] * 4),
            "company_size": pick(["1-10", "11-50", "51-200", "201-1000"],
                                 [[.1, .2, .3, .4], [.4, .3, .2, .1], [.25] * 4, [.1, .4, .4, .1]]),
            "tools_used": pick(["Jenkins;Vault", "GitHub Actions", "Terraform;Kubernetes", "Datadog"],
                               [[.5, .2, .2, .1], [.1, .6, .2, .1], [.1, .1, .7, .1], [.2, .2, .1, .5]]),
            "sat_speed": np.clip(np.round(rng.normal(np.array([2, 3, 4, 3])[seg], 0.8)), 1, 5).astype(int),
            "sat_cost": np.clip(np.round(rng.normal(np.array([4, 2, 3, 3])[seg], 0.8)), 1, 5).astype(int),
            "years_experience": np.round(rng.normal(np.array([12, 6, 9, 15])[seg], 3), 1),
            "deploys_per_week": np.round(rng.gamma(2, np.array([20, 5, 10, 3])[seg]), 1),
        })  # fmt: skip
        if writer is None:
            writer = pacsv.CSVWriter(survey, table.schema)
        writer.write_table(table)
    writer.close()
    (root / "research" / "manifest.yaml").write_text(json.dumps(MANIFEST, indent=1))
    (root / "rows").write_text(str(rows))
    return root


def run(command: list[str]) -> dict:
    """Wall time, the process's peak RSS and the process tree's peak RSS sum (MiB) of one command."""
    import psutil

    # GNU time starts the command and reports its own peak: wait4's ru_maxrss would include this process's
    # memory, which Linux carries over to the processes it starts.
    peak_file = Path(tempfile.mkstemp(prefix="segment-scale-peak-")[1])
    start = time.perf_counter()
    proc = subprocess.Popen(
        ["/usr/bin/time", "-f", "%M", "-o", str(peak_file), *command],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    tree = [0]

    def watch() -> None:
        try:
            parent = psutil.Process(proc.pid)
            while proc.poll() is None:
                total = 0
                for p in [parent, *parent.children(recursive=True)]:
                    with contextlib.suppress(psutil.Error):
                        total += p.memory_info().rss
                tree[0] = max(tree[0], total)
                time.sleep(0.05)
        except psutil.Error:
            pass

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    proc.wait()
    wall = time.perf_counter() - start
    watcher.join()
    peak_kib = peak_file.read_text().split()[-1] if peak_file.stat().st_size else ""
    peak_file.unlink()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{proc.stderr.read().decode()}")
    return {"s": wall, "peak": int(peak_kib) / 1024, "tree": tree[0] / 2**20}


def phases(root: Path, workers: int) -> dict[str, float]:
    """Seconds per phase of a Dask run, from the engine's progress steps (in a fresh process)."""
    program = f"""
import json, time
from datetime import date
from pathlib import Path
from persona_map.dask_cluster import DaskOptions
from persona_map.repository import Repository
from persona_map.research.segment import run
marks = [("start", time.perf_counter())]
run(Repository.open(Path({str(root)!r})), date.today(), 3, 5, "kmeans", 0,
    progress=lambda name: marks.append((name, time.perf_counter())), dask=DaskOptions(workers={workers}))
marks.append(("end", time.perf_counter()))
print(json.dumps(marks))
"""
    proc = subprocess.run([sys.executable, "-c", program], cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    marks = json.loads(proc.stdout.strip().splitlines()[-1])
    out: dict[str, float] = {}
    for (name, at), (_, after) in zip(marks, marks[1:], strict=False):
        out[name] = out.get(name, 0.0) + after - at
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()

    root = generate(args.rows, OUT / f"segment-scale-{args.rows}")
    survey = root / "research" / "survey.csv"
    size = survey.stat().st_size / 1e6
    print(f"{args.rows:,} rows, {size:.0f} MB CSV in {root}", flush=True)
    read = [sys.executable, "-c", f"import pyarrow.csv as c; c.read_csv({str(survey)!r})"]
    segment = [str(BIN / "personas"), "segment", "--root", str(root)]
    a, b = [], []
    for _ in range(args.repeat):  # alternating, medians reported
        a.append(run(read))
        b.append(run(segment))
        print(
            f"  (a) {a[-1]['s']:.2f} s {a[-1]['peak']:.0f} MiB   (b) {b[-1]['s']:.2f} s {b[-1]['peak']:.0f} MiB",
            flush=True,
        )
    expected = (root / "build/segments/assignments.csv").read_bytes()
    k = json.loads((root / "build/segments/segments.json").read_text())["k"]
    med = {name: statistics.median(r["s"] for r in runs) for name, runs in (("a", a), ("b", b))}
    peak_a, peak_b = max(r["peak"] for r in a), max(r["peak"] for r in b)
    ratio = med["b"] / med["a"]
    lines = [
        f"- data: {args.rows:,} survey rows x 9 columns, {size:.0f} MB CSV (generated by this script, 4 planted segments)",
        f"- runs: {args.repeat} alternating runs of (a) and (b), medians reported; (c) once per worker count",
        f"- (a) whole-process pyarrow read: {med['a']:.2f} s, peak memory {peak_a:.0f} MiB",
        f"- (b) `personas segment` (default engine): {med['b']:.2f} s, k = {k}, peak memory {peak_b:.0f} MiB "
        f"(target < 1024 MiB: **{'meets' if peak_b < 1024 else 'misses'}**)",
        f"- b / a = {ratio:.2f} (target <= 4: **{'meets' if ratio <= 4 else 'misses'}**)",
        "",
        "| engine | wall time | rows / s | rows / s per worker | client peak | whole tree peak | same assignments as (b) |",
        "|---|---|---|---|---|---|---|",
        f"| default | {med['b']:.1f} s | {args.rows / med['b']:,.0f} | - | {peak_b:.0f} MiB | {peak_b:.0f} MiB | - |",
    ]
    for workers in args.workers:
        c = run([*segment, "--engine", "dask", "--workers", str(workers)])
        same = (root / "build/segments/assignments.csv").read_bytes() == expected
        same_k = json.loads((root / "build/segments/segments.json").read_text())["k"] == k
        print(
            f"  (c) {workers} worker(s): {c['s']:.2f} s, client {c['peak']:.0f} MiB, tree {c['tree']:.0f} MiB, same: {same and same_k}",
            flush=True,
        )
        lines.append(
            f"| dask, {workers} local worker{'s' if workers > 1 else ''} | {c['s']:.1f} s | {args.rows / c['s']:,.0f} "
            f"| {args.rows / c['s'] / workers:,.0f} | {c['peak']:.0f} MiB | {c['tree']:.0f} MiB | {'yes' if same and same_k else '**no**'} |"
        )
    workers = max(args.workers)
    spent = phases(root, workers)
    print("  phases:", {k: round(v, 2) for k, v in spent.items()}, flush=True)
    stream = spent.get("sending the rows to the workers", 0.0)
    write = spent.get("profiling segments", 0.0)  # and writing assignments.csv, on the client
    assign = spent.get("assigning every respondent on the workers", 0.0)
    fixed = sum(spent.values()) - stream - write - assign
    per_row_client, per_row_workers = (stream + write) / args.rows, assign / args.rows
    lines += [
        "",
        f"Phases of a Dask run with {workers} local workers (one more run, timed by the engine's progress steps): "
        f"streaming the survey to the workers {stream:.1f} s and writing assignments.csv {write:.1f} s (on the "
        f"client, serial), assigning and counting {assign:.1f} s (on the workers), everything else (cluster start, "
        f"reading the other sources, fitting on the sample) {fixed:.1f} s.",
        "",
        "**Extrapolation, not a measurement**: time = fixed + rows x client cost per row + rows x worker cost "
        "per row / workers, with this machine's costs per row (the client's streaming does not speed up with "
        "more workers; the workers' part does, while the network keeps up). On this 2-core machine the client "
        "and the workers share the cores, so the worker cost per row is pessimistic for a real cluster.",
        "",
        "| rows | 2 workers | 8 workers | 32 workers |",
        "|---|---|---|---|",
    ]
    for rows in (100_000_000, 1_000_000_000):
        cells = []
        for count in (2, 8, 32):
            seconds = fixed + rows * per_row_client + rows * per_row_workers * workers / count
            cells.append(f"{seconds / 60:,.0f} min")
        lines.append(f"| {rows:,} | {' | '.join(cells)} |")
    lines += [
        "",
        f"Memory on the client grows by 8 bytes a respondent (the hashes that find repeated ids): about "
        f"{8 * 100_000_000 / 2**20:,.0f} MiB more at 100 million rows, {8 * 1_000_000_000 / 2**30:.1f} GiB at 1 billion; "
        "the workers hold the partitions as typed Arrow tables and spill to disk when they must.",
    ]
    print("\n".join(lines))
    if args.record:
        record(
            "segment-scale",
            "`personas segment` on 10 million survey rows, default and Dask engines (issue 13)",
            "python bench/segment_scale.py --record",
            lines,
            ("Whole processes, imports included: what the user waits for.",),
        )


if __name__ == "__main__":
    main()
