"""The bytes pyarrow parses: the input from its first byte, read by a thread of ours and handed over a few blocks
ahead of the batches taken, with an end-of-input marker after the last byte.

Why not hand pyarrow the file itself: its streaming CSV reader reads up to 32 blocks ahead in a thread of its
own, so with 64 MB blocks it held a 2 GB input whole (issue 13); and its thread, blocked reading stdin when
the command stops early, aborted the interpreter at exit ("Fatal Python error: PyGILState_Release", issue 10).
Here only our own thread (`pump`) waits on the input; pyarrow's reads wait on a condition we control, may be at
most AHEAD blocks beyond the batches taken (pyarrow makes one batch per block), and get the end of the input
as soon as the feed is stopped. pyarrow lets go of the Python objects it was lent (the stream, each block,
the bad-row handler) in threads of its own, which need the interpreter for that: `lend` counts them and the
reader waits until every one is back (`wait_returned`), so no thread of pyarrow is left inside Python when the
command exits (otherwise: "terminate called without an active exception", from a block freed at exit).

The marker (`END`) lets the reader tell a quote that never closes from a complete file: after a complete
record it is a record of its own; inside an open quote it ends up in the last cell.
"""

from __future__ import annotations

import codecs
import io
import sys
import threading
import weakref
from collections import deque
from typing import BinaryIO, TypeVar

T = TypeVar("T")

END = "\x00persona-map:end-of-input\x00"
AHEAD = 3  # blocks pyarrow may read beyond the batches taken: one being parsed, one to complete it, the end
PIECE = 1 << 20  # what the pump reads at a time
# A liveness guard: pyarrow makes one batch per block, but when the reader has waited this long (seconds) for a
# batch while pyarrow waits for a block, pyarrow gets one more block: the two can never wait on each other.
STALL = 0.2


def end_marker(encoding: str, head: bytes) -> bytes:
    """The end-of-input record in the input's own encoding (UTF-16 in the byte order of its byte-order mark)."""
    name = codecs.lookup(encoding).name
    if name in ("utf-16", "utf-32"):
        boms = {
            "utf-16": (codecs.BOM_UTF16_BE, codecs.BOM_UTF16_LE),
            "utf-32": (codecs.BOM_UTF32_BE, codecs.BOM_UTF32_LE),
        }
        big, little = boms[name]
        name += (
            "-be"
            if head.startswith(big) or (not head.startswith(little) and sys.byteorder == "big")
            else "-le"
        )
    elif name == "utf-8-sig":
        name = "utf-8"
    return f"\n{END}\n".encode(name)


class Feed:
    """`head` (bytes already read), then the rest of `raw`, then `tail`; read through `stream()`, throttled by `took()`."""

    def __init__(self, raw: BinaryIO, head: bytes, tail: bytes, ahead: int = AHEAD) -> None:
        self.raw, self.tail, self.ahead = raw, tail, ahead
        self.pieces: deque[bytes] = deque([head] if head else [])
        self.buffered = self.input = len(head)  # bytes waiting; bytes of the input so far
        self.handed = self.reads = self.taken = self.inside = self.extra = 0
        self.want = 0  # bytes the waiting read needs: the pump buffers at least that much
        self.ended = self.stopped = self.waiting = False
        self.error: BaseException | None = None
        self.cond = threading.Condition()
        self.lent = 0  # objects pyarrow holds (see lend)
        self.refs: dict[int, weakref.ref] = {}  # the weak references, kept alive until they fire
        self.pump = threading.Thread(target=self._pump, name="read-input", daemon=True)
        self.pump.start()

    def stream(self) -> io.RawIOBase:
        """The file object to hand to the parser (lent: see `lend`)."""
        return self.lend(_Stream(self))

    def lend(self, thing: T) -> T:
        """`thing`, counted until the last reference to it goes (whichever thread drops it)."""

        def returned(ref: weakref.ref) -> None:
            with self.cond:
                self.lent -= 1
                self.refs.pop(id(ref), None)
                self.cond.notify_all()

        with self.cond:
            self.lent += 1
            ref = weakref.ref(thing, returned)
            self.refs[id(ref)] = ref
        return thing

    def wait_returned(self, timeout: float = 10.0) -> bool:
        """Wait until pyarrow has let go of everything it was lent; False if it has not within `timeout`."""
        with self.cond:
            return self.cond.wait_for(lambda: self.lent == 0, timeout)

    def _pump(self) -> None:
        read = getattr(self.raw, "read1", self.raw.read)
        try:
            while True:
                with self.cond:
                    while not self.stopped and self.buffered >= max(self.want, 2 * PIECE):
                        self.cond.wait()
                    if self.stopped:
                        return
                data = read(PIECE)  # outside the lock: the only place that waits on the input
                with self.cond:
                    if data:
                        self.pieces.append(data)
                        self.buffered += len(data)
                        self.input += len(data)
                    else:
                        self.pieces.append(self.tail)
                        self.buffered += len(self.tail)
                        self.ended = True
                    self.cond.notify_all()
                    if self.ended:
                        return
        except BaseException as e:  # raised in pyarrow's read, which the reader turns into a message
            with self.cond:
                self.error, self.ended = e, True
                self.cond.notify_all()

    def read(self, size: int = -1) -> bytes | bytearray:
        with self.cond:
            self.inside += 1
            try:
                return self._read(size)
            finally:
                self.inside -= 1
                self.cond.notify_all()

    def _read(self, size: int) -> bytes | bytearray:
        while not self.stopped and not (self.ended and not self.buffered):  # the end is never held back
            if self.reads < self.taken + self.ahead + self.extra:
                break
            if not self.cond.wait(STALL) and self.waiting:
                self.extra += 1  # see STALL
        self.reads += 1
        self.want = size if size >= 0 else 1 << 62
        self.cond.notify_all()
        while not self.stopped and not self.ended and self.buffered < self.want:
            self.cond.wait()
        self.want = 0
        if self.error is not None and not self.stopped:
            raise self.error
        if self.stopped or not self.buffered:
            return b""
        parts, got = [], 0
        while self.pieces and (size < 0 or got < size):
            piece = self.pieces.popleft()
            if size >= 0 and got + len(piece) > size:
                piece, rest = piece[: size - got], piece[size - got :]
                self.pieces.appendleft(rest)
            parts.append(piece)
            got += len(piece)
        self.buffered -= got
        self.handed += got
        block = self.lend(_Block(got))
        with memoryview(block) as view:
            at = 0
            for part in parts:
                view[at : at + len(part)] = part
                at += len(part)
        return block

    @property
    def position(self) -> int:
        """Bytes of the input handed to the parser so far (the end marker is not input)."""
        return min(self.handed, self.input)

    def took(self) -> None:
        """A batch was taken from the parser: it may read one more block."""
        with self.cond:
            self.taken += 1
            self.extra = 0
            self.cond.notify_all()

    def parsing(self, waiting: bool) -> None:
        """Whether the reader is waiting for the parser (its next batch, or its first in `open_csv`; see STALL)."""
        with self.cond:
            self.waiting = waiting
            self.cond.notify_all()

    def stop(self, join: bool = False) -> None:
        """End the input for pyarrow now and wait until no read of pyarrow is inside this object.

        `join` also waits for the pump (only for a file about to be read again: a pump waiting on a pipe
        would wait for its writer).
        """
        with self.cond:
            self.stopped = True
            self.cond.notify_all()
            for _ in range(50):  # reads return at once when stopped; the bound is a guard, not a wait
                if not self.inside:
                    break
                self.cond.wait(0.1)
        if join:
            self.pump.join()


class _Block(bytearray):
    """A block of input handed to pyarrow (a bytearray subclass can be referred to weakly; bytes cannot)."""


class _Stream(io.RawIOBase):
    """A feed as a file object: what the parser holds (and may drop in a thread of its own)."""

    def __init__(self, feed: Feed) -> None:
        super().__init__()
        self.feed = feed

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes | bytearray:
        return self.feed.read(size)

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self.feed.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)
