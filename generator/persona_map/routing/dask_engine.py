"""`personas classify --engine dask`: the same classification, partition by partition, on a Dask cluster.

- Partitions. A Parquet input is cut at row-group boundaries into partitions of about `partition_size` rows,
  which the workers read themselves. A CSV input (file or stdin) is read here by the project's own reader,
  which never splits a record at a line break inside quotes (Dask's byte-range CSV reader does), and written
  as Parquet files of `partition_size` rows; each is submitted as soon as it is complete.
- Work. Each partition runs `route` (classify.py), as the default engine does, with the classifier sent once
  to every worker and unpickled once per worker process (dask_parts.py). The answer is the same row for row.
- Output. Workers write one part per partition into a temporary folder next to the output. Only when every
  part is there are they joined into the output file (the CSV header once) or the folder renamed into place
  (`--out DIR/`). A task that fails, a worker that dies too often (Dask retries a partition whose worker died)
  or a lost scheduler ends the run with one line, and the temporary folders are removed: never a partial
  output under the final name.
- Summary. Rows and contacts per persona are added up across partitions.

The cluster (an existing one, or a local one for the run), the workers' version check and a failure as one
line come from dask_cluster.py, shared with `personas segment --engine dask`. Dask is an optional extra
(`pip install 'persona-map[dask]'`), imported only when the engine is used.
"""

from __future__ import annotations

import contextlib
import shutil
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import pyarrow.parquet as pq

from persona_map.atomic import atomic_folder, scratch_folder
from persona_map.dask_cluster import DaskOptions, cluster_client, dask_modules, in_order
from persona_map.errors import ClassifyError
from persona_map.routing.classify import Classifier, ClassifyOptions, Progress, Summary, input_columns
from persona_map.routing.contacts_parquet import ParquetContacts, Slice
from persona_map.routing.contacts_read import Contacts, chunks, open_contacts
from persona_map.routing.contacts_write import (
    ParquetWriter,
    check_target,
    csv_header,
    output,
    output_names,
    part_name,
)
from persona_map.routing.dask_parts import Job, Part, PartResult, classify_part, pickled, the_classifier


def classify_file(
    source: Path | BinaryIO,
    sink: Path | BinaryIO,
    options: ClassifyOptions,
    classifier: Classifier,
    dask: DaskOptions,
    parts: bool = False,
    progress: Progress | None = None,
    shown: str | None = None,
) -> Summary:
    """Classify every contact of `source` on a Dask cluster into `sink`: a file, a stream or, with `parts`, a
    folder of one file per partition."""
    dask_modules()  # a clear error without Dask, before any work
    shown = shown or (str(source) if isinstance(source, Path) else "stdin")
    source = source.absolute() if isinstance(source, Path) else source
    near = sink.absolute() if isinstance(sink, Path) else None
    if parts and near is None:
        raise ClassifyError("one file per partition needs --out DIR/")
    check_target(sink, folder=parts)
    with contextlib.ExitStack() as stack:
        contacts = stack.enter_context(open_contacts(source, options.encoding, options.delimiter, shown))
        header = contacts.header
        columns = input_columns(header, options, classifier, shown)  # bad input fails before a cluster starts
        client = stack.enter_context(cluster_client(dask))
        blob, fingerprint = pickled(classifier)
        job = Job(header, columns, options, fingerprint, headers=parts)
        work = stack.enter_context(scratch_folder(near))
        parts_dir = stack.enter_context(atomic_folder(near)) if parts else work / "parts"
        parts_dir.mkdir(exist_ok=True)
        # a task, not scattered data: a worker that dies takes scattered data with it, a task is recomputed
        shared = client.submit(
            the_classifier, blob, key=f"classifier-{fingerprint[:16]}-{uuid.uuid4().hex[:8]}"
        )
        token = uuid.uuid4().hex[:12]
        futures = [shared]
        paths = []
        try:
            for index, piece in enumerate(_slices(contacts, work, options, dask)):
                path = parts_dir / part_name(index, options.fmt)
                part = Part(index, piece, path)
                futures.append(
                    client.submit(
                        classify_part, part, job, shared, key=f"classify-{token}-{index}", pure=False
                    )
                )
                paths.append(path)
            results = _gather(futures[1:], progress)
        except BaseException:
            client.cancel(futures)
            raise
        if parts:
            _tidy(parts_dir, paths)
        else:
            with output(sink) as out:
                _join(paths, out, options, output_names(header))
    counts: Counter[str] = Counter()
    for result in results:
        counts.update(result.counts)
    return Summary.of(header, columns, classifier, sum(r.rows for r in results), counts)


def _slices(contacts: Contacts, work: Path, options: ClassifyOptions, dask: DaskOptions) -> Iterator[Slice]:
    """The partitions: a Parquet input's own row groups; a CSV's rows written as Parquet files, one by one."""
    if isinstance(contacts, ParquetContacts):
        yield from contacts.slices(dask.partition_size)
        return
    staged = work / "input"
    staged.mkdir()
    writer, rows, index = None, 0, 0
    names = [f"c{i}" for i in range(len(contacts.header))]  # header names may repeat; Parquet's may not
    for table in chunks(contacts.batches(options.chunk_size), options.chunk_size):
        table = table.rename_columns(names)
        while table.num_rows:
            if writer is None:
                path = staged / f"input-{index:05d}.parquet"
                writer = pq.ParquetWriter(path, table.schema, compression="zstd")
            piece = table.slice(0, dask.partition_size - rows)
            writer.write_table(piece)
            rows += piece.num_rows
            table = table.slice(piece.num_rows)
            if rows == dask.partition_size:
                writer.close()
                yield Slice(path, None, rows)
                writer, rows, index = None, 0, index + 1
    if writer is not None:
        writer.close()
        yield Slice(path, None, rows)


def _gather(futures: list[Any], progress: Progress | None) -> list[PartResult]:
    """Every partition's result, in partition order; the first failure ends the run with one line."""
    results: list[PartResult] = []
    rows = 0
    for result in in_order(futures, "classifying contacts"):
        results.append(result)
        rows += result.rows
        if progress:
            progress(rows, len(results) / len(futures))
    return results


def _join(paths: list[Path], out: BinaryIO, options: ClassifyOptions, names: list[str]) -> None:
    """The parts, in order, as one output: CSV's header once, Parquet's row groups rewritten into one file."""
    if options.fmt == "parquet":
        writer = ParquetWriter(out, names)
        for path in paths:
            for batch in pq.ParquetFile(path).iter_batches():
                writer.write(batch.columns)
        writer.close()
        return
    if options.fmt == "csv":
        out.write(csv_header(names, options.delimiter))
    for path in paths:
        with path.open("rb") as part:
            shutil.copyfileobj(part, out, 1 << 20)


def _tidy(folder: Path, paths: list[Path]) -> None:
    """Only the parts stay in a folder of parts (a worker that died may have left a temporary file)."""
    keep = set(paths)
    missing = [p for p in paths if not p.is_file()]
    if missing:  # pragma: no cover - every task returned, so every part was renamed into place
        raise ClassifyError(f"{missing[0]}: a part is missing although its task finished (run again)")
    for path in folder.iterdir():
        if path not in keep:
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
