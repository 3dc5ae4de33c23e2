"""Fixes from review 13 (aiomysql/asyncmy against MariaDB, asyncio's own classes, asyncua).

- asyncio's classes other than loops, futures and handles map as any package's do: a subprocess's ``stdout``
  read through its twin is a twin (before: the raw ``StreamReader``, whose ``readline()`` was a coroutine);
- a task that a sync ``def`` returns is not awaited, and a task or future that reaches sync code comes back as a
  ``PortalFuture`` (``result(timeout)``, ``cancel()`` on the loop), as ``submit`` returns;
- ``asyncio.Timeout`` and ``asyncio.TaskGroup``, bound to the task that enters them, are refused with advice.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Generator
from typing import Any

import pytest

import dualio
import dualio.twin
from dualio import PortalFuture
from dualio.twin import Twin, sync_class, twin_of, unwrap


async def _spawn(code: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-c", code, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
    )


def test_a_subprocess_pipe_read_through_its_twin_is_a_twin() -> None:
    # The child waits for its stdin to close before it exits: drain() after the pipe closed would raise
    # ConnectionResetError, in `async` code too (a race the test must not have).
    code = "import sys; print('a', flush=True); print(sys.stdin.readline().strip().upper()); sys.stdin.read()"
    proc = twin_of(dualio.run(_spawn(code)))
    stdout, stdin = proc.stdout, proc.stdin
    assert Twin in type(stdout).__mro__
    assert Twin in type(stdin).__mro__
    first = stdout.readline()
    assert first == b"a\n"
    stdin.write(b"shout\n")
    stdin.drain()
    stdin.close()
    lines = list(stdout)  # iterated on the loop until EOF
    assert lines == [b"SHOUT\n"]
    assert proc.wait() == 0


class AsyncWorker:
    """Starts background work as ``loop.create_task`` does: a sync ``def`` returning a running task."""

    def __init__(self) -> None:
        self.cancelled = asyncio.Event()

    def start(self, seconds: float, result: Any = "done") -> asyncio.Task[Any]:
        return asyncio.get_running_loop().create_task(self._work(seconds, result))

    async def _work(self, seconds: float, result: Any) -> Any:
        try:
            await asyncio.sleep(seconds)
        except asyncio.CancelledError:
            self.cancelled.set()
            raise
        if isinstance(result, BaseException):
            raise result
        return result

    async def later(self) -> asyncio.Future[str]:
        """A future returned as a value, as websockets' ``ping()`` returns its pong waiter."""
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        asyncio.get_running_loop().call_later(0.05, future.set_result, "pong")
        return future

    async def partner(self) -> AsyncWorker:
        return AsyncWorker()


def test_a_task_a_sync_def_returns_is_a_portal_future_at_once() -> None:
    worker = sync_class(AsyncWorker)()
    began = time.monotonic()
    future = worker.start(0.2)
    assert time.monotonic() - began < 0.15  # not awaited: the task runs on its own
    assert isinstance(future, PortalFuture)
    assert future.result(timeout=5) == "done"


def test_two_started_tasks_run_at_the_same_time() -> None:
    worker = sync_class(AsyncWorker)()
    began = time.monotonic()
    futures = [worker.start(0.3, n) for n in range(2)]
    results = [future.result(timeout=5) for future in futures]
    assert results == [0, 1]
    assert time.monotonic() - began < 0.55  # 0.3 s together, not 0.6 s one after the other


def test_cancelling_the_portal_future_cancels_the_task_on_the_loop() -> None:
    worker = sync_class(AsyncWorker)()
    future = worker.start(30)
    assert future.cancel()
    assert future.cancelled()
    seen = dualio.run(asyncio.wait_for(unwrap(worker).cancelled.wait(), 5))
    assert seen is True


def test_a_failed_task_raises_from_result() -> None:
    worker = sync_class(AsyncWorker)()
    future = worker.start(0.01, ValueError("boom"))
    with pytest.raises(ValueError, match="boom"):
        future.result(timeout=5)


def test_a_task_result_is_mapped_to_its_twin() -> None:
    async def make() -> AsyncWorker:
        return AsyncWorker()

    worker = sync_class(AsyncWorker)()
    inner = dualio.run(make())
    future = worker.start(0.01, inner)
    assert future.result(timeout=5) is twin_of(inner)


def test_a_future_returned_by_an_async_def_is_a_portal_future() -> None:
    worker = sync_class(AsyncWorker)()
    waiter = worker.later()
    assert isinstance(waiter, PortalFuture)
    assert waiter.result(timeout=5) == "pong"


@pytest.mark.parametrize("task_scoped", [asyncio.Timeout, asyncio.TaskGroup])
def test_task_scoped_context_managers_are_refused_with_advice(task_scoped: type) -> None:
    with pytest.raises(TypeError, match=r"bound to the task that enters it.*dualio\.twin\.timeout") as caught:
        sync_class(task_scoped)
    assert task_scoped.__qualname__ in str(caught.value)


def test_a_task_group_made_by_async_code_is_refused_by_twin_of() -> None:
    async def make() -> asyncio.TaskGroup:
        return asyncio.TaskGroup()

    with pytest.raises(TypeError, match="bound to the task that enters it"):
        twin_of(dualio.run(make()))


class AsyncCursor:
    async def execute(self, seconds: float) -> str:
        await asyncio.sleep(seconds)
        return "ran"


class AsyncFeed:
    """An async iterator that waits ``seconds`` for each item."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def __aiter__(self) -> AsyncFeed:
        return self

    async def __anext__(self) -> AsyncCursor:
        await asyncio.sleep(self.seconds)
        return AsyncCursor()


class AsyncConnection:
    def __init__(self) -> None:
        self.messages = AsyncFeed(0.5)

    async def cursor(self) -> AsyncCursor:
        return AsyncCursor()


def test_a_scoped_timeout_naming_a_twin_covers_the_twins_its_calls_give() -> None:
    conn = sync_class(AsyncConnection)()
    with dualio.twin.timeout(0.05, conn):
        cursor = conn.cursor()
        with pytest.raises(TimeoutError, match=r"AsyncCursor\.execute did not finish within 0\.05 s"):
            cursor.execute(1)
    outside = cursor.execute(0.01)  # the block is over: the cursor's own default (none)
    assert outside == "ran"


def test_a_scoped_timeout_naming_a_twin_limits_an_iterator_its_attribute_gives() -> None:
    conn = sync_class(AsyncConnection)()
    conn.messages.seconds = 0.2
    feed = iter(conn.messages)  # an async iterator read as an attribute: each item waits 0.2 s
    with dualio.twin.timeout(0.05, conn), pytest.raises(TimeoutError):
        next(feed)  # each step gets the limit in force when next() is called (since stop 28)
    with dualio.twin.timeout(0.05, conn):
        made_in_the_block = iter(conn.messages)
    assert isinstance(next(made_in_the_block), dualio.twin.Twin)  # stepped outside it: no limit
    assert isinstance(next(feed), dualio.twin.Twin)  # a class's __anext__ goes on after a timed-out step


def test_a_scoped_timeout_naming_another_twin_does_not_cover_these() -> None:
    conn, other = sync_class(AsyncConnection)(), sync_class(AsyncConnection)()
    cursor = conn.cursor()
    with dualio.twin.timeout(0.01, other):
        ran = cursor.execute(0.05)
    assert ran == "ran"


class AsyncNode:
    def __init__(self, name: str) -> None:
        self.name = name

    async def read(self) -> str:
        return f"value of {self.name}"


class Shortcuts:
    """A plain object of the package that only holds async objects (asyncua's ``client.nodes``)."""

    def __init__(self) -> None:
        self.root = AsyncNode("root")
        self.label = "shortcuts"


class AsyncTree:
    def __init__(self) -> None:
        self.nodes = Shortcuts()

    async def children(self) -> list[AsyncNode]:
        return [AsyncNode("a"), AsyncNode("b")]

    async def pair(self) -> tuple[AsyncNode, int]:
        return AsyncNode("p"), 1

    async def response(self) -> dict[str, Any]:
        return {"Body": AsyncNode("body"), "status": 200}

    async def names(self) -> list[str]:
        return ["plain", "values"]

    @classmethod
    async def roots(cls) -> list[AsyncNode]:
        return [AsyncNode("r")]

    async def read_all(self, nodes: list[AsyncNode], by_name: dict[str, AsyncNode]) -> list[str]:
        return [await node.read() for node in [*nodes, *by_name.values()]]


def test_a_run_time_twin_maps_the_elements_of_lists_tuples_and_dicts_it_returns() -> None:
    tree = sync_class(AsyncTree)()
    children = tree.children()
    assert [child.read() for child in children] == ["value of a", "value of b"]
    node, count = tree.pair()
    assert (node.read(), count) == ("value of p", 1)
    response = tree.response()
    assert response["Body"].read() == "value of body"
    assert response["status"] == 200
    roots = sync_class(AsyncTree).roots()
    assert roots[0].read() == "value of r"


def test_a_list_of_plain_values_is_returned_as_it_is() -> None:
    tree = sync_class(AsyncTree)()
    names = tree.names()
    assert names == ["plain", "values"]


def test_twins_inside_list_and_dict_arguments_reach_the_async_code_as_async_objects() -> None:
    tree = sync_class(AsyncTree)()
    a, b = tree.children()
    read = tree.read_all([a, b], by_name={"body": tree.response()["Body"]})
    assert read == ["value of a", "value of b", "value of body"]


def test_a_plain_object_holding_async_objects_is_a_twin_that_maps_them() -> None:
    tree = sync_class(AsyncTree)()
    nodes = tree.nodes
    assert Twin in type(nodes).__mro__
    assert nodes.root.read() == "value of root"
    assert nodes.label == "shortcuts"


class AsyncBound:
    """Binds to the loop it is made on (aio-pika's ``Connection``, aiomqtt's ``Client``)."""

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()

    def _foreign_future(self) -> asyncio.Future[int]:
        return self.loop.create_future()

    def channel(self) -> asyncio.Future[int]:  # a sync def returning an awaitable (aio-pika's channel())
        return self._foreign_future()

    async def wait(self) -> int:  # asyncio.wait_for of a future of the object's loop: a ValueError
        return await asyncio.wait_for(self._foreign_future(), 1)

    async def __aenter__(self) -> AsyncBound:
        await self._foreign_future()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        return None


def _use(bound: Any, path: str) -> None:
    if path == "sync def returning an awaitable":
        bound.channel()
    elif path == "ValueError of wait_for":
        bound.wait()
    else:
        with bound:
            pass


@pytest.mark.parametrize("path", ["sync def returning an awaitable", "ValueError of wait_for", "with twin"])
def test_an_object_of_another_loop_gets_the_note_on_every_path(path: str) -> None:
    async def make() -> AsyncBound:
        return AsyncBound()

    with dualio.Portal("made-elsewhere") as elsewhere:
        bound = twin_of(elsewhere.run(make()))  # made on another portal's loop, pinned to the default portal
        with pytest.raises((RuntimeError, ValueError)) as caught:
            _use(bound, path)
    notes = " ".join(getattr(caught.value, "__notes__", []))
    assert "uses another event loop than its twin's portal" in notes
    assert "another portal's loop" in notes


class _AwaitableConnect:
    """What aiomysql's ``connect()`` returns: awaitable (to a connection) and an async context manager."""

    def __init__(self) -> None:
        self._connection = AsyncCursor()

    def __await__(self) -> Generator[Any, None, AsyncCursor]:
        return self._connected().__await__()

    async def _connected(self) -> AsyncCursor:
        return self._connection

    async def __aenter__(self) -> AsyncCursor:
        return self._connection

    async def __aexit__(self, *exc_info: object) -> None:
        return None


def test_an_attribute_missing_on_an_awaitable_objects_twin_says_to_enter_or_await_it() -> None:
    connecting = twin_of(_AwaitableConnect())
    with pytest.raises(AttributeError) as caught:
        connecting.execute(0)
    assert "twin of an awaitable _AwaitableConnect, not of what it gives" in " ".join(caught.value.__notes__)
    with connecting as cursor:
        assert cursor.execute(0) == "ran"
