"""`personas segment`: find the segments in the research, explain the choice and profile each segment.

The work is done by an engine: the default engine in this process (research.default_engine), or the Dask
engine on a cluster (research.dask_engine); either way the results are saved here, in the same place.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from persona_map.atomic import write_atomic
from persona_map.dask_cluster import DaskOptions
from persona_map.repository import Repository
from persona_map.research.default_engine import segment
from persona_map.research.manifest import load_manifest
from persona_map.research.report import markdown
from persona_map.research.results import RESULTS_DIR, fingerprint, write_assignments
from persona_map.research.segmentation import Progress, SegmentOptions, SegmentResult
from persona_map.research.sources import load_research

CHUNK = 1 << 20  # rows assigned and written at a time


def save(result: SegmentResult, root: Path) -> tuple[Path, Path]:
    """Write assignments.csv (unless an engine wrote it already: `result.keys` is None), report.md and
    segments.json under build/segments/ (gitignored), each atomically.

    segments.json goes last: it says which research the results are from, so it never describes files
    that an interrupted run did not write.
    """
    folder = root / RESULTS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    if result.keys is not None:
        _write_assignments(result, folder)
    report = folder / "report.md"
    write_atomic(report, markdown(result).encode("utf-8"))
    json_path = folder / "segments.json"
    write_atomic(
        json_path, (json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    )
    return json_path, report


def _write_assignments(result: SegmentResult, folder: Path) -> None:
    import pyarrow as pa

    keys = result.keys.astype("string") if not isinstance(result.keys.dtype, pd.StringDtype) else result.keys
    chunks = (  # a million rows at a time: memory holds one chunk
        (
            pa.array(keys.array[start : start + CHUNK], type=pa.string()),
            np.asarray(result.labels[start : start + CHUNK], dtype=np.int64),
        )
        for start in range(0, len(keys), CHUNK)
    )
    write_assignments(folder / "assignments.csv", [s.id for s in result.segments], chunks)


def run(
    repo: Repository,
    today: date,
    k_min: int | None,
    k_max: int | None,
    method: str,
    seed: int,
    progress: Progress | None = None,
    dask: DaskOptions | None = None,
) -> tuple[SegmentResult | None, tuple[Path, Path] | None, list]:
    """Load and validate the research, segment it (on a Dask cluster with `dask`) and save the results;
    findings explain any failure."""
    step = progress or (lambda _: None)
    manifest, findings = load_manifest(repo)
    if not manifest.loaded or any(f.is_error for f in findings):
        return None, None, findings
    options = SegmentOptions(k_min or repo.config.primary_min, k_max or repo.config.primary_max, method, seed)
    if dask is not None:
        from persona_map.research.dask_engine import segment_dask

        with threadpool_limits(1):
            result, problems = segment_dask(
                repo, manifest, options, dask, fingerprint(repo, manifest), step, today
            )
        findings += problems
        return result, (save(result, repo.root) if result else None), findings
    step("reading research")
    research, problems = load_research(repo, manifest)
    findings += problems
    if any(f.is_error for f in findings):
        return None, None, findings
    result = segment(research, options, fingerprint(repo, manifest), step, today)
    return result, save(result, repo.root), findings
