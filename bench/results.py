"""Shared by the benchmarks: run a measuring program in a fresh process, record results in RESULTS.md."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
ROOT = RESULTS.parent.parent


# Given to every measuring program. The process's own high-water mark: getrusage's ru_maxrss is not, since
# Linux carries it over from the process that started this one (a benchmark holding 800 MB makes every
# program it starts report at least 800 MB).
PEAK_MB = """
def peak_mb():
    with open("/proc/self/status") as status:
        return int(status.read().split("VmHWM:")[1].split()[0]) / 1024
"""


def measure(program: str) -> dict:
    """Run `program` (Python source) in a fresh interpreter; it prints its measurements as one JSON line and
    may call `peak_mb()`, its peak resident memory so far."""
    proc = subprocess.run(
        [sys.executable, "-c", PEAK_MB + textwrap.dedent(program)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def record(section: str, title: str, command: str, lines: list[str], notes: tuple[str, ...] = ()) -> None:
    """Put `lines` under `## title` between `<!-- section:start -->` and `<!-- section:end -->`."""
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    start, end = f"<!-- {section}:start -->", f"<!-- {section}:end -->"
    machine = f"{platform.machine()}, {platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} cores"
    block = "\n".join(
        [
            start,
            f"## {title}",
            "",
            f"Measured {date.today().isoformat()} on {machine} with `{command}`.",
            *notes,
            "",
            *lines,
            end,
        ]
    )
    if start in text:
        text = text[: text.index(start)] + block + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    RESULTS.write_text(text, encoding="utf-8")
