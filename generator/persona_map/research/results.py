"""Where segmentation results live (build/segments/, gitignored) and whether they are still current.

Light on purpose: the site build reads results without importing pandas or scikit-learn.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from persona_map.repository import Repository
from persona_map.research.manifest import Manifest

RESULTS_DIR = Path("build") / "segments"
LARGE_FILE = 32 * 1024 * 1024  # bytes; larger research files are fingerprinted by size and time


def fingerprint(repo: Repository, manifest: Manifest) -> str:
    """Hash of the manifest and every research file: says whether saved results are still current."""
    digest = hashlib.sha256(repo.manifest_path.read_bytes() if repo.manifest_path.is_file() else b"")
    for sid in sorted(manifest.sources):
        root = repo.research_dir / manifest.sources[sid].file
        for path in sorted(root.rglob("*.parquet")) if root.is_dir() else [root]:
            _digest_file(digest, sid, path)
    return digest.hexdigest()[:16]


def _digest_file(digest: Any, sid: str, path: Path) -> None:
    """Add one research file to the fingerprint: its bytes, or for a big export its size and time."""
    if path.is_file():
        stat = path.stat()
        if stat.st_size > LARGE_FILE:  # like make: a big export is new when its size or time changed
            digest.update(f"{sid}:{path.name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
            return
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)


def load_saved(root: Path) -> dict[str, Any] | None:
    """The last saved segmentation, or None."""
    path = root / RESULTS_DIR / "segments.json"
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return None
    return data if isinstance(data, dict) and isinstance(data.get("segments"), list) else None


def is_current(
    repo: Repository, manifest: Manifest, saved: dict[str, Any] | None, options: dict[str, Any] | None = None
) -> bool:
    """Whether `saved` was made from the research as it is now (and, when given, with these options)."""
    if saved is None or not manifest.loaded or saved.get("inputs") != fingerprint(repo, manifest):
        return False
    made_with = saved.get("options")
    return not options or (
        isinstance(made_with, dict) and all(made_with.get(k) == v for k, v in options.items())
    )


def write_assignments(path: Path, segment_ids: list[str], chunks: Iterable[tuple[Any, Any]]) -> None:
    """assignments.csv: each respondent's key and segment, spreadsheet-safe, written a chunk at a time and
    complete or not at all. `chunks` gives (keys as Arrow strings, labels as positions in `segment_ids`)."""
    import pyarrow as pa  # not at the top: the site build reads results without pyarrow
    import pyarrow.csv as pacsv

    from persona_map.atomic import atomic_output
    from persona_map.spreadsheet import neutralise

    ids = pa.array(segment_ids)
    schema = pa.schema([("key", pa.string()), ("segment", pa.string())])
    with atomic_output(path) as handle, pacsv.CSVWriter(handle, schema) as writer:
        for keys, labels in chunks:
            writer.write_batch(pa.record_batch([neutralise(keys), ids.take(pa.array(labels))], schema=schema))
