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

Files (`classify_file`, the `personas classify` command): every input column is read as text (never
inferred) and written back untouched and in order, with `persona_id`, `persona_name`, `confidence` and
`reason` added; in CSV every cell a spreadsheet would run as a formula is neutralised (contacts_write.py).
Memory stays bounded: pyarrow parses the file block by block (contacts_read.py) and `classify()` sees
`chunk_size` rows at a time, while one thread reads ahead and another writes behind (threads.py).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from persona_map.errors import ClassifyError, RecordTooLong
from persona_map.persona import Persona
from persona_map.repository import Repository
from persona_map.routing.contacts_read import Counting, Head, Input, batches, block_sizes, chunks, too_long
from persona_map.routing.contacts_write import CsvWriter, JsonWriter, assemble, output
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
    "model_labels",
    "rules_from_personas",
    "segment_personas",
]

Progress = Callable[[int, int], None]  # rows written, bytes read


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

    fmt: str = "csv"
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


def classify_file(
    source: Path | BinaryIO,
    sink: Path | BinaryIO,
    options: ClassifyOptions,
    classifier: Classifier,
    progress: Progress | None = None,
    shown: str | None = None,
) -> Summary:
    """Classify every contact of `source` (a CSV file or stream) and write the result to `sink`."""
    shown = shown or (str(source) if isinstance(source, Path) else "stdin")
    with Input(source) as raw:
        head = Head.read(raw, shown, options.encoding, options.delimiter)
        columns = resolve_columns(head.header, _explicit(options), shown)
        columns |= model_columns(head.header, classifier.model, set(columns.values()))
        for attempt, block in enumerate(block_sizes(isinstance(source, Path) and isinstance(sink, Path))):
            if attempt:
                raw.seek(len(head.bytes))  # a long cell: start over with room for it
            try:
                with output(sink) as out:
                    return _run(head, raw, out, columns, options, classifier, progress, shown, block)
            except RecordTooLong:
                continue
        raise too_long(shown)


def _run(
    head: Head,
    raw: BinaryIO,
    out: Any,
    columns: dict[str, int],
    options: ClassifyOptions,
    classifier: Classifier,
    progress: Progress | None,
    shown: str,
    block: int,
) -> Summary:
    header = head.header
    summary = Summary(columns={name: header[i] for name, i in columns.items()},
                      names={p.id: p.name for p in classifier.personas},
                      replaced=[name for name in COLUMNS if name in header])  # fmt: skip
    names = [*header, *(n for n in COLUMNS if n not in header)]
    sink = CsvWriter(out, names, options.delimiter) if options.fmt == "csv" else JsonWriter(out, names)
    counts: Counter[str] = Counter()

    def write(item: tuple[pa.Table, pd.DataFrame]) -> None:
        table, result = item
        sink.write(assemble(table, result, header))
        for entry in pc.value_counts(pa.array(result["persona_id"], from_pandas=True)).to_pylist():
            counts[entry["values"]] += entry["counts"]

    # Three threads: one parses and prepares chunks, this one classifies, one assembles and writes.
    # pyarrow and numpy release the GIL, so on two cores the classification is most of the time.
    source = Counting(raw, head) if head.rows else None
    prepared = read_ahead(_prepared(source, head, options, block, shown, columns)) if source else ()
    with WriteBehind(write) as writer:
        for table, frame in prepared:
            result = classify(
                frame,
                classifier.rules,
                personas=classifier.personas,
                model=classifier.model,
                min_confidence=options.min_confidence,
            )
            writer.put((table, result))
            summary.rows += table.num_rows
            if progress and source:
                progress(summary.rows, source.position)
    sink.close()
    summary.counts = dict(counts.most_common())
    return summary


def _prepared(
    source: Counting, head: Head, options: ClassifyOptions, block: int, shown: str, columns: dict[str, int]
) -> Iterator[tuple[pa.Table, pd.DataFrame]]:
    """Each chunk and the contact fields `classify()` reads from it."""
    sizes: dict[str, str] = {}
    for table in chunks(batches(source, head, options.delimiter, block, shown), options.chunk_size):
        yield table, canonical_frame(table, columns, sizes)


def _explicit(options: ClassifyOptions) -> dict[str, str]:
    """The columns named by the mapping file and --map (which wins)."""
    mapping = load_mapping(options.mapping_file) if options.mapping_file else {}
    return {**mapping, **options.columns}
