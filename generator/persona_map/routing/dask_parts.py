"""What a Dask worker runs for `personas classify --engine dask`: one partition, classified by the same `route`
as the default engine and written as one part file.

Nothing here imports Dask, so a worker needs only persona-map to run it (and this can be tested without a
cluster). The classifier arrives as pickled bytes, sent once to every worker; it is unpickled once per worker
process and kept under its fingerprint (the SHA-256 of those bytes), so a long-lived cluster reuses it across
partitions and runs while a changed persona or model gets a new one.
"""

from __future__ import annotations

import hashlib
import pickle
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from persona_map.atomic import atomic_output
from persona_map.errors import ClassifyError
from persona_map.routing.classify import Classifier, ClassifyOptions, route
from persona_map.routing.contacts_parquet import ParquetContacts, Slice
from persona_map.routing.contacts_read import chunks
from persona_map.routing.contacts_write import make_writer, output_names

KEEP = 4  # classifiers a worker keeps (a cluster shared by several repositories or persona versions)
_classifiers: OrderedDict[str, Classifier] = OrderedDict()
_lock = threading.Lock()
loads = 0  # classifiers unpickled by this process (tests read it)


@dataclass(frozen=True)
class Job:
    """What every partition of one run shares."""

    header: list[str]
    columns: dict[str, int]
    options: ClassifyOptions
    fingerprint: str
    headers: bool  # each CSV part has its own header (a folder of parts) or none (parts of one file)


@dataclass(frozen=True)
class Part:
    """One partition: the rows to read and the file to write."""

    index: int
    slice: Slice
    out: Path


@dataclass(frozen=True)
class PartResult:
    """What a partition did: its rows and its contacts per persona id (reduced into the run's summary)."""

    index: int
    rows: int
    counts: dict[str, int]


def pickled(classifier: Classifier) -> tuple[bytes, str]:
    """The classifier as bytes to send to the workers, and their fingerprint."""
    blob = pickle.dumps(classifier, protocol=pickle.HIGHEST_PROTOCOL)
    return blob, hashlib.sha256(blob).hexdigest()


def classifier_for(fingerprint: str, blob: bytes) -> Classifier:
    """The classifier of `fingerprint`, unpickled from `blob` the first time this process needs it."""
    global loads
    with _lock:
        if fingerprint in _classifiers:
            _classifiers.move_to_end(fingerprint)
            return _classifiers[fingerprint]
        if hashlib.sha256(blob).hexdigest() != fingerprint:
            raise ClassifyError("the classifier sent to this worker is damaged (run again)")
        classifier = pickle.loads(blob)  # noqa: S301 - bytes this run's client pickled
        loads += 1
        _classifiers[fingerprint] = classifier
        while len(_classifiers) > KEEP:
            _classifiers.popitem(last=False)
        return classifier


def classify_part(part: Part, job: Job, blob: bytes) -> PartResult:
    """Classify one partition into its part file (written under a temporary name, renamed when complete)."""
    classifier = classifier_for(job.fingerprint, blob)
    if not part.slice.path.exists():
        raise ClassifyError(
            f"{part.slice.path}: a Dask worker cannot see this file (with --scheduler, the input and --out "
            "must be on storage every worker reaches under the same path)"
        )
    contacts = ParquetContacts([part.slice], str(part.slice.path))
    if len(contacts.header) != len(job.header):
        raise ClassifyError(
            f"{part.slice.path}: {len(contacts.header)} columns where the input has {len(job.header)}"
        )
    options = job.options
    with atomic_output(part.out) as out:
        writer = make_writer(
            options.fmt, out, output_names(job.header), options.delimiter, header=job.headers
        )
        tables = chunks(contacts.batches(options.chunk_size), options.chunk_size)
        rows, counts = route(tables, job.header, job.columns, writer, options, classifier)
        writer.close()
    return PartResult(part.index, rows, dict(counts))


def the_classifier(blob: bytes) -> bytes:
    """The pickled classifier as a task's result: fetched once by each worker that needs it, recomputed if lost."""
    return blob
