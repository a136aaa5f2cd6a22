"""Work started in the background and kept referenced until it ends: the event loop holds only weak references
to tasks, so one nobody keeps may be collected before it has run."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, TypeVar

T = TypeVar("T")


class Background:
    def __init__(self) -> None:
        self.tasks: set[asyncio.Task[Any]] = set()

    def start(self, work: Awaitable[T]) -> asyncio.Task[T]:
        task = asyncio.ensure_future(work)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    def pending(self) -> list[asyncio.Task[Any]]:
        return [task for task in self.tasks if not task.done()]
