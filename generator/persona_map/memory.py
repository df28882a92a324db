"""Handing freed memory back to the operating system between the big steps of a long run.

glibc keeps freed blocks for reuse; after a phase that allocated and freed hundreds of megabytes (reading a
file block by block, assigning ten million rows), the process would otherwise keep its peak size to the end.
"""

from __future__ import annotations

import contextlib
import ctypes


def release_memory() -> None:
    """Return freed heap memory to the system (glibc's malloc_trim); a no-op where there is no glibc."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
