"""A Dask cluster to run on, for the commands' `--engine dask`: an existing one (`--scheduler ADDRESS`, any
deployment: Kubernetes, YARN, a cloud service) or a local one that lives as long as the run.

Dask is an optional extra (`pip install 'persona-map[dask]'`), imported only when the engine is asked for.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import persona_map
from persona_map.errors import EngineError, PersonaError

INSTALL = "pip install 'persona-map[dask]'"


@dataclass(frozen=True)
class DaskOptions:
    """Where to run: an existing cluster (`scheduler`) or a local one of `workers` processes; how to cut."""

    scheduler: str | None = None
    workers: int | None = None
    partition_size: int = 1_000_000
    timeout: float = 20.0  # seconds to reach the scheduler


def dask_modules() -> Any:
    """dask.distributed, or a one-line error saying how to install it."""
    try:
        import distributed
    except ImportError as e:
        raise EngineError(f"--engine dask needs Dask, which is not installed: {INSTALL}") from e
    return distributed


@contextlib.contextmanager
def cluster_client(dask: DaskOptions) -> Iterator[Any]:
    """A client of the cluster at `dask.scheduler`, or of a local cluster that lives as long as the run."""
    distributed = dask_modules()
    with contextlib.ExitStack() as stack:
        if dask.scheduler:
            try:
                client = stack.enter_context(distributed.Client(dask.scheduler, timeout=dask.timeout))
            except (OSError, TimeoutError, ValueError) as e:  # ValueError: an address Dask cannot parse
                raise EngineError(
                    f"cannot reach the Dask scheduler at {dask.scheduler} ({e}); check the address "
                    "(e.g. tcp://scheduler:8786) and that the cluster runs"
                ) from None
        else:
            cluster = stack.enter_context(
                distributed.LocalCluster(
                    n_workers=dask.workers or os.cpu_count() or 1,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=":0",  # any free port: 8787 may be taken, and Dask then warns on stderr
                    silence_logs=logging.CRITICAL,
                )
            )
            client = stack.enter_context(distributed.Client(cluster))
        check_workers(client, dask.scheduler)
        yield client


def check_workers(client: Any, scheduler: str | None) -> None:
    """Workers that are there and run the same persona-map as this machine."""
    try:
        client.wait_for_workers(1, timeout=60)
    except TimeoutError:
        raise EngineError(
            f"the Dask cluster at {scheduler} has no workers (start some, then run again)"
        ) from None
    try:
        versions = set(client.run(worker_version).values())
    except Exception as e:
        raise EngineError(
            f"the Dask workers cannot run persona-map ({type(e).__name__}: {e}); install it on every worker: {INSTALL}"
        ) from None
    if versions != {worker_version()}:
        raise EngineError(
            f"the Dask workers run persona-map {', '.join(sorted(versions))}, this machine {worker_version()}: "
            "install the same version everywhere"
        )


def worker_version() -> str:
    """The persona-map version a worker runs (it must match the client's)."""
    return persona_map.__version__


def in_order(futures: list[Any], what: str) -> Iterator[Any]:
    """Every task's result in submission order, one at a time (the others stay on the workers until their
    turn); the first failure cancels the rest and ends the run with one line."""
    distributed = dask_modules()
    try:
        for future in futures:
            try:
                yield future.result()
            except PersonaError:
                raise
            except distributed.scheduler.KilledWorker as e:
                raise EngineError(
                    f"Dask workers kept dying while {what} ({e}); nothing was written (give the workers "
                    "more memory, or lower --partition-size)"
                ) from None
            except Exception as e:
                raise EngineError(
                    f"the Dask run failed while {what} ({type(e).__name__}: {e}); nothing was written"
                ) from None
            future.release()
    finally:
        for future in futures:
            if future.status == "pending":
                future.cancel()


def results(futures: list[Any], what: str) -> list[Any]:
    """Every task's result, in submission order."""
    return list(in_order(futures, what))
