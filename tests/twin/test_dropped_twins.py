"""A twin nobody holds is forgotten, but what was done to it is not (``_kept``): the next twin of the same async
object starts closed if it was closed, and with the default timeout ``set_timeout`` gave it.

asyncssh's ``proc.stdin`` gives the twin of the same ``SSHWriter`` at each read; before, ``proc.stdin.close()``
then ``proc.stdin.write(...)`` ran on the closed writer, and ``set_timeout(proc.stdout, 0.3)`` was lost by the next
``proc.stdout.readline()``. Also: a closed twin refuses a ``functools.wraps`` wrapper of an ``async def`` before
calling it, so the coroutine it would make is never made (asyncssh's ``@async_context_manager``: "coroutine ...
was never awaited" warned after the ``TwinClosedError``). And ``twin_of(opener, TwinClass)`` of an opener that gives
the object when awaited (``asyncssh.connect(...)``) says how to twin what it gives.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import warnings
from collections.abc import Callable, Coroutine, Generator
from typing import Any

import pytest

import dualio
from dualio.twin import TwinClosedError, get_timeout, is_closed, set_timeout, support, sync_class, twin_of, unwrap


class AsyncWriter:
    def __init__(self) -> None:
        self.closed = False
        self.written: list[str] = []

    async def write(self, data: str) -> None:
        self.written.append(data)

    async def slow(self) -> str:
        await asyncio.sleep(5)
        return "late"

    async def aclose(self) -> bool:
        self.closed = True
        return True


class _Opening:  # asyncssh.misc._ACMWrapper: awaitable and an async context manager, holding a coroutine
    def __init__(self, coro: Coroutine[Any, Any, str]) -> None:
        self._coro = coro

    def __await__(self) -> Generator[Any, None, str]:
        return self._coro.__await__()

    async def __aenter__(self) -> str:
        return await self._coro

    async def __aexit__(self, *exc_info: object) -> None:
        return None


def opening(method: Callable[..., Coroutine[Any, Any, str]]) -> Callable[..., _Opening]:
    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> _Opening:
        return _Opening(method(*args, **kwargs))

    return wrapper


class AsyncProcess:
    def __init__(self) -> None:
        self._stdin = AsyncWriter()

    @property
    def stdin(self) -> AsyncWriter:
        return self._stdin

    @opening
    async def open_channel(self) -> str:
        return "channel"

    async def aclose(self) -> None:
        return None


Process = sync_class(AsyncProcess)


def test_a_dropped_twin_of_a_closed_object_is_closed_again() -> None:
    process = Process()
    assert process.stdin.close() is True  # the stdin twin is dropped at once
    gc.collect()
    assert is_closed(process.stdin)
    with pytest.raises(TwinClosedError, match=r"Writer\.write\(\) was called on a closed twin"):
        process.stdin.write("lost")
    assert process.stdin.close() is True  # the result of the close that closed it, nothing run again
    assert dualio.run(_written(process)) == []


async def _written(process: Any) -> list[str]:
    return list(dualio.twin.unwrap(process).stdin.written)


def test_a_dropped_twin_keeps_its_default_timeout() -> None:
    process = Process()
    set_timeout(process.stdin, 0.05)
    gc.collect()
    assert get_timeout(process.stdin) == 0.05
    with pytest.raises(TimeoutError, match=r"AsyncWriter\.slow did not finish within 0\.05 s"):
        process.stdin.slow()
    set_timeout(process.stdin, None)  # lifted for later twins too
    gc.collect()
    assert get_timeout(process.stdin) is None


def test_twin_of_the_object_of_a_closed_dropped_twin_is_closed() -> None:
    writer = dualio.run(_new_writer())
    twin_of(writer).close()
    gc.collect()
    assert is_closed(twin_of(writer))


async def _new_writer() -> AsyncWriter:
    return AsyncWriter()


def test_a_closed_twin_refuses_a_wrapped_async_def_without_making_its_coroutine() -> None:
    process = Process()
    assert process.open_channel() == "channel"
    process.close()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(TwinClosedError, match=r"Process\.open_channel\(\) was called on a closed twin"):
            process.open_channel()
        through = support.through_instance(AsyncProcess, "open_channel")  # how a generated twin may call it
        with pytest.raises(TwinClosedError, match=r"Process\.open_channel\(\) was called on a closed twin"):
            support.call_sync(process, through)
        gc.collect()
    assert [str(warning.message) for warning in caught] == []  # no "coroutine ... was never awaited"


def test_twin_of_with_a_class_says_how_to_twin_what_an_opener_gives() -> None:
    """``twin_of(asyncssh.connect(...), SyncSSHClientConnection)``: the opener gives the connection when awaited."""

    async def connect() -> AsyncProcess:
        return AsyncProcess()

    opener = _Opening(connect())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"twin_of\(dualio\.run\(obj\), Process\)") as caught:
        twin_of(opener, Process)
    assert "with dualio.enter(obj) as raw: twin = twin_of(raw, Process)" in str(caught.value)
    process = twin_of(dualio.run(opener), Process)  # the way it says
    assert process.open_channel() == "channel"


class AsyncSession:
    """No aclose() or close(): a twin's close() runs __aexit__ (mcp's ClientSession, whose second __aexit__ fails)."""

    def __init__(self) -> None:
        self.exits = 0

    async def __aenter__(self) -> AsyncSession:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.exits += 1
        if self.exits > 1:
            raise AttributeError("'TaskGroup' object has no attribute '_exceptions'")  # anyio's, exited twice

    async def ping(self) -> str:
        return "pong"


def test_close_inside_a_with_block_ends_it_once() -> None:
    Session = sync_class(AsyncSession)
    with Session() as session:
        assert session.ping() == "pong"
        session.close()  # runs __aexit__ (the class has no closer): the block's end runs nothing more
    assert unwrap(session).exits == 1
    assert is_closed(session)
