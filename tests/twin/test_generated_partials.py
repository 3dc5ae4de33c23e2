"""``functools.partialmethod`` of an async method is a method of both twins, with the signature it leaves.

Before: the generated twin wrote ``send_ping = _support.attribute_like(...)`` and ``sync_class`` a read-only
property; on both, ``twin.send_ping(2)`` returned a coroutine that nobody awaited.
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
