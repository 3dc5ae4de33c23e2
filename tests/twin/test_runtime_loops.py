"""Twins and event loops: objects bound to another loop, twins of other portals, forks, and sync methods
that run their own loop.

An async object bound to another loop than its twin's (grpc.aio's channel made in sync code, aio-pika's
``Connection``) fails with asyncio's error plus a note saying to make it on the portal, also behind another
error; a twin made from another portal's twin lives on that portal; a twin used after ``fork()`` says to make it
again; a sync method running its own loop (aiosmtplib's ``sendmail_sync``, gql's ``execute``, pydantic-ai's
``run_sync``) fails with a note saying what to call instead.
"""

from __future__ import annotations

import asyncio
import os
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

import dualio
import dualio.twin
from dualio import twin
from dualio.twin import sync_class, twin_of, use_portal
from tests.test_review_fixes import OperationInProgress, SlottedPool


class AsyncMailer:
    async def send(self, message: str) -> str:
        return f"sent {message}"

    def send_sync(self, message: str) -> str:  # as aiosmtplib's sendmail_sync: its own event loop
        coro = self.send(message)
        try:
            return asyncio.run(coro)
        finally:
            coro.close()  # not awaited when asyncio.run() refused: no "never awaited" warning


def test_a_sync_method_running_its_own_loop_fails_with_a_note(portal: dualio.Portal) -> None:
    with use_portal(portal):
        mailer = sync_class(AsyncMailer)()
    try:
        with pytest.raises(RuntimeError, match="cannot be called from a running event loop") as caught:
            mailer.send_sync("hi")
        notes = "\n".join(getattr(caught.value, "__notes__", []))
        assert "AsyncMailer.send_sync() is a sync method that runs its own event loop" in notes
        assert "call the async method it wraps through the twin instead" in notes
        assert mailer.send("hi") == "sent hi"
    finally:
        mailer.close()


class AsyncBoundChannel:
    """Keeps the event loop it is given, else the running one, as grpc.aio's ``Channel`` keeps the one it finds."""

    def __init__(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self._loop = loop if loop is not None else asyncio.get_running_loop()

    async def ready(self) -> bool:
        future = self._loop.create_future()
        self._loop.call_soon(future.set_result, True)
        return await future  # type: ignore[no-any-return]


def test_an_object_bound_to_another_loop_fails_with_a_note(portal: dualio.Portal) -> None:
    other_loop = asyncio.new_event_loop()  # what sync code's get_event_loop() would give
    try:
        with use_portal(portal):
            channel = twin_of(AsyncBoundChannel(other_loop))
        with pytest.raises(RuntimeError, match="attached to a different loop") as caught:
            channel.ready()
    finally:
        other_loop.close()
    notes = "\n".join(getattr(caught.value, "__notes__", []))
    assert "AsyncBoundChannel.ready: its async object uses another event loop than its twin's portal" in notes
    assert "twin_of(dualio.run(make()))" in notes

    async def make() -> AsyncBoundChannel:
        return AsyncBoundChannel()

    with use_portal(portal):
        assert twin_of(portal.run(make())).ready() is True  # made on the portal: it works


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


class AsyncStore:
    async def get(self, key: str) -> int | None:
        return None


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_twin_used_after_fork_says_to_make_it_again(portal: dualio.Portal) -> None:
    with use_portal(portal):
        store = sync_class(AsyncStore)()
        assert store.get("warm") is None
    read, write = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # "use of fork() may lead to deadlocks" (threads)
        pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.close(read)
        try:
            store.get("a")
            text = "no error"
        except Exception as error:  # reported to the parent
            text = f"{type(error).__name__}: {error} {' '.join(getattr(error, '__notes__', []))}"
        os.write(write, text.encode())
        os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    with os.fdopen(read, "rb") as pipe:
        text = pipe.read().decode()
    assert text.startswith("PortalClosedError"), text
    assert "this twin was made before the process forked" in text
    assert "worker_process_init" in text


# Before, a twin made from a twin of another portal was made on the default portal (a cross-loop object).


class AsyncEngine:
    async def loop_id(self) -> int:
        return id(asyncio.get_running_loop())


class AsyncSessionOf:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.loop = asyncio.get_running_loop()

    async def same_loop(self) -> bool:
        return asyncio.get_running_loop() is self.loop and id(self.loop) == await self.engine.loop_id()


def test_a_twin_made_from_another_portal_s_twin_lives_on_that_portal() -> None:
    engine_class, session_class = sync_class(AsyncEngine), sync_class(AsyncSessionOf)
    with dualio.Portal("engine-portal") as portal, dualio.Portal("other-portal") as other:
        with dualio.twin.use_portal(portal):
            engine = engine_class()
        session = session_class(engine)  # no use_portal here (another thread, say): the engine's portal
        assert dualio.twin.portal_of(session) is portal
        assert session.same_loop() is True
        with dualio.twin.use_portal(other):
            elsewhere = engine_class()
        with pytest.raises(ValueError, match=r"given twins pinned to different portals \('engine-portal', 'other"):
            sync_class(AsyncPair)(engine, elsewhere)


class AsyncPair:
    def __init__(self, first: AsyncEngine, second: AsyncEngine) -> None:
        self.first, self.second = first, second

    async def get(self) -> int:
        return 2


class AsyncStaleCache:
    """A client first used under ``asyncio.run()``: its cleanup on the dead loop hides asyncio's real complaint
    (aiocache's redis cache raises "Event loop is closed" while handling "... attached to a different loop")."""

    async def get(self, key: str) -> str:
        try:
            raise RuntimeError("Task <Task pending> got Future <Future pending> attached to a different loop")
        except RuntimeError:
            raise RuntimeError(f"Event loop is closed (reading {key!r})")


def test_an_other_loop_error_behind_another_error_gets_the_note(portal: dualio.Portal) -> None:
    # Before, "Event loop is closed", raised while handling asyncio's "attached to a different loop", got no
    # dualio note, though it is the case the note is for.
    with use_portal(portal):
        cache = sync_class(AsyncStaleCache)()
    with pytest.raises(RuntimeError, match="Event loop is closed") as caught:
        cache.get("a")
    assert "attached to a different loop" in str(caught.value.__context__)
    (note,) = caught.value.__notes__
    assert "its async object uses another event loop than its twin's portal" in note


class _Repository:
    def __init__(self, pool: SlottedPool) -> None:
        self.pool = pool

    async def count(self) -> int:
        return await self.pool.fetchval()


def test_a_twin_call_that_used_an_object_of_another_portal_names_it() -> None:
    # Before (piccolo), a query twin made outside use_portal ran on the default portal, with the engine's pool
    # on another; the library's error said nothing about loops.
    async def make() -> SlottedPool:
        return SlottedPool()

    with dualio.Portal("pool-home") as home, dualio.Portal("elsewhere") as elsewhere:
        pool = home.run(make())
        with use_portal(elsewhere):
            repository = twin.sync_class(_Repository)(pool)
        with pytest.raises(OperationInProgress) as caught:
            repository.count()
        (note,) = caught.value.__notes__
        assert note.startswith("dualio: SlottedPool (in SlottedPool.fetchval) belongs to the loop of portal ")
        assert "'pool-home', but this call ran on the loop of portal 'elsewhere'" in note


class _GqlClient:
    """gql 4.4's Client: execute() and subscribe() run their own loop, and assert that none runs."""

    async def execute_async(self, query: str) -> dict[str, str]:
        return {"query": query}

    def execute(self, query: str) -> dict[str, str]:
        assert asyncio_loop_is_not_running(), (
            "Cannot run client.execute(query) if an asyncio loop is running. Use 'await client.execute_async(query)'"
        )
        return {"query": query}

    def subscribe(self, query: str) -> Iterator[str]:
        assert asyncio_loop_is_not_running(), "Cannot run client.subscribe(query) if an asyncio loop is running."
        yield query


def asyncio_loop_is_not_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return True
    return False


def test_a_sync_method_that_runs_its_own_loop_says_what_to_call_instead(portal: dualio.Portal) -> None:
    # Before, gql's client.execute() / client.subscribe() on a twin failed with gql's "... if an asyncio loop
    # is running. Use 'await client.execute_async(query)'", advice for async code; docs/twin.md even cited
    # gql's subscribe as working.
    with use_portal(portal):
        client = twin.sync_class(_GqlClient)()
    assert client.execute_async("{ a }") == {"query": "{ a }"}
    with pytest.raises(AssertionError, match="if an asyncio loop is running") as caught:
        client.execute("{ a }")
    (note,) = caught.value.__notes__
    assert note.startswith("_GqlClient.execute() is a sync method that runs its own event loop")
    assert "gql: client.execute_async(...)" in note
    with pytest.raises(AssertionError, match="if an asyncio loop is running") as caught:
        list(client.subscribe("subscription { a }"))
    (note,) = caught.value.__notes__
    assert note.startswith("_GqlClient.subscribe() is a sync method that runs its own event loop")


class _AgentRunningItsOwnLoop:
    async def run(self, prompt: str) -> str:
        return prompt

    def run_sync(self, prompt: str) -> str:  # pydantic-ai's: run_until_complete on the thread's loop
        coroutine = self.run(prompt)
        try:
            return asyncio.get_event_loop().run_until_complete(coroutine)
        finally:
            coroutine.close()  # refused before it ran: no "never awaited" warning


def test_run_until_complete_on_the_portal_loop_gets_the_note(portal: dualio.Portal) -> None:
    # Before, pydantic-ai's agent.run_sync() on a twin raised "This event loop is already running" with no note.
    with use_portal(portal):
        agent = twin.sync_class(_AgentRunningItsOwnLoop)()
    with pytest.raises(RuntimeError, match="already running") as caught:
        agent.run_sync("hi")
    (note,) = caught.value.__notes__
    assert note.startswith("_AgentRunningItsOwnLoop.run_sync() is a sync method that runs its own event loop")
    assert "pydantic-ai: agent.run(...), not agent.run_sync(...)" in note
    assert agent.run("hi") == "hi"
