"""`personas segment --engine dask`: the same segmentation, with every row assigned and counted by Dask
workers, partition by partition.

- Reading. This machine streams the survey once with the project's own readers (CSV block by block, so a
  line break inside a quoted cell never splits a record as Dask's byte-range CSV reader would; Parquet batch
  by batch), checks it as the default engine does and sends each partition's typed rows to the cluster,
  holding one partition at a time. The other sources (analytics per key, interviews) are read here and sent
  to every worker once.
- Fitting. While streaming, it keeps the sample the default engine fits on (research.sampling: the same
  rows, whatever the partitioning), so k, the structure test and stability are fitted here exactly as the
  default engine fits them (research.fit).
- Assignment and profiles. Each worker assigns its partitions' rows to the nearest segment and counts them
  (research.tally); the counts add up, in partition order, into the same profiles. assignments.csv is
  written here from the workers' labels one partition at a time, under a temporary name renamed when
  complete; segments.json and report.md follow, as with the default engine, in the same place.
- Repeated respondent ids are found by the workers' hashes of their keys (8 bytes a respondent on this
  machine); equal hashes are settled on the exact keys.
"""

from __future__ import annotations

import pickle
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from operator import itemgetter
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from persona_map.atomic import atomic_output
from persona_map.csv_files import detect
from persona_map.dask_cluster import DaskOptions, cluster_client, in_order, results
from persona_map.errors import SegmentError
from persona_map.findings import Finding
from persona_map.repository import Repository
from persona_map.research.features import FeatureTable, build_table
from persona_map.research.fit import Fitted, assign, column_notes, model_export, result
from persona_map.research.interviews import language_notes, participant_turns
from persona_map.research.manifest import Manifest, Source
from persona_map.research.profiles import segments_from, tallied_columns
from persona_map.research.read_arrow import TypedColumns, stream_into
from persona_map.research.read_parquet import parquet_header, stream_parquet
from persona_map.research.results import RESULTS_DIR
from persona_map.research.sampling import Smallest, draws
from persona_map.research.segmentation import Progress, SegmentOptions, SegmentResult
from persona_map.research.sources import Research, load_research, read_source
from persona_map.research.tables import finish_frame
from persona_map.research.tally import Tally, tally
from persona_map.spreadsheet import neutralise


@dataclass(frozen=True)
class Part:
    """One partition: its number and the position of its first row in the research."""

    index: int
    start: int
    rows: int


@dataclass
class Job:
    """What every partition of one run shares (sent to every worker once)."""

    spec: Source
    wanted: list[str]
    table: FeatureTable  # roles and labels; its frame holds the other sources' features per key
    fitted: tuple[Any, Any] | None = None  # the preprocessor and the clusterer
    interviewed: frozenset[str] = frozenset()


def segment_dask(
    repo: Repository,
    manifest: Manifest,
    options: SegmentOptions,
    dask: DaskOptions,
    inputs: str,
    step: Progress,
    today: date | None,
) -> tuple[SegmentResult | None, list[Finding]]:
    """Segment the research on a Dask cluster and write its results; the findings say why not."""
    base = _base(manifest)
    path = repo.research_dir / base.file
    shown = repo.display(path)
    step("reading research")
    others = [sid for sid, s in manifest.sources.items() if sid != base.id and s.exists]
    research, findings = load_research(repo, manifest, others)
    if any(f.is_error for f in findings):
        return None, findings
    with cluster_client(dask) as client:
        step("sending the rows to the workers")
        feed = _stream(client, path, base, shown, options, dask.partition_size)
        if feed is None:  # something is off: the default reader says exactly what and where
            frame, problems = read_source(path, base, shown)
            if frame is None or any(p.is_error for p in problems):
                return None, findings + problems
            raise SegmentError(
                f"{shown}: the Dask engine reads UTF-8 or Latin-1 files it can stream; convert it, "
                "or use the default engine"
            )
        if feed.rows < 3:
            raise SegmentError(f"{feed.rows} respondents in the research: segmenting needs at least 3")
        turns = participant_turns(research)
        job = Job(base, feed.wanted, _shell(research, base, feed.wanted), interviewed=frozenset(turns.keys))
        fitted = Fitted(job.table.with_frame(joined(feed.sample(), job)), options, step)
        step("assigning every respondent on the workers")
        job.fitted = (fitted.pre, fitted.clusterer)
        shared = client.scatter(pickle.dumps(job), broadcast=True, hash=False)
        done = [client.submit(assign_part, data, part, shared, pure=False) for data, part in feed.parts]
        feed.parts.clear()
        labels = [client.submit(itemgetter(0), f, pure=False) for f in done]
        counts = [client.submit(itemgetter(1), f, pure=False) for f in done]
        del done
        counted = Tally(fitted.k)
        for part in in_order(counts, "assigning and counting"):
            counted.merge(part)
        order = np.argsort(-counted.sizes, kind="stable")
        step("profiling segments")
        counted = _reordered(counted, order)
        table = job.table.with_frame(pd.DataFrame())
        segmentation = result(
            options, inputs, today, fitted.clusterer, fitted.checks(),
            respondents=feed.rows, features=fitted.X.shape[1], segments=segments_from(counted, table, turns),
            model=model_export(fitted.pre, fitted.clusterer, order, table),
            columns=column_notes(table, counted.missing), notes=language_notes(turns),
            unit="respondents",
        )  # fmt: skip
        _write_assignments(repo, segmentation, labels, order)
    return segmentation, findings


def _base(manifest: Manifest) -> Source:
    for source in manifest.sources.values():
        if source.kind == "survey" and source.exists:
            return source
    raise SegmentError(
        "the Dask engine segments survey respondents: declare a survey in research/manifest.yaml, or use "
        "the default engine (analytics are aggregated per account on one machine)"
    )


def _stream(
    client: Any, path: Path, spec: Source, shown: str, options: SegmentOptions, size: int
) -> _Feed | None:
    """The survey streamed to the cluster partition by partition, or None when it is not clean."""

    def feed(spec: Source, wanted: list[str]) -> _Feed:
        for earlier in made:  # an earlier attempt that stopped part-way
            earlier.discard()
        made.append(_Feed(client, spec, wanted, size, options))
        return made[-1]

    made: list[_Feed] = []
    if spec.parquet:
        header = parquet_header(path)
        found = stream_parquet(path, spec, shown, header, feed)[0] if header is not None else None
        found = None if found is None or found.repeated else found  # stream_parquet stops only for tables
    else:
        fmt, _ = detect(path, shown, delimiter=spec.delimiter, encoding=spec.encoding, columns=spec.columns)
        found = stream_into(path, spec, fmt, list(fmt.header), feed) if fmt and fmt.ascii_compatible else None
    if found is None:
        for earlier in made:
            earlier.discard()
    return found


class _Feed:
    """Where the survey's checked blocks go: into partitions on the cluster, and the fitting sample here."""

    def __init__(
        self, client: Any, spec: Source, wanted: list[str], size: int, options: SegmentOptions
    ) -> None:
        self.client, self.spec, self.wanted, self.size, self.seed = client, spec, wanted, size, options.seed
        self.parts: list[tuple[Any, Part]] = []
        self.pending: list[pa.RecordBatch] = []
        self.rows = self.sent = 0
        self.smallest = Smallest(options.fit_sample)
        self.candidates = TypedColumns(spec, wanted, check_keys=False)  # sees every block's categories
        self.positions: list[np.ndarray] = []
        self.keyed = spec.kind == "survey" and bool(spec.key) and spec.key in wanted
        self.hashes: list[Any] = []  # per partition: its ids' hashes, computed on the workers meanwhile
        self.sender = ThreadPoolExecutor(1)  # sends a partition while the next one is parsed
        self.sending: Future | None = None
        self.repeated = False

    def add(self, batch: pa.RecordBatch) -> None:
        positions = np.arange(self.rows, self.rows + batch.num_rows)
        keep = self.smallest.offer(draws(self.seed, self.rows, batch.num_rows), positions)
        self.candidates.add(batch.filter(pa.array(keep)))
        self.positions.append(positions[keep])
        self.rows += batch.num_rows
        while batch.num_rows:  # partitions of exactly `size` rows (the last one fewer)
            room = self.size - sum(b.num_rows for b in self.pending)
            self.pending.append(batch.slice(0, room))
            batch = batch.slice(room)
            if room <= self.pending[-1].num_rows:
                self._send()

    def _send(self) -> None:
        if self.pending:
            data = pa.Table.from_batches(self.pending)
            if self.sending is not None:
                self.sending.result()  # one partition in flight at a time: memory holds two at most
            self.sending = self.sender.submit(
                self._scatter, data, Part(len(self.parts), self.sent, data.num_rows)
            )
            self.pending, self.sent = [], self.sent + data.num_rows

    def _scatter(self, data: pa.Table, part: Part) -> None:
        future = self.client.scatter(data, hash=False)
        self.parts.append((future, part))
        if self.keyed:
            self.hashes.append(self.client.submit(key_hashes, future, self.spec.key, pure=False))

    def repeats(self) -> bool:
        """Whether a respondent id occurs twice (called once every block is in)."""
        self.repeated = self._repeats()
        return self.repeated

    def _repeats(self) -> bool:
        self._send()
        if self.sending is not None:
            self.sending.result()
        self.sender.shutdown()
        if not self.keyed or self.rows < 2:
            return False
        together = np.concatenate(results(self.hashes, "checking ids"))
        self.hashes.clear()
        together.sort()
        equal = together[1:][together[1:] == together[:-1]]
        if not len(equal):
            return False
        wanted = set(equal.tolist())
        key = self.spec.key
        found = results(
            [self.client.submit(keys_hashed, d, key, wanted, pure=False) for d, _ in self.parts],
            "checking ids",
        )
        return any(n > 1 for n in Counter(k for keys in found for k in keys).values())

    def sample(self) -> pd.DataFrame:
        """The rows the model is fitted on (those the default engine fits on), in order."""
        frame = finish_frame(self.candidates.frame(), self.spec)
        positions = np.concatenate(self.positions)
        chosen = self.smallest.chosen()
        frame = frame.iloc[np.searchsorted(positions, chosen)].reset_index(drop=True)
        return _indexed(frame, self.spec, int(chosen[0]) if len(chosen) else 0, chosen)

    def discard(self) -> None:
        self.sender.shutdown()
        self.client.cancel([future for future, _ in self.parts] + self.hashes)
        self.parts.clear()


def _shell(research: Research, base: Source, wanted: list[str]) -> FeatureTable:
    """The feature table's columns, roles and labels, with the other sources' features per key as its frame
    (what the workers join every partition with)."""
    empty = pd.DataFrame({name: pd.Series(dtype="string") for name in wanted})
    research.specs[base.id], research.frames[base.id] = base, finish_frame(empty, base)
    table = build_table(research)  # no rows: the survey's columns joined with the others' features
    del research.frames[base.id]
    features = pd.DataFrame()
    for sid in research.by_kind("analytics"):  # aggregated per key as they were read
        found = research.features(sid) if base.key else None
        if found is not None:
            features = found.frame if features.empty else features.join(found.frame, how="outer")
    return table.with_frame(features)


# ------------------------------------------------------------------------------------------ on workers


def joined(frame: pd.DataFrame, job: Job) -> pd.DataFrame:
    """Survey rows (indexed by respondent) with their feature columns and the other sources' features."""
    own = frame[[c for c in job.table.roles if c in frame]]
    extra = [c for c in job.table.roles if c not in frame]
    if extra:
        own = own.join(job.table.frame[extra], how="left")
    for name in job.table.columns("multi-select"):
        if not isinstance(own[name].dtype, pd.CategoricalDtype):
            own[name] = own[name].astype("category")
    return own


def read_part(data: pa.Table, part: Part, job: Job) -> pd.DataFrame:
    """A partition's rows, typed by their roles like the default engine's, indexed by respondent."""
    columns = TypedColumns(job.spec, job.wanted, check_keys=False)
    for batch in data.to_batches():
        columns.add(batch)
    frame = finish_frame(columns.frame(), job.spec)
    return _indexed(frame, job.spec, part.start, None)


def _indexed(frame: pd.DataFrame, spec: Source, start: int, positions: np.ndarray | None) -> pd.DataFrame:
    if spec.key and spec.key in frame:
        frame = frame.set_index(spec.key)
    else:  # no key: respondents are numbered by their position, as the default engine numbers them
        frame.index = (
            pd.Index(positions) if positions is not None else pd.RangeIndex(start, start + len(frame))
        )
    frame.index.name = spec.key or "row"
    return frame


def assign_part(data: pa.Table, part: Part, blob: bytes) -> tuple[pa.Table, Tally]:
    """The partition's rows assigned to segments: (their keys and segments, their tally)."""
    job = _job(blob)
    frame = joined(read_part(data, part, job), job)
    pre, clusterer = job.fitted
    labels = assign(pre, clusterer, frame) if len(frame) else np.zeros(0, dtype=np.int16)
    keys = pa.array(frame.index.astype("string").array, type=pa.string())
    counted = tally(
        frame, labels.astype(np.int64), clusterer.n_clusters_, tallied_columns(job.table), job.interviewed
    )
    return pa.table({"key": keys, "segment": pa.array(labels, type=pa.int16())}), counted


def key_hashes(data: pa.Table, key: str) -> np.ndarray:
    """A 64-bit hash of every respondent id of a partition (missing ids hash alike)."""
    return pd.util.hash_pandas_object(data.column(key).to_pandas(), index=False).to_numpy()


def keys_hashed(data: pa.Table, key: str, hashes: set[int]) -> list[str | None]:
    """The partition's respondent ids whose hash is one of `hashes`."""
    mine = key_hashes(data, key)
    return data.column(key).filter(pa.array(np.isin(mine, list(hashes)))).to_pylist()


_jobs: dict[int, Job] = {}


def _job(blob: bytes) -> Job:
    """The job, unpickled once per worker process and run."""
    key = hash(blob)
    if key not in _jobs:
        _jobs.clear()
        _jobs[key] = pickle.loads(blob)  # noqa: S301 - bytes this run's client pickled
    return _jobs[key]


# ------------------------------------------------------------------------------------------ on the client


def _reordered(counted: Tally, order: np.ndarray) -> Tally:
    """The tally with its segments renumbered largest first (S1 is the biggest)."""
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    out = Tally(counted.k, counted.sizes[order])
    out.counts = {c: {v: n[order] for v, n in values.items()} for c, values in counted.counts.items()}
    out.moments = {c: m[:, order] for c, m in counted.moments.items()}
    out.interviewed = {key: int(rank[label]) for key, label in counted.interviewed.items()}
    out.missing = counted.missing
    return out


def _write_assignments(
    repo: Repository, segmentation: SegmentResult, parts: list[Any], order: np.ndarray
) -> None:
    """assignments.csv from the workers' labels in partition order, segments renumbered; complete or not at all."""
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    ids = pa.array([s.id for s in segmentation.segments])
    schema = pa.schema([("key", pa.string()), ("segment", pa.string())])
    folder = repo.root / RESULTS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    with atomic_output(folder / "assignments.csv") as handle, pacsv.CSVWriter(handle, schema) as writer:
        for part in in_order(parts, "writing the assignments"):
            if part.num_rows:
                labels = pa.array(rank[part.column("segment").to_numpy()])
                writer.write_batch(
                    pa.record_batch([neutralise(part.column("key")), ids.take(labels)], schema=schema)
                )
