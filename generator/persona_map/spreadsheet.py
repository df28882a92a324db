"""Text safe to open in a spreadsheet: a cell Excel or Google Sheets would run as a formula is shown as text.

Every cell that begins with =, +, -, @, a tab or a carriage return gets a leading apostrophe (OWASP's advice
on CSV injection), in every CSV Persona Map writes: classified contacts and segment assignments.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

DANGEROUS = b"=+-@\t\r"
_DANGEROUS = np.frombuffer(DANGEROUS, dtype=np.uint8)


def neutralise(column: pa.Array) -> pa.Array:
    """Prefix `'` to every cell beginning with = + - @ tab or CR, so a spreadsheet shows it as text."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    if column.type not in (pa.string(), pa.large_string()) or len(column) == 0:
        return column
    _, offsets, data = column.buffers()
    width = np.int32 if column.type == pa.string() else np.int64
    starts = np.frombuffer(offsets, dtype=width)[column.offset : column.offset + len(column) + 1]
    if data is None or starts[-1] == starts[0]:
        return column
    first = np.frombuffer(data, dtype=np.uint8)[np.minimum(starts[:-1], starts[-1] - 1)]
    mask = np.isin(first, _DANGEROUS) & (starts[1:] > starts[:-1])
    if column.null_count:
        mask &= ~column.is_null().to_numpy(zero_copy_only=False)
    if not mask.any():
        return column
    # Insert the quote into the data buffer and shift the offsets: no per-cell string work.
    body = np.frombuffer(data, dtype=np.uint8)[starts[0] : starts[-1]]
    relative = starts - starts[0]
    quoted = np.insert(body, relative[:-1][mask], ord("'"))
    shifted = relative + np.concatenate([[0], np.cumsum(mask)]).astype(width)
    return pa.Array.from_buffers(
        column.type,
        len(column),
        [column.buffers()[0] and _validity(column), pa.py_buffer(shifted), pa.py_buffer(quoted)],
        null_count=column.null_count,
    )


def _validity(column: pa.Array) -> pa.Buffer:
    return pa.array(column.is_valid().to_numpy(zero_copy_only=False)).buffers()[1]
