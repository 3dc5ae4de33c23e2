"""A call written straight into ``for`` iterates an awaitable async iterable result, as ``async for``.

asyncpg's ``con.cursor(query)`` returns a ``CursorFactory``: awaitable (to a ``Cursor``) and async iterable (the
rows). ``async for row in con.cursor(query)`` iterates it; so does ``for row in twin.cursor(query)``, read from the
caller's bytecode (``GET_ITER`` right after the call), as ``with twin.m(...)`` is. Used any other way it is awaited.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Generator
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import pytest

import dualio
from dualio.twin import _entering, portal_of, sync_class, twin_of, unwrap, use_portal


class AsyncRows:
    """Awaitable to ``"awaited"``, and async iterable over 0, 1, 2 (an async generator, closed on break)."""

    def __init__(self, table: AsyncTable) -> None:
        self.table = table

    def __await__(self) -> Generator[Any, None, str]:
        return asyncio.sleep(0, result="awaited").__await__()

    async def __aiter__(self) -> AsyncIterator[int]:
        self.table.loops.append(asyncio.get_running_loop())
        try:
            for i in range(3):
                await asyncio.sleep(0)
                yield i
        finally:
            self.table.finished += 1


class AsyncItem:
    def __init__(self, n: int) -> None:
        self.n = n

    async def double(self) -> int:
        return 2 * self.n


class AsyncItems:
    """Awaitable and async iterable over ``AsyncItem``\\ s (objects that come back as twins)."""

    def __await__(self) -> Generator[Any, None, str]:
        return asyncio.sleep(0, result="awaited").__await__()

    def __aiter__(self) -> AsyncIterator[AsyncItem]:
        return self._items()

    async def _items(self) -> AsyncIterator[AsyncItem]:
        for n in (1, 2):
            yield AsyncItem(n)


class AsyncStream:
    """An async context manager that is also async iterable, of a package no twin is registered for."""

    __module__ = "review9_foreign_package"

    async def __aenter__(self) -> str:
        return "entered"

    async def __aexit__(self, *exc_info: object) -> None:
        return None

    async def __aiter__(self) -> AsyncIterator[str]:
        for word in ("a", "b"):
            yield word


class AsyncTable:
    def __init__(self) -> None:
        self.loops: list[asyncio.AbstractEventLoop] = []
        self.finished = 0

    def rows(self) -> AsyncRows:  # like asyncpg's cursor(): a sync def, an awaitable async iterable result
        return AsyncRows(self)

    def items(self) -> AsyncItems:
        return AsyncItems()

    async def stream(self) -> AsyncStream:  # an async def whose result is iterated or entered
        return AsyncStream()

    def numbers(self) -> Any:  # a sync def returning a coroutine: awaited, then its list is iterated
        return self._numbers()

    async def _numbers(self) -> list[int]:
        return [7, 8]


@pytest.fixture
def table(portal: dualio.Portal) -> Any:
    Table = sync_class(AsyncTable)
    with use_portal(portal):
        twin = Table()
    yield twin
    twin.close()


def test_the_for_instruction_was_learnt() -> None:
    assert _entering._FOR_CODE, "no for instruction learnt on this Python: for would await"


def test_a_for_loop_iterates_an_awaitable_async_iterable_on_the_loop(table: Any) -> None:
    got = []
    for x in table.rows():
        got.append(x)
    assert got == [0, 1, 2]
    loops = unwrap(table).loops
    assert len(loops) == 1
    assert portal_of(table).run(_running_loop()) is loops[0]


async def _running_loop() -> asyncio.AbstractEventLoop:
    return asyncio.get_running_loop()


def test_comprehensions_iterate_it_too(table: Any) -> None:
    assert [x for x in table.rows()] == [0, 1, 2]  # noqa: C416  # a comprehension is what is tested
    assert {x for x in table.rows()} == {0, 1, 2}  # noqa: C416
    assert {x: x for x in table.rows()} == {0: 0, 1: 1, 2: 2}
    assert sum(x for x in table.rows()) == 3  # a generator expression: iterated lazily, on the loop still


def test_breaking_out_closes_the_async_iterator(table: Any) -> None:
    for x in table.rows():
        if x == 1:
            break
    assert unwrap(table).finished == 1


def test_the_same_call_used_any_other_way_is_awaited(table: Any) -> None:
    rows = table.rows()
    assert rows == "awaited"
    assert list(table.rows()) == list("awaited")  # list() is C code iterating, not a for: the call is awaited


def test_items_come_back_mapped(table: Any) -> None:
    doubled = [item.double() for item in table.items()]
    assert doubled == [2, 4]


def test_an_async_def_result_that_is_also_an_async_context_manager_is_iterated_under_for(table: Any) -> None:
    assert [word for word in table.stream()] == ["a", "b"]  # noqa: C416
    with table.stream() as entered:  # and entered under with
        assert entered == "entered"


def test_a_sync_def_returning_a_coroutine_is_still_awaited_under_for(table: Any) -> None:
    assert [n for n in table.numbers()] == [7, 8]  # noqa: C416


def test_asyncpg_cursor_in_a_for_loop(dualio_postgres_url: str, portal: dualio.Portal) -> None:
    url = dualio_postgres_url.replace("postgresql+psycopg://", "postgresql://")
    with use_portal(portal):
        con = twin_of(portal.run(asyncpg.connect(url)))
    try:
        with con.transaction():  # asyncpg's cursors need a transaction
            assert [r[0] for r in con.cursor("select generate_series(1, 3)")] == [1, 2, 3]
            rows = []
            for record in con.cursor("select generate_series(4, 5) as n"):
                rows.append(record["n"])
            assert rows == [4, 5]
            cursor = con.cursor("select generate_series(1, 5)")  # not in a for: awaited, a Cursor's twin
            assert type(unwrap(cursor)).__name__ == "Cursor"
            assert [r[0] for r in cursor.fetch(2)] == [1, 2]
            assert [r[0] for r in cursor.fetch(2)] == [3, 4]
    finally:
        con.close()


class AsyncCatalog:
    """Class-level members whose result is an awaitable async iterable: run by ``call_class``."""

    shared = AsyncTable()

    @classmethod
    def rows(cls) -> AsyncRows:
        return AsyncRows(cls.shared)

    @staticmethod
    async def stream() -> AsyncStream:
        return AsyncStream()

    async def ping(self) -> str:
        return "pong"


def test_class_and_static_methods_are_iterated_under_for_too(portal: dualio.Portal) -> None:
    # Before: call_class always awaited, so `for x in Catalog.rows()` iterated the string "awaited".
    Catalog = sync_class(AsyncCatalog)
    AsyncCatalog.shared = AsyncTable()  # the test runs once per portal kind
    with use_portal(portal):
        assert [x for x in Catalog.rows()] == [0, 1, 2]  # noqa: C416  # a comprehension is what is tested
        got = []
        for x in Catalog.rows():
            got.append(x)
            if x == 1:
                break
        assert got == [0, 1]
        assert AsyncCatalog.shared.finished == 2  # the loop ran to its end, then the break closed it
        assert AsyncCatalog.shared.loops[0] is portal.run(_running_loop())
        assert Catalog.rows() == "awaited"  # used any other way, it is awaited
        assert [word for word in Catalog.stream()] == ["a", "b"]  # noqa: C416
        with Catalog.stream() as entered:
            assert entered == "entered"
