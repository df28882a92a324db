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

Dask is an optional extra (`pip install 'persona-map[dask]'`), imported only here and only when used.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import pyarrow.parquet as pq

from persona_map.atomic import atomic_folder, scratch_folder
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
)
from persona_map.routing.dask_parts import (
    Job,
    Part,
    PartResult,
    classify_part,
    pickled,
    the_classifier,
    worker_version,
)

INSTALL = "pip install 'persona-map[dask]'"
SUFFIX = {"csv": ".csv", "jsonl": ".jsonl", "parquet": ".parquet"}


@dataclass(frozen=True)
class DaskOptions:
    """Where to run: an existing cluster (`scheduler`) or a local one of `workers` processes; how to cut."""

    scheduler: str | None = None
    workers: int | None = None
    partition_size: int = 1_000_000
    parts: bool = False  # the sink is a folder: one file per partition


def dask_modules() -> Any:
    """dask.distributed, or a one-line error saying how to install it."""
    try:
        import distributed
    except ImportError as e:
        raise ClassifyError(f"--engine dask needs Dask, which is not installed: {INSTALL}") from e
    return distributed


def classify_file(
    source: Path | BinaryIO,
    sink: Path | BinaryIO,
    options: ClassifyOptions,
    classifier: Classifier,
    dask: DaskOptions,
    progress: Progress | None = None,
    shown: str | None = None,
) -> Summary:
    """Classify every contact of `source` on a Dask cluster into `sink` (a file, a folder of parts, a stream)."""
    distributed = dask_modules()
    shown = shown or (str(source) if isinstance(source, Path) else "stdin")
    source = source.absolute() if isinstance(source, Path) else source
    near = sink.absolute() if isinstance(sink, Path) else None
    if dask.parts and near is None:
        raise ClassifyError("one file per partition needs --out DIR/")
    check_target(sink, folder=dask.parts)
    with contextlib.ExitStack() as stack:
        contacts = stack.enter_context(open_contacts(source, options.encoding, options.delimiter, shown))
        header = contacts.header
        columns = input_columns(header, options, classifier, shown)  # bad input fails before a cluster starts
        client = stack.enter_context(_client(distributed, dask))
        blob, fingerprint = pickled(classifier)
        job = Job(header, columns, options, fingerprint, headers=dask.parts)
        work = stack.enter_context(scratch_folder(near))
        parts_dir = stack.enter_context(atomic_folder(near)) if dask.parts and near else work / "parts"
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
                path = parts_dir / f"part-{index:05d}{SUFFIX[options.fmt]}"
                part = Part(index, piece, path)
                futures.append(
                    client.submit(
                        classify_part, part, job, shared, key=f"classify-{token}-{index}", pure=False
                    )
                )
                paths.append(path)
            results = _gather(distributed, futures[1:], progress, sink)
        except BaseException:
            client.cancel(futures)
            raise
        if dask.parts:
            _tidy(parts_dir, paths)
        else:
            with output(sink) as out:
                _join(paths, out, options, output_names(header))
    counts: Counter[str] = Counter()
    for result in results:
        counts.update(result.counts)
    return Summary.of(header, columns, classifier, sum(r.rows for r in results), counts)


@contextlib.contextmanager
def _client(distributed: Any, dask: DaskOptions) -> Iterator[Any]:
    """A client of the cluster at `dask.scheduler`, or of a local cluster that lives as long as the run."""
    with contextlib.ExitStack() as stack:
        if dask.scheduler:
            try:
                client = stack.enter_context(distributed.Client(dask.scheduler))  # Dask's connect timeout
            except (OSError, TimeoutError) as e:
                raise ClassifyError(
                    f"cannot reach the Dask scheduler at {dask.scheduler} ({e}); check the address "
                    "(e.g. tcp://scheduler:8786) and that the cluster runs"
                ) from None
        else:
            import dask as dask_config

            # Dask starts workers with MALLOC_TRIM_THRESHOLD_=65536, which made classifying 20-30% slower here
            environ = dict(dask_config.config.get("distributed.nanny.pre-spawn-environ", {}))
            environ.pop("MALLOC_TRIM_THRESHOLD_", None)
            stack.enter_context(dask_config.config.set({"distributed.nanny.pre-spawn-environ": environ}))
            cluster = stack.enter_context(
                distributed.LocalCluster(
                    n_workers=dask.workers or os.cpu_count() or 1,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=":0",
                    silence_logs=logging.CRITICAL,
                )
            )
            client = stack.enter_context(distributed.Client(cluster))
        _check_workers(client, dask)
        yield client


def _check_workers(client: Any, dask: DaskOptions) -> None:
    """Workers that are there and run the same persona-map as this machine."""
    try:
        client.wait_for_workers(1, timeout=60)
    except TimeoutError:
        raise ClassifyError(
            f"the Dask cluster at {dask.scheduler} has no workers (start some, then run again)"
        ) from None
    try:
        versions = set(client.run(worker_version).values())
    except Exception as e:
        raise ClassifyError(
            f"the Dask workers cannot run persona-map ({type(e).__name__}: {e}); install it on every worker: {INSTALL}"
        ) from None
    ours = worker_version()
    if versions != {ours}:
        raise ClassifyError(
            f"the Dask workers run persona-map {', '.join(sorted(versions))}, this machine {ours}: install the "
            "same version everywhere"
        )


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


def _gather(
    distributed: Any, futures: list[Any], progress: Progress | None, sink: Path | BinaryIO
) -> list[PartResult]:
    """Every partition's result, in partition order; the first failure ends the run with one line."""
    results: list[PartResult] = []
    rows = 0
    where = f" to {sink}" if isinstance(sink, Path) else ""
    for future in distributed.as_completed(futures):
        try:
            result = future.result()
        except ClassifyError:
            raise
        except distributed.scheduler.KilledWorker as e:
            raise ClassifyError(
                f"Dask workers kept dying while classifying a partition ({e}); nothing was written{where} "
                "(give the workers more memory, or lower --partition-size or --chunk-size)"
            ) from None
        except Exception as e:
            raise ClassifyError(
                f"the Dask run failed ({type(e).__name__}: {e}); nothing was written{where}"
            ) from None
        results.append(result)
        rows += result.rows
        if progress:
            progress(rows, len(results) / len(futures))
    return sorted(results, key=lambda r: r.index)


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
