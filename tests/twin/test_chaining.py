"""Builder chains: ``Item.filter(...).order_by(...)`` on a twin does what ``await Item.filter(...).order_by(...)`` does.

A sync method that returns an awaitable builder (tortoise-orm's ``QuerySet``, beanie's ``FindMany``) is not awaited
when its caller reads an attribute of the builder right after the call; one whose awaited value has the attribute
(aiohttp's ``session.get(url).read()``) is awaited first, as before (review 12, finding 2).

The chains are written outside ``assert`` statements: pytest's assertion rewriting stores each call's result in a
variable of its own before the attribute is read, so a twin cannot see the chain there (docs/twin.md).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Generator
from typing import Any

import pytest

import dualio
from dualio.twin import Twin, portal_of, sync_class, twin_of, unwrap, use_portal
from dualio.twin._chaining import chained_attribute

ROWS = [("apple", 3), ("pear", 5), ("fig", 1)]


class AsyncQuery:
    """An awaitable query builder: sync methods return the builder, ``await`` runs it (a list of names)."""

    def __init__(self, min_qty: int) -> None:
        self.min_qty = min_qty
        self.descending = False
        self.runs = 0

    def order_by(self, field: str) -> AsyncQuery:
        self.descending = field.startswith("-")
        return self

    def limit(self, count: int) -> AsyncQuery:
        """A new builder, as most builders return."""
        copy = AsyncQuery(self.min_qty)
        copy.descending, copy.limit_to = self.descending, count  # type: ignore[attr-defined]
        return copy

    async def count(self) -> int:
        return len(await self)

    async def _fetch(self) -> list[str]:
        await asyncio.sleep(0)
        self.runs += 1
        names = sorted((n for n, q in ROWS if q >= self.min_qty), reverse=self.descending)
        return names[: getattr(self, "limit_to", None)]

    def __await__(self) -> Generator[Any, None, list[str]]:
        return self._fetch().__await__()


class AsyncItem:
    @classmethod
    def filter(cls, min_qty: int) -> AsyncQuery:
        return AsyncQuery(min_qty)

    def query(self, min_qty: int) -> AsyncQuery:
        return AsyncQuery(min_qty)

    async def save(self) -> None:
        return None


async def _reference() -> tuple[list[str], int, list[str]]:
    return (
        await AsyncItem.filter(2).order_by("-name"),
        await AsyncItem.filter(3).count(),
        await AsyncItem().query(0).order_by("name").limit(2),
    )


def test_a_classmethod_builder_chains_as_await_does() -> None:
    Item = sync_class(AsyncItem)
    expected = asyncio.run(_reference())
    got = (
        Item.filter(2).order_by("-name"),
        Item.filter(3).count(),  # the builder's count(), not list.count
        Item().query(0).order_by("name").limit(2),
    )
    assert got == expected == (["pear", "apple"], 2, ["apple", "fig"])


def test_the_builder_is_a_twin_on_the_same_portal_and_runs_once() -> None:
    item = sync_class(AsyncItem)()
    query = item.query(2).order_by  # only read, not called: the builder's twin's bound method
    builder: Any = query.__self__
    assert Twin in type(builder).__mro__
    assert portal_of(builder) is portal_of(item)
    names = builder.order_by("name")
    assert names == ["apple", "pear"]
    assert unwrap(builder).runs == 1


def test_without_a_chained_read_the_builder_is_awaited_at_once() -> None:
    Item = sync_class(AsyncItem)
    names = Item.filter(3)
    assert names == ["apple", "pear"]
    assert names.count("apple") == 1  # list.count: the read is not right after the call
    counted = Item.filter(3).count()
    assert counted == 2


class AsyncResponse:
    async def read(self) -> bytes:
        return b"body"

    def close(self) -> str:
        return "response closed"


class AsyncRequest:
    """Awaitable to a response (aiohttp's request context manager): ``read`` is the response's."""

    def __await__(self) -> Generator[Any, None, AsyncResponse]:
        return self._send().__await__()

    async def _send(self) -> AsyncResponse:
        return AsyncResponse()

    def close(self) -> str:
        """Part of the coroutine protocol that aiohttp's request context manager mirrors: never chained on."""
        return "request closed"


class AsyncSession:
    def get(self, url: str) -> AsyncRequest:
        return AsyncRequest()

    async def aclose(self) -> None:
        return None


def test_a_name_only_the_awaited_value_has_reads_the_awaited_value() -> None:
    session = sync_class(AsyncSession)()
    body = session.get("u").read()
    assert body == b"body"


def test_close_after_the_call_closes_the_awaited_value_as_before() -> None:
    session = sync_class(AsyncSession)()
    closed = session.get("u").close()  # the request was awaited, not chained on
    assert closed == "response closed"


class AsyncPipeline:
    """Commands return the pipeline itself, which is awaitable (redis-py's asyncio ``Pipeline``)."""

    def __init__(self) -> None:
        self.commands: list[str] = []

    def set(self, key: str) -> AsyncPipeline:
        self.commands.append(f"set {key}")
        return self

    async def execute(self) -> list[str]:
        return self.commands

    def __await__(self) -> Generator[Any, None, AsyncPipeline]:
        return self._self().__await__()

    async def _self(self) -> AsyncPipeline:
        return self


def test_a_builder_that_is_the_twins_own_object_gives_the_same_twin() -> None:
    pipe = sync_class(AsyncPipeline)()
    chained = pipe.set("a").set("b")
    assert chained is pipe
    commands = pipe.set("c").execute()
    assert commands == ["set a", "set b", "set c"]


class AsyncHeld:
    """A builder whose chained attribute is set on the instance, not the class."""

    def __init__(self) -> None:
        self.where = self._where

    def _where(self, text: str) -> str:
        return text

    async def run(self) -> int:
        return 1

    def __await__(self) -> Generator[Any, None, int]:
        return self.run().__await__()


class AsyncMaker:
    def make(self) -> AsyncHeld:
        return AsyncHeld()

    async def aclose(self) -> None:
        return None


def test_an_instance_attribute_of_the_builder_is_chained_on() -> None:
    maker = sync_class(AsyncMaker)()
    where = maker.make().where("x")
    assert where == "x"
    assert maker.make() == 1


def test_an_awaitable_without_async_members_is_awaited() -> None:
    """A future has ``result`` but no async members (no twin): awaited, then ``result`` of what it gave."""

    class Outcome:
        def result(self) -> str:
            return "the awaited value's"

    class AsyncStarter:
        def start(self) -> asyncio.Future[Outcome]:
            future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
            future.set_result(Outcome())
            return future

        async def aclose(self) -> None:
            return None

    outcome = sync_class(AsyncStarter)().start().result()
    assert outcome == "the awaited value's"


def test_twin_of_an_object_chains_too() -> None:
    async def make() -> AsyncItem:
        return AsyncItem()

    import dualio

    item = twin_of(dualio.run(make()))
    names = item.query(5).order_by("name")
    assert names == ["pear"]


def _reads(*_args: object) -> str | None:
    return chained_attribute(sys._getframe(1))


class _Reader:
    def m(self, *_args: object, **_kwargs: object) -> Any:
        name = chained_attribute(sys._getframe(1))

        class Named:
            def __getattr__(self, attribute: str) -> tuple[str, str | None]:
                return attribute, name

        return Named()


def test_chained_attribute_names_the_read_right_after_the_call() -> None:
    reader = _Reader()
    args: tuple[object, ...] = (1,)
    kwargs: dict[str, object] = {"x": 2}
    seen = [reader.m(1).order_by, reader.m(x=2).count, reader.m(*args, **kwargs).limit, reader.m().first]
    assert seen == [("order_by", "order_by"), ("count", "count"), ("limit", "limit"), ("first", "first")]
    assert _reads() is None  # the result is returned, no attribute read


def test_chained_attribute_is_none_when_the_read_is_not_at_once() -> None:
    reader = _Reader()
    result = reader.m()
    tupled = (reader.m(), 1)[0].later
    assert result.later == tupled == ("later", None)


class AsyncListing:
    """Awaitable to itself once its page is loaded (lancedb's ``AsyncTableListing``): ``tables`` needs the await."""

    def __init__(self) -> None:
        self._page: list[str] | None = None

    def __await__(self) -> Generator[Any, None, AsyncListing]:
        return self._load().__await__()

    async def _load(self) -> AsyncListing:
        await asyncio.sleep(0)
        self._page = ["notes", "links"]
        return self

    @property
    def tables(self) -> list[str]:
        if self._page is None:
            raise RuntimeError("Await or iterate the listing before reading its page")
        return self._page

    def where(self, prefix: str) -> AsyncListing:
        return self


class AsyncDatabase:
    def list_tables(self) -> AsyncListing:
        return AsyncListing()

    async def aclose(self) -> None:
        return None


def test_a_property_read_at_once_reads_the_awaited_value() -> None:
    """A property is data, not a step of a chain: ``db.list_tables().tables`` is ``(await db.list_tables()).tables``
    (reading it on the unawaited listing raised lancedb's "Await or iterate the listing")."""
    db = sync_class(AsyncDatabase)()
    tables = db.list_tables().tables
    assert tables == ["notes", "links"]
    chained = db.list_tables().where("n")  # a method read at once still chains: the builder, awaited at its end
    assert chained.tables == ["notes", "links"]


class AsyncCommandRequest:
    """coredis' ``CommandRequest``: awaitable by ``__await__``, with sync builder methods and no async member."""

    def __init__(self, value: Any, transforms: tuple[Any, ...] = ()) -> None:
        self._value = value
        self._transforms = transforms

    def transform(self, convert: Any) -> AsyncCommandRequest:
        return AsyncCommandRequest(self._value, (*self._transforms, convert))

    def __await__(self) -> Any:
        return self._run().__await__()

    async def _run(self) -> Any:
        await asyncio.sleep(0)
        value = self._value
        for convert in self._transforms:
            value = convert(value)
        return value


class AsyncRedis:
    def get(self, key: str) -> AsyncCommandRequest:
        return AsyncCommandRequest("41")

    async def ping(self) -> str:
        return "PONG"


def test_a_chain_on_an_awaitable_builder_without_async_members(portal: dualio.Portal) -> None:
    with use_portal(portal):
        client = sync_class(AsyncRedis)()
        plain = client.get("n")  # no chain: awaited, as before (chains are written outside `assert`, which
        once = client.get("n").transform(int)  # pytest rewrites: see docs/twin.md)
        twice = client.get("n").transform(int).transform(lambda n: n + 1)
        assert (plain, once, twice) == ("41", 41, 42)


class ContextNotStarted(Exception):
    """As SQLAlchemy's ``AsyncContextNotStarted`` (not a RuntimeError)."""


class AsyncStartable:
    """As SQLAlchemy's ``AsyncConnection``: awaiting it starts it; its methods need that."""

    def __init__(self) -> None:
        self.started = False

    def __eq__(self, other: object) -> bool:  # SQLAlchemy's compares what it proxies: not started, it raises
        raise ContextNotStarted("context has not been started and object has not been awaited.")

    def __hash__(self) -> int:
        return id(self)

    def __await__(self) -> Generator[Any, None, AsyncStartable]:
        return self._start().__await__()

    async def _start(self) -> AsyncStartable:
        self.started = True
        return self

    async def execute(self, sql: str) -> str:
        if not self.started:
            raise ContextNotStarted("context has not been started and object has not been awaited.")
        return sql

    async def close(self) -> None:
        return None


class AsyncEngineLike:
    def connect(self) -> AsyncStartable:
        return AsyncStartable()

    async def dispose(self) -> None:
        return None


def test_a_failure_for_want_of_the_await_on_a_chained_result_says_to_split_the_line() -> None:
    """``engine.connect().execute(...)`` on SQLAlchemy's twin runs as ``await engine.connect().execute(...)``:
    the connection is not started; the error now says why and what to write (review 38g r10)."""
    engine = sync_class(AsyncEngineLike)()
    with pytest.raises(ContextNotStarted) as raised:
        engine.connect().execute("SELECT 1")
    notes = "\n".join(getattr(raised.value, "__notes__", ()))
    assert "this AsyncStartable was not awaited: a call chained on a result at once" in notes
    assert "split the line: `x = a.b()`, then `x.c()`" in notes
    connection = engine.connect()  # awaited: started
    assert connection.execute("SELECT 1") == "SELECT 1"
