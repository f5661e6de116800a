"""Executors: run tile tasks one at a time, in local processes, or on a dask.distributed cluster."""

from __future__ import annotations

import concurrent.futures
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from superad_geo.errors import InputError
from superad_geo.extras import require
from superad_geo.options import check_scheduler_address
from superad_geo.scene.validity import materialise

#: Environment variable with the seconds to wait for a scheduler, and its default.
SCHEDULER_TIMEOUT_ENV = "SUPERAD_GEO_SCHEDULER_TIMEOUT"
DEFAULT_SCHEDULER_TIMEOUT = 30.0


class SchedulerLost(RuntimeError):
    """The dask scheduler went away during a run: a failure of the run, not of its input."""


def cluster_result(future: Any) -> Any:
    """A dask future's result, as ``future.result()``.

    Raises
    ------
    SchedulerLost
        If the future was cancelled, or its result could not be fetched,
        because the connection to the scheduler was lost (one line saying so,
        instead of dask's cancellation or connection message).
    """
    from distributed.client import FutureCancelledError
    from distributed.comm import CommClosedError

    try:
        return future.result()
    except (FutureCancelledError, CommClosedError) as exc:
        address = getattr(getattr(future.client, "scheduler", None), "address", "")
        reason = getattr(exc, "reason", type(exc).__name__)
        raise SchedulerLost(
            f"the dask scheduler {address} went away during the run ({reason}); "
            "finished work is kept: start the scheduler again and rerun to resume"
        ) from exc


def scheduler_timeout() -> float:
    """Seconds to wait for a scheduler: ``$SUPERAD_GEO_SCHEDULER_TIMEOUT``, default 30."""
    text = os.environ.get(SCHEDULER_TIMEOUT_ENV, "").strip()
    if not text:
        return DEFAULT_SCHEDULER_TIMEOUT
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value > 0:
        raise InputError(f"{SCHEDULER_TIMEOUT_ENV}={text!r} is not a positive number of seconds")
    return value


def connect_scheduler(address: str) -> Any:
    """A ``distributed.Client`` of the scheduler at ``address``, or a one-line refusal.

    The client is not made dask's default (use ``client.as_current()`` where
    dask needs one): a connection abandoned after the timeout must not capture
    the process's later computations.

    The connection runs in a daemon thread given :func:`scheduler_timeout`
    seconds: a peer that is not a dask scheduler (an HTTP server, say) can stall
    the handshake forever, and such a thread neither blocks Ctrl-C nor the
    interpreter's exit.

    Raises
    ------
    InputError
        If the address is malformed, nothing answers in time, or what answers is
        not a dask scheduler.
    """
    check_scheduler_address(address)
    Client = require("distributed", "a dask scheduler").Client
    timeout = scheduler_timeout()
    outcome: dict[str, Any] = {}

    def attempt() -> None:
        try:
            outcome["client"] = Client(address, timeout=timeout, set_as_default=False)
        except BaseException as exc:  # noqa: BLE001 - reported by the caller's thread
            outcome["error"] = exc

    thread = threading.Thread(target=attempt, name="superad-connect", daemon=True)
    thread.start()
    thread.join(timeout + 1.0)
    if "client" in outcome:
        return outcome["client"]
    reason = outcome.get("error")
    detail = "no answer" if reason is None else f"{type(reason).__name__}: {reason}"
    raise InputError(
        f"no dask scheduler answered at {address!r} within {timeout:g} s ({detail}); "
        f"start it, check the address, or set {SCHEDULER_TIMEOUT_ENV}"
    ) from (reason if isinstance(reason, Exception) else None)


class Executor:
    """Runs functions over items locally (threads) or on a dask.distributed client."""

    def __init__(self, scheduler: Any, workers: int) -> None:
        self.client = None
        self._own_client = False
        self.workers = max(1, int(workers))
        if isinstance(scheduler, str):
            self.client = connect_scheduler(scheduler)
            self._own_client = True
        elif scheduler is not None:
            self.client = scheduler
        self._processes: concurrent.futures.ProcessPoolExecutor | None = None
        self._pool = (
            concurrent.futures.ThreadPoolExecutor(self.workers)
            if self.client is None and self.workers > 1
            else None
        )

    @property
    def distributed(self) -> bool:
        return self.client is not None

    def ordered(self, func: Callable[..., Any], items: Sequence[tuple]) -> Iterator[Any]:
        """Yield ``func(*item)`` in the items' order."""
        if self.client is not None:
            futures = [self.client.submit(func, *item, pure=False) for item in items]
        elif self._pool is not None:
            futures = [self._pool.submit(func, *item) for item in items]
        else:
            for item in items:
                yield func(*item)
            return
        try:
            for fut in futures:
                yield cluster_result(fut) if self.client is not None else fut.result()
        finally:
            for fut in futures:
                fut.cancel()

    def unordered(self, func: Callable[..., Any], items: Sequence[tuple]) -> Iterator[Any]:
        """Yield ``func(*item)`` as they finish (tile tasks).

        Locally with several workers, tasks run in worker *processes* (torch's
        global random generator, which seeds each tile's network, is not
        thread-safe), at most ``workers + 1`` at a time; their windows are
        read here, just before submission, so memory stays bounded.
        """
        if self.client is not None:
            from distributed import as_completed

            futures = [self.client.submit(func, *item, pure=False) for item in items]
            try:
                for fut in as_completed(futures, loop=self.client.loop):
                    yield cluster_result(fut)
            finally:
                for fut in futures:
                    fut.cancel()
        elif self.workers > 1:
            yield from self._in_processes(func, items)
        else:
            yield from read_ahead(func, items)

    def _in_processes(self, func: Callable[..., Any], items: Sequence[tuple]) -> Iterator[Any]:
        import multiprocessing

        if self._processes is None:
            self._processes = concurrent.futures.ProcessPoolExecutor(
                self.workers, mp_context=multiprocessing.get_context("spawn")
            )
        pool = self._processes
        queue = iter(items)
        pending: set[concurrent.futures.Future] = set()

        def submit_next() -> bool:
            item = next(queue, None)
            if item is None:
                return False
            # read the tile's window here: workers get plain arrays
            pending.add(pool.submit(func, *read_windows(item)))
            return True

        try:
            for _ in range(self.workers + 1):
                if not submit_next():
                    break
            while pending:
                finished, _ = concurrent.futures.wait(
                    pending, return_when=concurrent.futures.FIRST_COMPLETED
                )
                for fut in finished:
                    pending.discard(fut)
                    yield fut.result()
                    submit_next()
        finally:
            for fut in pending:
                fut.cancel()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        if self._processes is not None:
            self._processes.shutdown(wait=True, cancel_futures=True)
        if self._own_client and self.client is not None:
            self.client.close()


def read_windows(item: tuple) -> tuple:
    """``item`` with the lazy (dask) arrays in its tuples read into numpy."""
    return tuple(
        tuple(materialise(e) if hasattr(e, "compute") else e for e in v)
        if isinstance(v, tuple)
        else v
        for v in item
    )


def read_ahead(func: Callable[..., Any], items: Sequence[tuple]) -> Iterator[Any]:
    """Yield ``func(*item)`` one at a time, reading the next item's windows meanwhile.

    Reading a tile (disk, decompression) overlaps the training of the one
    before it, so the engine is not kept waiting; one tile batch is read ahead
    at most.
    """
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="read-ahead") as reader:
        upcoming = reader.submit(read_windows, items[0]) if items else None
        for index in range(len(items)):
            item = upcoming.result()
            if index + 1 < len(items):
                upcoming = reader.submit(read_windows, items[index + 1])
            yield func(*item)
