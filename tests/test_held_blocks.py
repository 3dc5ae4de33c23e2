"""A sync ``with`` over an async context manager runs ``__aenter__`` and ``__aexit__`` in one task (``_hosting``).

Before: the two halves ran as two portal calls, two tasks, so a context manager whose ``__aenter__`` opens a scope
bound to its task failed at the end of every block (coredis 6's clients enter an anyio task group: "Attempted to
exit cancel scope in a different task than it was entered in"), and an ``asyncio.TaskGroup`` or
``asyncio.timeout`` entered there would wait for or cancel the wrong task. Every form of ``with`` is covered:
``dualio.enter``, ``with twin``, ``with twin.m() as x`` (entered in the call's round trip) with a body of several
statements, with its last call merged with ``__aexit__``, and the whole-block form's fallback.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import anyio
import pytest

import dualio
from dualio.twin import sync_class, use_portal


class AsyncTaskGroupClient:
    """coredis 6's ``Redis``: ``__aenter__`` enters an anyio task group and starts a reader task in it."""

    def __init__(self) -> None:
        self.events: list[str] = []
        self.host: asyncio.Task[Any] | None = None

    async def __aenter__(self) -> AsyncTaskGroupClient:
        self._group = anyio.create_task_group()
        await self._group.__aenter__()
        self.host = asyncio.current_task()
        self._group.start_soon(self._reader)
        return self

    async def __aexit__(self, *exc_info: Any) -> bool | None:
        self._group.cancel_scope.cancel()
        self.events.append(f"exit in host task: {asyncio.current_task() is self.host}")
        return await self._group.__aexit__(*exc_info)

    async def _reader(self) -> None:
        try:
            await anyio.sleep_forever()
        finally:
            self.events.append("reader cancelled")

    async def ping(self) -> str:
        return "PONG"

    def name(self) -> str:
        return "client"

    async def fail_in_group(self) -> None:
        """A child of the task group fails: anyio cancels the task that entered the group."""

        async def failing() -> None:
            raise LookupError("the reader lost its connection")

        self._group.start_soon(failing)
        await asyncio.sleep(0.05)


class AsyncConnector:
    """A factory whose method returns the client, so that ``with connector.connect() as c`` enters it."""

    def __init__(self) -> None:
        self.made: list[AsyncTaskGroupClient] = []

    async def ready(self) -> bool:
        return True

    def connect(self) -> AsyncTaskGroupClient:
        client = AsyncTaskGroupClient()
        self.made.append(client)
        return client


class AsyncStdlibScopes:
    """``__aenter__`` enters an ``asyncio.TaskGroup`` and an ``asyncio.timeout``, both bound to their task."""

    async def __aenter__(self) -> AsyncStdlibScopes:
        self._group = asyncio.TaskGroup()
        await self._group.__aenter__()
        self._deadline = asyncio.timeout(30)
        await self._deadline.__aenter__()
        self._group.create_task(asyncio.sleep(0))
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self._deadline.__aexit__(*exc_info)
        await self._group.__aexit__(*exc_info)

    async def value(self) -> int:
        return 7


EXPECTED = ["exit in host task: True", "reader cancelled"]


def test_dualio_enter_runs_both_halves_in_one_task(portal: dualio.Portal) -> None:
    client = AsyncTaskGroupClient()
    with portal.enter(client) as entered:
        assert entered is client
        assert portal.run(client.ping()) == "PONG"
    assert client.events == EXPECTED
    assert not portal._holders


def test_a_twin_with_block_runs_both_halves_in_one_task(portal: dualio.Portal) -> None:
    client_class = sync_class(AsyncTaskGroupClient)
    with use_portal(portal):
        client = client_class()
        with client as entered:
            assert entered is client
            assert client.ping() == "PONG"
            assert client.ping() == "PONG"
        assert dualio.twin.unwrap(client).events == EXPECTED
        assert not portal._holders


def test_a_with_on_a_call_result_holds_the_block_in_the_task_that_entered(portal: dualio.Portal) -> None:
    connector = sync_class(AsyncConnector)
    sync_class(AsyncTaskGroupClient)
    with use_portal(portal):
        factory = connector()
        with factory.connect() as client:  # entered in the call's round trip
            first = client.ping()
            factory.ready()
            assert client.ping() == first == "PONG"
            print(first)  # the block's last statement is not a twin call: __exit__ ends it
        with factory.connect() as client:
            client.ping()
            last = client.ping()  # the last call: it runs with __aexit__ (``_leaving``)
        with factory.connect() as client:
            name = client.name()  # whole-block shape, but name() is sync: the block is held instead
        assert (last, name) == ("PONG", "client")
        assert [made.events for made in dualio.twin.unwrap(factory).made] == [EXPECTED] * 3
        assert not portal._holders


def test_stdlib_task_group_and_timeout_entered_by_aenter(portal: dualio.Portal) -> None:
    scopes_class = sync_class(AsyncStdlibScopes)
    with use_portal(portal), scopes_class() as scopes:
        assert scopes.value() == 7


def test_an_error_in_the_block_reaches_aexit_in_the_holding_task(portal: dualio.Portal) -> None:
    client_class = sync_class(AsyncTaskGroupClient)
    with use_portal(portal):
        client = client_class()
        with pytest.raises(ExceptionGroup) as caught, client:  # anyio's group wraps it, as in `async with`
            raise KeyError("from the block")
        assert caught.group_contains(KeyError, match="from the block")
        assert dualio.twin.unwrap(client).events == EXPECTED


def test_a_failing_child_of_the_group_ends_the_block_with_its_error(portal: dualio.Portal) -> None:
    """As in ``async with``: the group cancels the task holding it, and so the call of the body that runs in that
    task (since stop 27, the body's calls run there); the block's end raises the group's error."""
    client_class = sync_class(AsyncTaskGroupClient)
    with use_portal(portal):
        client = client_class()
        pings = []
        with pytest.raises(ExceptionGroup) as caught, client:  # noqa: PT012  # raised by the block's end
            client.fail_in_group()  # cancelled in its sleep, as `await client.fail_in_group()` would be
            pings.append(client.ping())
        assert pings == []
        assert caught.group_contains(LookupError, match="lost its connection")
        assert not portal._holders
        assert client.ping() == "PONG"  # after the block: a call of its own again


def test_a_block_left_open_is_exited_when_the_portal_shuts_down(
    loop_factory: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Its ``__aexit__`` gets a CancelledError before the drain, so it is not reported as left pending."""
    client = AsyncTaskGroupClient()
    portal = dualio.Portal("held-at-shutdown", loop_factory=loop_factory, drain_timeout=0.5)
    manager = portal.enter(client)
    manager.__enter__()
    with caplog.at_level(logging.WARNING, logger="dualio"):
        portal.shutdown()
    assert client.events == EXPECTED
    assert not [record for record in caplog.records if "still pending" in record.getMessage()]


class AsyncSlowHalves:
    def __init__(self, enter_delay: float, exit_delay: float) -> None:
        self.enter_delay, self.exit_delay = enter_delay, exit_delay
        self.cancelled: list[str] = []

    async def __aenter__(self) -> AsyncSlowHalves:
        try:
            await asyncio.sleep(self.enter_delay)
        except asyncio.CancelledError:
            self.cancelled.append("__aenter__")
            raise
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        try:
            await asyncio.sleep(self.exit_delay)
        except asyncio.CancelledError:
            self.cancelled.append("__aexit__")
            raise


def test_a_timeout_cancels_aenter_and_leaves_nothing_held(portal: dualio.Portal) -> None:
    slow_class = sync_class(AsyncSlowHalves)
    with use_portal(portal):
        slow = slow_class(30, 0)
        with pytest.raises(TimeoutError, match=r"AsyncSlowHalves.__aenter__"), dualio.twin.timeout(0.05), slow:
            pass  # pragma: no cover - never entered
    assert dualio.twin.unwrap(slow).cancelled == ["__aenter__"]
    assert not portal._holders


def test_a_timeout_cancels_aexit_in_the_holding_task(portal: dualio.Portal) -> None:
    slow_class = sync_class(AsyncSlowHalves)
    with use_portal(portal):
        slow = slow_class(0, 30)
        with pytest.raises(TimeoutError, match=r"AsyncSlowHalves.__aexit__"), dualio.twin.timeout(0.05), slow:
            pass
    assert dualio.twin.unwrap(slow).cancelled == ["__aexit__"]
    assert not portal._holders


def test_held_blocks_count_as_two_completed_calls(portal: dualio.Portal) -> None:
    """The entering call completes when it hands over ``__aenter__``'s value, the exit when ``__aexit__`` returns."""
    before = portal.statistics()
    for _ in range(3):
        with portal.enter(AsyncTaskGroupClient()):
            pass
    after = portal.statistics()
    assert after.tasks_submitted - before.tasks_submitted == 6
    assert after.tasks_completed - before.tasks_completed == 6
    assert (after.tasks_failed, after.tasks_cancelled, after.tasks_pending) == (
        before.tasks_failed,
        before.tasks_cancelled,
        0,
    )
