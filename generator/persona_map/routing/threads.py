"""Reading ahead and writing behind in background threads, so that classifying never waits for the disk.

pyarrow and numpy release the GIL, so on two cores the classification is most of the time. An exception in
a background thread is raised in the thread that hands it work or takes its results. When the consumer stops
early (an error, or a reader that has seen enough), the producer is told to stop, its source is closed and the
thread is joined before anything else happens, so no thread is left reading when the command returns.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")


def read_ahead(items: Iterable[T], depth: int = 1, cancel: Callable[[], None] | None = None) -> Iterator[T]:
    """The items, produced `depth` ahead by a background thread; its exceptions are raised here.

    `cancel` unblocks a producer waiting on its input (e.g. closes the input) when the consumer stops early.
    """
    slots: queue.Queue[tuple[str, Any]] = queue.Queue(depth)
    stop = threading.Event()

    def put(entry: tuple[str, Any]) -> None:
        while not stop.is_set():
            try:
                return slots.put(entry, timeout=0.1)
            except queue.Full:
                continue

    def produce() -> None:
        iterator = iter(items)
        try:
            for item in iterator:
                put(("item", item))
                if stop.is_set():
                    return
            put(("end", None))
        except BaseException as e:  # handed to the consumer, which raises it
            put(("error", e))
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                close()  # a generator's cleanup runs in this thread, now, not at garbage collection

    thread = threading.Thread(target=produce, name="read-contacts", daemon=True)
    thread.start()
    try:
        while True:
            kind, value = slots.get()
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()
        if cancel is not None and thread.is_alive():
            cancel()
        thread.join()


class WriteBehind:
    """Hands items to `handle` in a background thread, one behind; its exceptions are raised here."""

    def __init__(self, handle: Callable[[Any], None]) -> None:
        self.handle = handle
        self.slots: queue.Queue[tuple[Any] | None] = queue.Queue(1)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._drain, name="write-contacts", daemon=True)

    def __enter__(self) -> WriteBehind:
        self.thread.start()
        return self

    def _drain(self) -> None:
        while (item := self.slots.get()) is not None:
            if self.error is None:
                try:
                    self.handle(item[0])
                except BaseException as e:  # raised in the classifying thread
                    self.error = e

    def put(self, item: Any) -> None:
        if self.error is not None:
            raise self.error
        self.slots.put((item,))

    def __exit__(self, kind: type | None, *exc: object) -> None:
        self.slots.put(None)
        self.thread.join()
        if kind is None and self.error is not None:
            raise self.error
