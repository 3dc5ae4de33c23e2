"""``functools.partialmethod`` of an async method is a method of both twins, with the signature it leaves; a plain
``functools.partial`` of an async function in a class body (never bound to the object) is a static method.

Before: the generated twin wrote ``send_ping = _support.attribute_like(...)`` and ``sync_class`` a read-only
property; on both, ``twin.send_ping(2)`` returned a coroutine that nobody awaited. A plain ``partial`` was called
with the async object as its first argument by ``sync_class`` and returned a coroutine from the generated twin.
"""

from __future__ import annotations

import functools
import inspect
from pathlib import Path

import pytest

from dualio.twin import sync_class

from .test_generated_spellings import generate_and_use

SOURCE = """
import asyncio
import functools
from collections.abc import AsyncIterator
from functools import partialmethod

PREFIX = ">"


class AsyncChannel:
    async def send(self, kind: str, payload: int, *, urgent: bool = False) -> str:
        await asyncio.sleep(0)
        return f"{kind}:{payload}:{urgent}"

    send_ping = functools.partialmethod(send, "ping")
    send_pong = partialmethod(send, kind="pong")  # `kind` and what follows it: keyword-only
    send_urgent = partialmethod(send, "alarm", urgent=True)
    send_any = partialmethod(send, *("x",))  # not readable exactly: (*args, **kwargs), the result still typed

    async def lines(self, count: int, prefix: str = PREFIX) -> AsyncIterator[str]:
        for number in range(count):
            yield f"{prefix}{number}"

    three_lines = partialmethod(lines, 3)
"""

USAGE = """
from collections.abc import Iterator
from typing import assert_type

from gen_partials.sync import Channel

channel = Channel()
assert_type(channel.send_ping(2), str)
assert channel.send_ping(2) == "ping:2:False"
assert channel.send_ping(payload=3, urgent=True) == "ping:3:True"
assert channel.send_pong(payload=4) == "pong:4:False"
assert channel.send_pong(kind="PONG", payload=5) == "PONG:5:False"  # a bound keyword can be given again
assert channel.send_urgent(6) == "alarm:6:True"
assert_type(channel.send_any(7), str)
assert channel.send_any(7) == "x:7:False"
assert_type(channel.three_lines(), Iterator[str])
assert list(channel.three_lines()) == [">0", ">1", ">2"]
assert list(channel.three_lines(prefix="-")) == ["-0", "-1", "-2"]
channel.close()
"""


def test_a_partialmethod_is_a_generated_method_with_the_signature_it_leaves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = generate_and_use(tmp_path, monkeypatch, "gen_partials", SOURCE, "AsyncChannel", USAGE)
    assert "def send_ping(self, payload: int, *, urgent: bool = False) -> str:" in text
    assert "def send_pong(self, *, kind: str = 'pong', payload: int, urgent: bool = False) -> str:" in text
    assert "def send_urgent(self, payload: int, *, urgent: bool = True) -> str:" in text
    assert "def send_any(self, *args: _typing.Any, **kwargs: _typing.Any) -> str:" in text
    assert "def three_lines(self, prefix: str = PREFIX) -> _abc.Iterator[str]:" in text


class AsyncCounter:
    def __init__(self) -> None:
        self.total = 0

    async def add(self, amount: int, note: str = "") -> int:
        self.total += amount
        return self.total

    add_ten = functools.partialmethod(add, 10)

    async def count_up(self, start: int, stop: int) -> object:
        for number in range(start, stop):
            yield number

    count_from_one = functools.partialmethod(count_up, 1)


def test_a_partialmethod_is_a_method_of_the_run_time_twin() -> None:
    Counter = sync_class(AsyncCounter)
    counter = Counter()
    try:
        assert counter.add_ten() == 10
        assert counter.add_ten(note="again") == 20
        assert list(counter.count_from_one(4)) == [1, 2, 3]
        assert not inspect.iscoroutinefunction(Counter.add_ten)
    finally:
        counter.close()


PARTIAL_SOURCE = """
import asyncio
import functools
from collections.abc import AsyncIterator
from functools import partial


async def fetch(path: str, /, retries: int = 1, *, timeout: float = 5.0) -> str:
    await asyncio.sleep(0)
    return f"{path}:{retries}:{timeout}"


async def numbers(count: int) -> AsyncIterator[int]:
    for number in range(count):
        yield number


class AsyncFetcher:
    fetch_home = functools.partial(fetch, "/")
    fetch_quickly = partial(fetch, timeout=0.5)
    two_numbers = partial(numbers, 2)

    async def ping(self) -> str:
        return "pong"
"""

PARTIAL_USAGE = """
from collections.abc import Iterator
from typing import assert_type

from gen_plain_partials.sync import Fetcher

fetcher = Fetcher()
assert_type(fetcher.fetch_home(), str)
assert fetcher.fetch_home() == "/:1:5.0"
assert fetcher.fetch_home(3, timeout=1.0) == "/:3:1.0"
assert Fetcher.fetch_home() == "/:1:5.0"  # static: the class has it too, as the async class does
assert fetcher.fetch_quickly("/a") == "/a:1:0.5"
assert_type(fetcher.two_numbers(), Iterator[int])
assert list(fetcher.two_numbers()) == [0, 1]
assert fetcher.ping() == "pong"
fetcher.close()
"""


def test_a_plain_partial_is_a_generated_static_method_with_the_signature_it_leaves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = generate_and_use(tmp_path, monkeypatch, "gen_plain_partials", PARTIAL_SOURCE, "AsyncFetcher", PARTIAL_USAGE)
    assert "    @staticmethod\n    def fetch_home(retries: int = 1, *, timeout: float = 5.0) -> str:" in text
    assert "def fetch_quickly(path: str, /, retries: int = 1, *, timeout: float = 0.5) -> str:" in text
    assert "def two_numbers() -> _abc.Iterator[int]:" in text


async def _fetch(path: str, retries: int = 1) -> str:
    return f"{path}:{retries}"


async def _numbers(count: int) -> object:
    for number in range(count):
        yield number


class AsyncPartials:
    fetch_home = functools.partial(_fetch, "/")
    two_numbers = functools.partial(_numbers, 2)
    measure = functools.partial(len)  # a sync callable: run on the loop, like a sync staticmethod

    async def ping(self) -> str:
        return "pong"


def test_a_plain_partial_is_a_static_method_of_the_run_time_twin() -> None:
    Partials = sync_class(AsyncPartials)
    partials = Partials()
    try:
        assert partials.fetch_home() == "/:1"  # before: _fetch(<AsyncPartials>, "/") was called
        assert partials.fetch_home(2) == "/:2"
        assert Partials.fetch_home() == "/:1"
        assert Partials.fetch_home.__name__ == "fetch_home"
        assert list(partials.two_numbers()) == [0, 1]
        assert partials.measure([1, 2, 3]) == 3
    finally:
        partials.close()
