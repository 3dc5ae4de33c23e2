"""Static types: a portal call returns ``T``, never ``Awaitable[T]`` or a union (checked by mypy --strict)."""

from __future__ import annotations

import concurrent.futures
from collections.abc import AsyncIterator, Iterator
from contextlib import AbstractContextManager, asynccontextmanager
from typing import assert_type

import dualio


async def add(a: int, b: int) -> int:
    return a + b


async def names() -> AsyncIterator[str]:
    yield "a"


@asynccontextmanager
async def resource() -> AsyncIterator[bytes]:
    yield b"r"


class NeverSwallows:
    """An async context manager whose ``__aexit__`` returns ``None``: a ``with`` over it cannot swallow."""

    async def __aenter__(self) -> int:
        return 7

    async def __aexit__(self, *exc_info: object) -> None:
        pass


def value_returned_inside_the_block() -> int:
    """Type checkers must see no way out of the block but the return (review 25a: with the exit typed ``bool``,
    mypy said "Missing return statement", as pyright and pyrefly did)."""
    with dualio.enter(NeverSwallows()) as value:
        return value


def test_portal_calls_have_precise_types(portal: dualio.Portal) -> None:
    assert_type(dualio.run(add, 1, 2), int)
    assert_type(dualio.run(add(1, 2)), int)
    assert_type(portal.run(add, 1, 2), int)
    assert_type(dualio.submit(add, 1, 2), concurrent.futures.Future[int])
    assert_type(portal.submit(add(1, 2)), dualio.PortalFuture[int])
    assert_type(dualio.iterate(names()), Iterator[str])
    assert_type(dualio.enter(resource()), AbstractContextManager[bytes, bool | None])
    assert_type(dualio.enter(NeverSwallows()), AbstractContextManager[int, None])
    assert_type(portal.enter(NeverSwallows()), AbstractContextManager[int, None])
    assert value_returned_inside_the_block() == 7
    assert_type(dualio.run_async_task(add(1, 2)), int)
    assert_type(dualio.run_async_task(add(1, 2), fire_and_forget=True), concurrent.futures.Future[int])
    decided_at_run_time = bool(len(__name__) % 2)  # a plain bool, as callers of sincpro_async_worker pass it
    outcome = dualio.run_async_task(add(1, 2), None, decided_at_run_time)
    assert_type(outcome, int | concurrent.futures.Future[int])
    assert (outcome.result(timeout=5) if isinstance(outcome, concurrent.futures.Future) else outcome) == 3
    assert dualio.run(add, 1, 2) == 3
    with dualio.enter(resource()) as value:
        assert_type(value, bytes)
        assert value == b"r"
