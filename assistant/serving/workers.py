"""Answers computed in worker threads, a bounded number at a time with a bounded queue, so
a server's event loop never waits on one and a crowd gets a clear "busy" at once; a client
that leaves stops its work, waiting or under way (`while_connected`)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import anyio

log = logging.getLogger(__name__)
T = TypeVar("T")


class QueueFull(Exception):  # noqa: N818 - a state, like queue.Full
    """Every worker is busy and the queue is full: a signal the server turns into its 429,
    not an error of the user's (so not one of the error tree's kinds)."""


class WorkQueue:
    """At most `workers` answers computed at once and `max_waiting` more admitted to wait
    for a worker; a request beyond that is turned away at once (`QueueFull`)."""

    def __init__(self, workers: int, max_waiting: int) -> None:
        self.workers, self.max_waiting = workers, max_waiting
        self.admitted = 0  # working or waiting; touched on the event loop only
        self._limiter: anyio.CapacityLimiter | None = None

    def admit(self) -> Callable[[], None]:
        """Take a place in the queue; returns the (idempotent) function giving it back."""
        if self.admitted >= self.workers + self.max_waiting:
            raise QueueFull(f"the assistant is busy: {self.workers} answers are being "
                            f"computed and {self.max_waiting} are waiting; retry shortly")
        self.admitted += 1
        left = False

        def leave() -> None:
            nonlocal left
            if not left:
                left, self.admitted = True, self.admitted - 1
        return leave

    @asynccontextmanager
    async def worker(self) -> AsyncIterator[None]:
        """Hold one of the workers (waiting for one if all are busy)."""
        if self._limiter is None:  # made on the server's event loop
            self._limiter = anyio.CapacityLimiter(self.workers)
        token = object()  # the holder: a stream may be resumed from another task
        await self._limiter.acquire_on_behalf_of(token)
        try:
            yield
        finally:
            self._limiter.release_on_behalf_of(token)

    def stats(self) -> dict[str, int]:
        working = int(self._limiter.borrowed_tokens) if self._limiter else 0
        return {"working": working, "waiting": self.admitted - working,
                "workers": self.workers, "max_waiting": self.max_waiting}


async def in_threads(pieces: Iterator[Any]) -> AsyncIterator[Any]:
    """A blocking iterator's items, each computed in a worker thread."""
    done = object()
    while (item := await anyio.to_thread.run_sync(next, pieces, done)) is not done:
        yield item


class ClientGone(Exception):  # noqa: N818 - a state, like QueueFull
    """The client disconnected while its request waited or was answered."""


async def while_connected(receive: Callable[[], Awaitable[Mapping[str, Any]]],
                          work: Callable[[], Awaitable[T]]) -> T:
    """`work()`'s result, unless the client disconnects first: then `work` is cancelled
    (waiting for a worker, or between two pieces of its answer) and `ClientGone` raised."""
    done, result, error = False, [], []

    async def watch(group: anyio.abc.TaskGroup) -> None:
        while (await receive())["type"] != "http.disconnect":
            pass
        if not done:
            log.info("a client left; its answer is stopped")
            group.cancel_scope.cancel()

    async with anyio.create_task_group() as group:
        group.start_soon(watch, group)
        try:
            result.append(await work())
        except Exception as exc:  # raised as itself below, not as a task-group error
            error.append(exc)
        finally:
            done = True
            group.cancel_scope.cancel()
    if error:
        raise error[0]
    if not result:
        raise ClientGone
    return result[0]
