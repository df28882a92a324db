"""What a Dask worker runs for `personas segment --engine dask`: typing a partition's rows as the default
engine types them, assigning and counting them, hashing their ids, and reducing an analytics export's
partition per key. Each task gets the partition's rows (sent by the client) and the run's shared job."""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from persona_map.research.aggregate import Partial
from persona_map.research.events import Events
from persona_map.research.features import FeatureTable
from persona_map.research.fit import assign
from persona_map.research.manifest import Source
from persona_map.research.profiles import tallied_columns
from persona_map.research.read_arrow import TypedColumns
from persona_map.research.tables import finish_frame
from persona_map.research.tally import Tally, tally


@dataclass(frozen=True)
class Part:
    """One partition: its number and the position of its first row in the research."""

    index: int
    start: int


@dataclass
class Job:
    """What every partition of one run shares (sent to every worker once)."""

    spec: Source
    wanted: list[str]
    table: FeatureTable  # roles and labels; its frame holds the other sources' features per key
    fitted: tuple[Any, Any] | None = None  # the preprocessor and the clusterer
    interviewed: frozenset[str] = frozenset()


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
    return indexed(frame, job.spec, part.start, None)


def indexed(frame: pd.DataFrame, spec: Source, start: int, positions: np.ndarray | None) -> pd.DataFrame:
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


def events_part(data: pa.Table, part: Part, spec: Source, wanted: list[str]) -> tuple[Partial, int]:
    """An analytics export's partition reduced per key: (its partial aggregation, its rows without a key)."""
    events = Events(spec, wanted, start=part.start)
    for batch in data.to_batches():
        events.add(batch)
    return events.reduced(), events.unkeyed


def shared_keys(data: pa.Table, key: str, others: dict[str, pd.Index]) -> dict[str, int]:
    """How many of the partition's respondent ids each other source (its distinct keys) has too."""
    ids = data.column(key)
    return {
        sid: int(
            pc.sum(pc.is_in(ids, value_set=pa.array(keys.astype("string").array, type=pa.string()))).as_py()
            or 0
        )
        for sid, keys in others.items()
    }
