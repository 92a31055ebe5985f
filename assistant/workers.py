"""Answers computed in worker threads, a bounded number at a time with a bounded queue, so
a server's event loop never waits on one and a crowd gets a clear "busy" at once."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any

import anyio


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
