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


def limit_arenas(count: int = 2) -> None:
    """At most `count` glibc malloc arenas for the process's threads (glibc's default is eight per core).

    Arrow's reader threads, the BLAS pool and the fitting threads each get an arena of their own otherwise,
    and every arena keeps what it freed: at 10 million rows that is about 60 MB of peak memory. Call it
    before the heavy work starts; a no-op where there is no glibc.
    """
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").mallopt(-8, count)  # M_ARENA_MAX
