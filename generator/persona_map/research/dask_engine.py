"""`personas segment --engine dask`: the same segmentation, with the rows read once here and assigned,
counted and aggregated by Dask workers, partition by partition.

- Reading. Every survey and analytics export is streamed once, on this machine, by the project's own readers
  and sent to the cluster in partitions (research.dask_stream); its header and values are checked as the
  default engine checks them, and a source that is not clean gets the default reader's findings. Interviews
  are small and read here.
- Analytics exports are reduced per key on the workers, a partition each (research.aggregate's partials),
  and the partials merged here in partition order: the same features as the default engine's.
- A survey: while streaming, this machine keeps the sample the default engine fits on (research.sampling:
  the same rows, whatever the partitioning) and fits k, the structure test and stability on it exactly as
  the default engine does (research.fit). The workers assign their partitions' rows to the nearest segment
  and count them (research.tally); the counts add up, in partition order, into the same profiles.
  assignments.csv is written here from the workers' labels one partition at a time, under a temporary name
  renamed when complete. Repeated respondent ids are found from the workers' hashes of them (8 bytes a
  respondent here; equal hashes are settled on the exact ids), and whether the sources' keys join is
  counted on the workers too.
- Research of accounts only (analytics exports, no survey): one row per account once aggregated, segmented
  here by the default engine.
"""

from __future__ import annotations

import pickle
from datetime import date
from operator import itemgetter
from typing import Any

import numpy as np
import pandas as pd

from persona_map.dask_cluster import DaskOptions, cluster_client, in_order, results
from persona_map.errors import SegmentError
from persona_map.findings import Finding
from persona_map.repository import Repository
from persona_map.research.aggregate import Aggregated
from persona_map.research.dask_parts import Job, assign_part, joined, shared_keys
from persona_map.research.dask_stream import ExportFeed, SurveyFeed, stream
from persona_map.research.default_engine import segment, too_few
from persona_map.research.features import FeatureTable, build_table
from persona_map.research.fit import Fitted, column_notes, model_export, ranks, result
from persona_map.research.interviews import language_notes, participant_turns
from persona_map.research.manifest import Manifest, Source
from persona_map.research.profiles import segments_from
from persona_map.research.results import RESULTS_DIR, write_assignments
from persona_map.research.segmentation import Progress, SegmentOptions, SegmentResult
from persona_map.research.sources import (
    Research,
    aggregate_source,
    join_findings,
    key_sets,
    load_research,
    read_source,
    source_header,
    unkeyed_findings,
)
from persona_map.research.tables import finish_frame
from persona_map.research.tally import Tally


def segment_dask(
    repo: Repository,
    manifest: Manifest,
    options: SegmentOptions,
    dask: DaskOptions,
    inputs: str,
    step: Progress,
    today: date | None,
) -> tuple[SegmentResult | None, list[Finding]]:
    """Segment the research on a Dask cluster (writing assignments.csv); the findings say why not."""
    readable = [s for s in manifest.sources.values() if s.exists]
    surveys = [s for s in readable if s.kind == "survey"]
    exports = [s for s in readable if s.kind == "analytics"]
    if not surveys and not exports:
        raise SegmentError(
            "the Dask engine segments surveys and analytics exports; interviews alone are small enough for "
            "the default engine (leave out --engine dask)"
        )
    step("reading research")
    here = [s.id for s in readable if s.kind not in ("survey", "analytics")]
    research, findings = load_research(repo, manifest, here, check_joins=False)
    with cluster_client(dask) as client:
        for spec in exports:
            found, problems = _aggregate(client, repo, spec, dask.partition_size)
            findings += problems
            research.specs[spec.id] = spec
            if found is not None:
                research.aggregated[spec.id] = found
        if not surveys:  # accounts: one row each once aggregated, few enough for this machine
            findings += join_findings(research, repo)
            if any(f.is_error for f in findings):
                return None, findings
            return segment(research, options, inputs, step, today), findings
        return _survey(client, repo, research, surveys[0], options, dask, (inputs, step, today), findings)


def _aggregate(
    client: Any, repo: Repository, spec: Source, size: int
) -> tuple[Aggregated | None, list[Finding]]:
    """An analytics export reduced per key on the workers, or the default reader's findings."""
    path = repo.research_dir / spec.file
    shown = repo.display(path)
    fmt, header, findings = source_header(path, spec, shown)
    if header is None or any(f.is_error for f in findings):
        return None, findings
    feed = stream(path, spec, shown, fmt, header, lambda s, w: ExportFeed(client, s, w, size))
    if feed is None:  # not clean, or an encoding only the row-by-row reader reads: say what, or read it here
        return aggregate_source(path, spec, shown)
    state, unkeyed = feed.reduced()
    if spec.key in feed.wanted:
        findings += unkeyed_findings(spec, shown, unkeyed, feed.rows)
    return state.finish(), findings


def _survey(
    client: Any,
    repo: Repository,
    research: Research,
    base: Source,
    options: SegmentOptions,
    dask: DaskOptions,
    run: tuple[str, Progress, date | None],
    findings: list[Finding],
) -> tuple[SegmentResult | None, list[Finding]]:
    inputs, step, today = run
    path = repo.research_dir / base.file
    shown = repo.display(path)
    fmt, header, problems = source_header(path, base, shown)
    findings += problems
    if header is None or any(f.is_error for f in findings):
        return None, findings
    step("sending the rows to the workers")
    size = dask.partition_size
    feed = stream(
        path,
        base,
        shown,
        fmt,
        header,
        lambda s, w: SurveyFeed(client, s, w, size, options.seed, options.fit_sample),
    )
    if feed is None:  # something is off: the default reader says exactly what and where
        frame, problems = read_source(path, base, shown)
        if frame is None or any(p.is_error for p in problems):
            return None, findings + problems
        raise SegmentError(
            f"{shown}: the Dask engine reads the UTF-8 or Latin-1 files it can stream; convert it, or use the "
            "default engine"
        )
    if any(f.is_error for f in findings):  # an export's, reported with the survey's like the default engine
        feed.discard()
        return None, findings
    research.specs[base.id] = base
    findings += _joins(client, repo, research, base, feed)
    if any(f.is_error for f in findings):
        return None, findings
    if feed.rows < 3:
        raise too_few(feed.rows)
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
        columns=column_notes(table, counted.missing), notes=language_notes(turns), unit="respondents",
    )  # fmt: skip
    _write_assignments(repo, segmentation, labels, order)
    return segmentation, findings


def _joins(
    client: Any, repo: Repository, research: Research, base: Source, feed: SurveyFeed
) -> list[Finding]:
    """Whether every keyed source shares keys with the others, the survey's counted on the workers."""
    if not base.key or base.key not in feed.wanted:
        return join_findings(research, repo)
    others = key_sets(research)
    if not others:
        return []
    [sets] = client.scatter([others], broadcast=True, hash=False)  # sent to every worker once
    counts = results(
        [client.submit(shared_keys, data, base.key, sets, pure=False) for data, _ in feed.parts],
        "matching the sources' keys",
    )
    shared = {sid: sum(c[sid] for c in counts) for sid in others}
    return join_findings(research, repo, (base, shared))


def _shell(research: Research, base: Source, wanted: list[str]) -> FeatureTable:
    """The feature table's columns, roles and labels, with the other sources' features per key as its frame
    (what the workers join every partition with)."""
    empty = pd.DataFrame({name: pd.Series(dtype="string") for name in wanted})
    research.specs[base.id], research.frames[base.id] = base, finish_frame(empty, base)
    table = build_table(research)  # no rows: the survey's columns joined with the others' features
    del research.frames[base.id]
    features: pd.DataFrame | None = None  # not `.empty`: an export with no kept rows still has its columns
    for sid in research.by_kind("analytics"):  # aggregated per key as they were read
        found = research.features(sid) if base.key else None
        if found is not None:
            features = found.frame if features is None else features.join(found.frame, how="outer")
    return table.with_frame(pd.DataFrame() if features is None else features)


def _reordered(counted: Tally, order: np.ndarray) -> Tally:
    """The tally with its segments renumbered largest first (S1 is the biggest)."""
    rank = ranks(order)
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
    rank = ranks(order)
    folder = repo.root / RESULTS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    chunks = (
        (part.column("key"), rank[part.column("segment").to_numpy()])
        for part in in_order(parts, "writing the assignments")
        if part.num_rows
    )
    write_assignments(folder / "assignments.csv", [s.id for s in segmentation.segments], chunks)
