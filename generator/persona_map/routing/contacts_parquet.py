"""Reading contacts from Parquet, as warehouses export them: a file or a folder of files, with pyarrow datasets.

Every column becomes text, as it would be in a CSV export of the same table (numbers and dates as Arrow
writes them, missing values empty), so the mapping, the classification and every output are the same.
Row groups are read in batches, so memory is bounded by the batch and the file's row-group size.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from persona_map.errors import ClassifyError

SUFFIXES = (".parquet", ".parq", ".pq")


@dataclass(frozen=True)
class Slice:
    """Some row groups of one Parquet file: what one Dask partition reads (all of them when `row_groups` is None)."""

    path: Path
    row_groups: tuple[int, ...] | None = None
    rows: int = 0


def parquet_files(path: Path) -> list[Path]:
    """The Parquet file, or a folder's Parquet files (*.parquet, *.parq, *.pq; not hidden ones) in path order."""
    if not path.is_dir():
        return [path]
    files = sorted(
        p
        for p in path.rglob("*")
        if p.suffix.lower() in SUFFIXES
        and p.is_file()
        and not any(part[:1] in "._" for part in p.relative_to(path).parts)
    )
    if not files:
        raise ClassifyError(
            f"{path}: no Parquet files in this folder (contacts folders hold *.parquet files; pass a CSV file "
            "by its own path)"
        )
    return files


class ParquetContacts:
    """The contacts of Parquet files (or of some of their row groups), as batches of text columns."""

    def __init__(self, slices: list[Slice], shown: str) -> None:
        self.shown = shown
        self.fragments = []
        for part in slices:
            try:
                fragment = next(iter(ds.dataset(part.path, format="parquet").get_fragments()))
                if part.row_groups is not None:
                    fragment = fragment.subset(row_group_ids=list(part.row_groups))
            except (OSError, pa.ArrowException) as e:
                raise ClassifyError(f"{part.path}: not a readable Parquet file ({_first_line(e)})") from None
            self.fragments.append((part.path, fragment))
        if not self.fragments:
            raise ClassifyError(f"{shown}: no Parquet files to read")
        first_path, first = self.fragments[0]
        self.header = first.physical_schema.names
        for path, fragment in self.fragments[1:]:
            if fragment.physical_schema.names != self.header:
                raise ClassifyError(
                    f"{path}: its columns differ from those of {first_path} (every file of a folder needs the "
                    "same columns in the same order)"
                )
        self.total = sum(fragment.count_rows() for _, fragment in self.fragments)
        self.done = 0

    @classmethod
    def open(cls, path: Path) -> ParquetContacts:
        """The contacts of a Parquet file or folder."""
        return cls([Slice(file) for file in parquet_files(path)], str(path))

    @property
    def fraction(self) -> float | None:
        return self.done / self.total if self.total else None

    def batches(self, size: int = 100_000) -> Iterator[pa.RecordBatch]:
        """Every row in file order, `size` rows at a time at most, every column as text."""
        for path, fragment in self.fragments:
            try:
                for batch in fragment.to_batches(
                    schema=fragment.physical_schema, batch_size=size, batch_readahead=1, fragment_readahead=1
                ):
                    if batch.num_rows:
                        self.done += batch.num_rows
                        yield as_text(batch, path)
            except (OSError, pa.ArrowInvalid) as e:
                raise ClassifyError(f"{path}: cannot read the Parquet file ({_first_line(e)})") from None

    def slices(self, rows: int) -> list[Slice]:
        """The row groups in order, gathered into slices of about `rows` rows (a row group is never split)."""
        out: list[Slice] = []
        for path, fragment in self.fragments:
            groups: list[int] = []
            count = 0
            for group in fragment.row_groups:
                if groups and count + group.num_rows > rows:
                    out.append(Slice(path, tuple(groups), count))
                    groups, count = [], 0
                groups.append(group.id)
                count += group.num_rows
            if groups:
                out.append(Slice(path, tuple(groups), count))
        return out

    def close(self) -> None:
        pass


def as_text(batch: pa.RecordBatch, path: Path) -> pa.RecordBatch:
    """Every column as text, missing values as empty text: what a CSV export of the same rows reads as."""
    columns = []
    for name, column in zip(batch.schema.names, batch.columns, strict=True):
        if column.type != pa.string():
            try:
                column = pc.cast(column, pa.string())
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as e:
                raise ClassifyError(
                    f"{path}: column {name!r} is {column.type}, which cannot be read as text "
                    f"({_first_line(e)}); export it as text or leave it out"
                ) from None
        columns.append(column.fill_null("") if column.null_count else column)
    return pa.RecordBatch.from_arrays(columns, names=batch.schema.names)


def _first_line(error: BaseException) -> str:
    return (str(error).splitlines() or [type(error).__name__])[0]
