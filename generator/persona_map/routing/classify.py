"""`classify`: route CRM contacts to personas by the rules in the persona files and the research model.

Rules (`spec.classification` of each persona; every contact is held against every persona):

- A title phrase must match: the normalised phrase occurs in the normalised title as whole consecutive
  words (generator/persona_map/routing/titles.py). A matching `exclude_titles` phrase rules the persona out.
- Every attribute the contact has AND the rule lists (seniority, department, company size, industry)
  either fits, adding 0.1, or conflicts, ruling the persona out: a persona that lists company sizes means
  those sizes. A seniority column wins over the title; when it is missing or unreadable, the seniority the
  title implies can rule a persona out ("Platform Engineering Intern" is entry level) but adds nothing,
  because the title already counted. A department or industry fits when it or a listed phrase contains
  the other as whole words. A company size fits when every band it overlaps is listed and conflicts when
  none is ("1000+" overlaps listed and unlisted bands: neither).
- confidence = 0.6 for the title + 0.1 per fitting attribute, at most 1.
- The best persona has the highest confidence, then the longest matching phrase (in words), then the
  higher `priority`. Personas equal on all three leave the contact unassigned ("ambiguous: X or Y"), as
  does a best confidence below `min_confidence`. Unassigned contacts get confidence 0, never a guess.

Research model (the last `personas segment`, see `load_model`):

- A contact that carries every column the segmentation used (its `title` stands in for the research's
  `job_title`), at most half of them empty, is placed in the nearest segment (generator/persona_map/routing/model.py), which
  stands for the persona `personas suggest` pairs it with. The model's confidence is the nearest
  segment's membership against the runner-up, d2^2 / (d1^2 + d2^2) for the squared distances to the two
  nearest centres: 1 at a centre, 0.5 halfway between two. It counts when it reaches `min_confidence`
  and at least MODEL_MIN_CONFIDENCE (0.6, what a title match alone scores).
- Rules win when they match confidently: a model that agrees adds 0.1, one that disagrees is named in the
  reason. When no rule matches confidently (or rules tie, or there is no title), a confident model's
  persona is used; otherwise the contact stays unassigned.

Speed: each distinct value of a column is normalised and matched once (scores.py: titles repeat a lot in
CRM exports); the rows are combined with numpy (decide.py) and the reasons assembled with Arrow (reasons.py).

Files (`classify_file`, the `personas classify` command): a CSV (file or stream) or Parquet (file or folder);
every input column is read as text (never inferred) and written back untouched and in order, with
`persona_id`, `persona_name`, `confidence` and `reason` added; in CSV every cell a spreadsheet would run as a
formula is neutralised (contacts_write.py). Memory stays bounded whatever the input and the output: the input
is parsed a few blocks at a time (contacts_read.py), `classify()` sees `chunk_size` rows at a time, one thread
reads ahead and another writes behind (threads.py), and every writer writes each chunk as it comes. `route` is
that loop; the Dask engine (dask_engine.py) runs the same loop on each partition.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from persona_map.errors import ClassifyError
from persona_map.persona import Persona
from persona_map.repository import Repository
from persona_map.routing.contacts_read import chunks, open_contacts
from persona_map.routing.contacts_write import (
    Writer,
    assemble,
    check_target,
    make_writer,
    output,
    output_names,
)
from persona_map.routing.crm_columns import canonical_frame, load_mapping, model_columns, resolve_columns
from persona_map.routing.decide import decide, model_choice
from persona_map.routing.model import load_model, model_labels, segment_personas
from persona_map.routing.rules import COLUMNS, UNASSIGNED, Rule, rules_from_personas
from persona_map.routing.scores import score
from persona_map.routing.threads import WriteBehind, read_ahead

__all__ = [
    "COLUMNS",
    "UNASSIGNED",
    "ClassifyError",
    "ClassifyOptions",
    "Classifier",
    "Rule",
    "Summary",
    "classify",
    "classify_file",
    "load_model",
    "repository",
    "route",
    "model_labels",
    "rules_from_personas",
    "segment_personas",
]

Progress = Callable[[int, float | None], None]  # rows classified, share of the input read (None: unknown)


def classify(
    frame: pd.DataFrame,
    rules: list[Rule] | None = None,
    *,
    personas: list[Persona] | None = None,
    model: dict[str, Any] | None = None,
    min_confidence: float = 0.5,
) -> pd.DataFrame:
    """persona_id, persona_name, confidence (0-1) and reason for every contact, on the frame's index."""
    if "title" not in frame.columns:
        raise ClassifyError("contacts have no 'title' column (map the job-title column to 'title')")
    if rules is None:
        if personas is None:
            raise ClassifyError("classify needs rules or personas")
        rules = rules_from_personas(personas)
    targets = [(r.persona_id, r.persona_name) for r in rules]
    targets += [(p.id, p.name) for p in personas or [] if p.id not in {t[0] for t in targets}]
    scores = score(frame, rules)
    choice = model_choice(frame, model, personas, targets, min_confidence) if model is not None else None
    return decide(frame.index, rules, targets, scores, choice, min_confidence)


@dataclass(frozen=True)
class ClassifyOptions:
    """How to read, map and write a contacts file (`personas classify` options)."""

    fmt: str = "csv"  # csv, jsonl or parquet
    columns: dict[str, str] = field(default_factory=dict)  # canonical name -> input column (--map)
    mapping_file: Path | None = None
    delimiter: str = ","
    encoding: str | None = None
    chunk_size: int = 100_000
    min_confidence: float = 0.5


@dataclass(frozen=True)
class Classifier:
    """What `classify()` needs, loaded once: rules built from the personas, and the segment model if any."""

    rules: list[Rule]
    personas: list[Persona]
    model: dict[str, Any] | None = None

    @classmethod
    def load(cls, repo: Repository, personas: list[Persona], *, use_model: bool = True) -> Classifier:
        """The classifier of already checked personas: their rules and, unless told not to, the last segmentation."""
        return cls(rules_from_personas(personas), personas, load_model(repo, personas) if use_model else None)


@dataclass
class Summary:
    """What a run did: rows, contacts per persona id, and which input column fed each canonical field."""

    rows: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    columns: dict[str, str] = field(default_factory=dict)
    replaced: list[str] = field(default_factory=list)

    @property
    def unassigned_share(self) -> float:
        return self.counts.get(UNASSIGNED, 0) / self.rows if self.rows else 0.0

    @classmethod
    def of(
        cls,
        header: list[str],
        columns: dict[str, int],
        classifier: Classifier,
        rows: int,
        counts: Counter[str],
    ) -> Summary:
        """The summary of a run over `header` that classified `rows` contacts into `counts`."""
        return cls(
            rows,
            dict(counts.most_common()),
            {p.id: p.name for p in classifier.personas},
            {name: header[i] for name, i in columns.items()},
            [name for name in COLUMNS if name in header],
        )


def classify_file(
    source: Path | BinaryIO,
    sink: Path | BinaryIO,
    options: ClassifyOptions,
    classifier: Classifier,
    progress: Progress | None = None,
    shown: str | None = None,
) -> Summary:
    """Classify every contact of `source` (a CSV file or stream, a Parquet file or folder) into `sink`."""
    shown = shown or (str(source) if isinstance(source, Path) else "stdin")
    check_target(sink)
    with open_contacts(source, options.encoding, options.delimiter, shown) as contacts:
        header = contacts.header
        columns = input_columns(header, options, classifier, shown)
        with output(sink) as out:
            writer = make_writer(options.fmt, out, output_names(header), options.delimiter)
            tick = (lambda rows: progress(rows, contacts.fraction)) if progress else None
            tables = chunks(contacts.batches(options.chunk_size), options.chunk_size)
            rows, counts = route(tables, header, columns, writer, options, classifier, tick, contacts.close)
            writer.close()
    return Summary.of(header, columns, classifier, rows, counts)


def input_columns(
    header: list[str], options: ClassifyOptions, classifier: Classifier, shown: str
) -> dict[str, int]:
    """Which input column feeds each canonical field and each column of the research model."""
    mapping = load_mapping(options.mapping_file) if options.mapping_file else {}
    columns = resolve_columns(header, {**mapping, **options.columns}, shown)  # --map wins over the file
    return columns | model_columns(header, classifier.model, set(columns.values()))


def route(
    tables: Iterable[pa.Table],
    header: list[str],
    columns: dict[str, int],
    writer: Writer,
    options: ClassifyOptions,
    classifier: Classifier,
    progress: Callable[[int], None] | None = None,
    cancel: Callable[[], None] | None = None,
) -> tuple[int, Counter[str]]:
    """Classify each table and hand it to `writer`; the rows classified and the contacts per persona id.

    Three threads: one parses and prepares chunks, this one classifies, one assembles and writes. pyarrow and
    numpy release the GIL, so on two cores the classification is most of the time. `cancel` stops the input
    when this stops early.
    """
    counts: Counter[str] = Counter()
    rows = 0
    sizes: dict[str, str] = {}

    def write(item: tuple[pa.Table, pd.DataFrame]) -> None:
        table, result = item
        writer.write(assemble(table, result, header))
        for entry in pc.value_counts(pa.array(result["persona_id"], from_pandas=True)).to_pylist():
            counts[entry["values"]] += entry["counts"]

    prepared = read_ahead(
        ((table, canonical_frame(table, columns, sizes)) for table in tables), cancel=cancel
    )
    with contextlib.closing(prepared), WriteBehind(write) as behind:
        for table, frame in prepared:
            result = classify(
                frame,
                classifier.rules,
                personas=classifier.personas,
                model=classifier.model,
                min_confidence=options.min_confidence,
            )
            behind.put((table, result))
            rows += table.num_rows
            if progress:
                progress(rows)
    return rows, counts


def repository(root: Path | None) -> Repository:
    """The repository whose personas route the contacts: `root`, or the nearest one above the current folder."""
    if root is None:
        here = Path.cwd()
        found = Repository.find(here)
        if found is None:
            raise ClassifyError(
                f"no persona repository: no personas/ folder in {here} or any folder above it (run this "
                "inside the repository, or pass --root with the folder that holds personas/)"
            )
        root = found
    repo = Repository.open(root)
    if not repo.personas_dir.is_dir():
        raise ClassifyError(
            f"--root {root}: no personas/ folder there (pass the folder that holds personas/)"
        )
    return repo
