"""Benchmark: `personas check` against `check-jsonschema` on the same persona files, side by side.

Both run as whole, fresh processes (cold: nothing cached in memory between runs), alternating so that
machine noise hits both alike. Prints the median of each and the ratio per pair, and with --record
rewrites the `check` section of bench/RESULTS.md.

    python bench/check_speed.py [--runs 15] [--record]

Target (issue 2): median ratio personas/check-jsonschema <= 1.0, while `personas check` also applies the
repository rules (ids, primary budget, review dates, evidence) and checks the research manifest.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results import record  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _time(cmd: list[str]) -> tuple[float, int]:
    # Cold: an empty cache folder every run, so `personas check` cannot reuse earlier validation results.
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "PERSONA_MAP_CACHE": cache}
        start = time.perf_counter()
        proc = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        return time.perf_counter() - start, proc.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--record", action="store_true", help="write the result into bench/RESULTS.md")
    args = parser.parse_args()

    files = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "personas").glob("*.yaml"))
    ours = [str(BIN / "personas"), "check", "--format", "json"]
    theirs = [str(BIN / "check-jsonschema"), "--schemafile", "schema/persona.schema.json", *files]
    for cmd in (ours, theirs):  # warm the OS file cache and .pyc files once; not timed
        _time(cmd)

    pairs = []
    for _ in range(args.runs):
        a, rc_a = _time(ours)
        b, rc_b = _time(theirs)
        if rc_a != 0 or rc_b != 0:
            print(f"a command failed (personas: {rc_a}, check-jsonschema: {rc_b})", file=sys.stderr)
            return 1
        pairs.append((a, b))
    ratios = [a / b for a, b in pairs]
    med_a = statistics.median(a for a, _ in pairs)
    med_b = statistics.median(b for _, b in pairs)
    ratio = statistics.median(ratios)
    verdict = "meets" if ratio <= 1.0 else "MISSES"
    lines = [
        f"- files: {len(files)} personas (+ research/manifest.yaml for `personas check`)",
        f"- runs: {args.runs} pairs, alternating, each a fresh process with an empty cache folder (cold)",
        f"- `personas check`: median {med_a * 1000:.0f} ms",
        f"- `check-jsonschema`: median {med_b * 1000:.0f} ms",
        f"- ratio per pair: median {ratio:.2f} (min {min(ratios):.2f}, max {max(ratios):.2f}); "
        f"target <= 1.0: **{verdict}**",
    ]
    print("\n".join(lines))
    if args.record:
        record(
            "check",
            "`personas check` vs `check-jsonschema` (issue 2)",
            "python bench/check_speed.py --record",
            lines,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
