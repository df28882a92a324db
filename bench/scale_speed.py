"""Benchmark: `personas classify` on 10 million contacts, one machine and Dask, whole processes (issue 13).

On the same generated export (classify_speed.py's generator: 14 HubSpot-style columns, messy titles,
multi-line notes), each run is a whole `personas classify` process, timed from start to exit with its
imports, personas and cluster start-up, because that is what a user waits for; peak memory is the largest
sum of the resident memory of the process and its children (Dask's worker processes), polled every 50 ms.
  (a) a whole-process pyarrow `read_csv` of the file (all cores, the whole file in memory): the floor;
  (b) the default engine, CSV file to CSV file; (b') the same from stdin to stdout (pipes, bounded memory);
  (c) `--engine dask` on a local cluster of 1 and of 2 worker processes, CSV input (read and staged by the
      client) and Parquet input (the same rows as a folder of Parquet files, read by the workers);
  (d) the default engine at 1 million rows, for the regression check against classify_speed.py's record.
Then a table of contacts per second per worker and an extrapolation to 100 million and 1 billion contacts,
labelled as such: it assumes throughput per worker stays what it was here (Parquet input on shared storage,
one thread per worker, no other load), which a real cluster's network and storage may not give.

    python bench/scale_speed.py [--rows 10000000] [--check 1000000] [--no-dask] [--record]
    python bench/scale_speed.py --rows 200000 --check 0     # a smoke run (seconds)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from classify_speed import contacts  # noqa: E402
from results import ROOT, record  # noqa: E402

OUT = ROOT / "bench" / "out"
PERSONAS = [sys.executable, "-m", "persona_map", "classify", "--root", str(ROOT), "--no-model"]
READ = (
    "import pyarrow.csv as c, sys; t = c.read_csv(sys.argv[1], parse_options=c.ParseOptions(newlines_in_values=True));"
    " print(t.num_rows)"
)


def run(command: list[str], stdin: Path | None = None, stdout: Path | None = None) -> dict:
    """Run `command` as a whole process: wall seconds and the peak of its (and its children's) memory."""
    import psutil

    env = {**os.environ, "PYTHONHASHSEED": "0"}
    source = stdin.open("rb") if stdin else subprocess.DEVNULL
    sink = stdout.open("wb") if stdout else subprocess.DEVNULL
    start = time.perf_counter()
    process = subprocess.Popen(command, stdin=source, stdout=sink, stderr=subprocess.PIPE, cwd=ROOT, env=env)
    peak, done = [0], threading.Event()

    def poll() -> None:
        root = psutil.Process(process.pid)
        while not done.is_set():
            try:
                tree = [root, *root.children(recursive=True)]
                peak[0] = max(peak[0], sum(_rss(p) for p in tree))
            except psutil.Error:
                pass
            done.wait(0.05)

    watcher = threading.Thread(target=poll, daemon=True)
    watcher.start()
    stderr = process.communicate()[1].decode()
    seconds = time.perf_counter() - start
    done.set()
    watcher.join()
    for handle in (source, sink):
        if hasattr(handle, "close"):
            handle.close()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{stderr}")
    return {"seconds": seconds, "peak_mb": peak[0] / 2**20, "stderr": stderr}


def _rss(process) -> int:
    try:
        return process.memory_info().rss
    except Exception:  # a worker that just exited
        return 0


def as_parquet(csv_path: Path, files: int = 16) -> Path:
    """The same contacts as a folder of Parquet files (every column text), cached in bench/out/."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    folder = csv_path.with_suffix(".parquet.d")
    if folder.is_dir():
        return folder
    tmp = folder.with_name(folder.name + ".tmp")
    tmp.mkdir(parents=True, exist_ok=True)
    header = csv_path.open(encoding="utf-8").readline().rstrip("\n").split(",")
    reader = pacsv.open_csv(
        csv_path,
        read_options=pacsv.ReadOptions(block_size=16 << 20),
        parse_options=pacsv.ParseOptions(newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(header, pa.string()), strings_can_be_null=False
        ),
    )
    rows = int(csv_path.stem.split("-")[-1])
    per_file, writer, written, index = -(-rows // files), None, 0, 0
    for batch in reader:
        while batch.num_rows:
            if writer is None:
                writer = pq.ParquetWriter(tmp / f"part-{index:03d}.parquet", batch.schema, compression="zstd")
            piece = batch.slice(0, per_file - written)
            writer.write_batch(piece, row_group_size=250_000)
            written += piece.num_rows
            batch = batch.slice(piece.num_rows)
            if written == per_file:
                writer.close()
                writer, written, index = None, 0, index + 1
    if writer is not None:
        writer.close()
    tmp.rename(folder)
    return folder


def summary_rows(stderr: str) -> int:
    line = next(line for line in stderr.splitlines() if line.startswith("classified "))
    return int(line.split()[1].replace(",", ""))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--check", type=int, default=1_000_000, help="rows of the regression check (0: skip)")
    parser.add_argument("--no-dask", action="store_true", help="leave out the Dask engine")
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()
    csv_path = contacts(args.rows)
    size_mb = csv_path.stat().st_size / 1e6
    out = OUT / "scale"
    out.mkdir(parents=True, exist_ok=True)
    results: dict[str, dict] = {}
    results["a"] = run([sys.executable, "-c", READ, str(csv_path)])
    results["b"] = run([*PERSONAS, str(csv_path), "--out", str(out / "default.csv")])
    results["b'"] = run([*PERSONAS], stdin=csv_path, stdout=out / "piped.csv")
    assert (out / "piped.csv").read_bytes() == (out / "default.csv").read_bytes(), "stdin/stdout differ"
    for key in ("b", "b'"):
        assert summary_rows(results[key]["stderr"]) == args.rows, results[key]["stderr"]
    workers = () if args.no_dask else (1, 2)
    if workers:
        parquet = as_parquet(csv_path)
        partition = str(max(args.rows // 20, 10_000))
        for n in workers:
            dask = ["--engine", "dask", "--workers", str(n), "--partition-size", partition]
            results[f"c{n}"] = run([*PERSONAS, str(csv_path), *dask, "--out", str(out / f"dask-{n}.csv")])
            assert (out / f"dask-{n}.csv").read_bytes() == (out / "default.csv").read_bytes(), "Dask differs"
            results[f"p{n}"] = run([*PERSONAS, str(parquet), *dask, "--out", str(out / f"dask-{n}-pq.csv")])
            assert summary_rows(results[f"p{n}"]["stderr"]) == args.rows
    if args.check:
        check_csv = contacts(args.check)
        results["d"] = run([*PERSONAS, str(check_csv), "--out", str(out / "check.csv")])

    def line(key: str, label: str) -> str:
        r = results[key]
        rate = args.rows / r["seconds"] / 1e3
        return f"| {label} | {r['seconds']:.1f} s | {rate:.0f}k/s | {r['peak_mb']:.0f} MB |"

    floor = results["a"]["seconds"]
    default_peak = max(results["b"]["peak_mb"], results["b'"]["peak_mb"])
    lines = [
        f"- data: {args.rows:,} contacts x 14 columns, {size_mb:,.0f} MB CSV (classify_speed.py's generator)",
        "- every row is a whole process (imports, personas, cluster start-up included); memory is the peak of the"
        " process and its children",
        "",
        "| run | time | contacts/s | peak memory |",
        "| --- | --- | --- | --- |",
        f"| (a) pyarrow `read_csv`, whole file in memory | {floor:.1f} s | {args.rows / floor / 1e3:.0f}k/s | "
        f"{results['a']['peak_mb']:.0f} MB |",
        line("b", "(b) default engine, file to file"),
        line("b'", "(b') default engine, stdin to stdout"),
    ]
    for n in workers:
        lines.append(line(f"c{n}", f"(c) Dask, {n} worker{'s' * (n > 1)}, CSV input"))
        lines.append(line(f"p{n}", f"(c) Dask, {n} worker{'s' * (n > 1)}, Parquet input"))
    lines += [
        "",
        f"- b / a = {results['b']['seconds'] / floor:.2f} (the whole default engine against only reading the file)",
        f"- peak memory of the default engine: {default_peak:.0f} MB (target < 1024 MB whatever the size: "
        f"**{'meets' if default_peak < 1024 else 'MISSES'}**)",
    ]
    if args.check:
        d = results["d"]
        lines.append(
            f"- regression check, default engine at {args.check:,} contacts (whole process): {d['seconds']:.1f} s, "
            f"{args.check / d['seconds'] / 1e3:.0f}k contacts/s, peak {d['peak_mb']:.0f} MB (compare with the "
            "classify section, whose timed part excludes imports)"
        )
    if workers:
        per_worker = {n: args.rows / results[f"p{n}"]["seconds"] / n for n in workers}
        rate = min(per_worker.values())
        lines += [
            "",
            "Throughput per worker (Parquet input, whole process):",
            "",
            "| workers | contacts/s | contacts/s per worker |",
            "| --- | --- | --- |",
            *(
                f"| {n} | {args.rows / results[f'p{n}']['seconds'] / 1e3:.0f}k | {per_worker[n] / 1e3:.0f}k |"
                for n in workers
            ),
            "",
            f"**Extrapolated, not measured**: at {rate / 1e3:.0f}k contacts/s per worker (the lower figure above), "
            "assuming it holds on a cluster (Parquet on shared storage, one thread per worker):",
            "",
            "| contacts | 1 worker | 8 workers | 32 workers | 128 workers |",
            "| --- | --- | --- | --- | --- |",
            *(
                f"| {total:,} | " + " | ".join(_duration(total / (rate * n)) for n in (1, 8, 32, 128)) + " |"
                for total in (100_000_000, 1_000_000_000)
            ),
        ]
    print("\n".join(lines))
    print(json.dumps({k: {"seconds": v["seconds"], "peak_mb": v["peak_mb"]} for k, v in results.items()}))
    if args.record:
        record(
            "scale",
            "`personas classify` on 10 million contacts: one machine and Dask (issue 13)",
            "python bench/scale_speed.py --record",
            lines,
            notes=(
                "Whole processes; the Dask runs use a LocalCluster on the same machine as the client, so with 2 "
                "workers three processes share its cores.",
            ),
        )
    return 0


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


if __name__ == "__main__":
    sys.exit(main())
