"""Fixes from review 12 (grpc.aio, aiobotocore against moto, tortoise-orm).

- a twin's own ``with`` runs ``__aenter__`` and ``__aexit__`` in one context copy (tortoise's ``in_transaction()``
  resets in ``__aexit__`` the context variable token ``__aenter__`` set: "created in a different Context");
- an async object bound to another loop than its twin's (made in sync code, as ``grpc.aio.insecure_channel``)
  fails with asyncio's error plus a note saying to make it on the portal;
- ``twin_of`` of an object with only sync methods says what to do if they return awaitables.
"""

from __future__ import annotations

import asyncio
import contextvars

import pytest

import dualio
from dualio.twin import sync_class, twin_of, use_portal

current: contextvars.ContextVar[str | None] = contextvars.ContextVar("current", default=None)


class AsyncTransaction:
    """Sets a context variable on entry and resets its token on exit, as tortoise-orm's ``in_transaction()``."""

    def __init__(self) -> None:
        self.seen: list[str | None] = []
        self._tokens: list[contextvars.Token[str | None]] = []

    async def __aenter__(self) -> AsyncTransaction:
        self._tokens.append(current.set(f"in transaction {len(self._tokens) + 1}"))
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.seen.append(current.get())
        current.reset(self._tokens.pop())  # ValueError if run in another context than __aenter__

    async def ping(self) -> str | None:
        return current.get()


def test_a_with_block_enters_and_exits_in_one_context(portal: dualio.Portal) -> None:
    Transaction = sync_class(AsyncTransaction)
    with use_portal(portal):
        transaction = Transaction()
    with transaction as entered:  # before: ValueError "... was created in a different Context" at the end
        assert entered is transaction
    assert dualio.twin.unwrap(transaction).seen == ["in transaction 1"]
    with transaction, transaction:  # nested: each exit runs in its own entry's context, innermost first
        pass
    assert dualio.twin.unwrap(transaction).seen == ["in transaction 1", "in transaction 2", "in transaction 1"]
    assert current.get() is None  # the caller's own context is untouched


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


class Paginator:
    """Only sync methods, one returning an async iterable, as botocore's paginator."""

    def paginate(self) -> object:
        return object()


def test_twin_of_a_sync_object_says_what_to_do_with_awaitables() -> None:
    with pytest.raises(TypeError, match=r"twin what they return \(twin_of\(obj\.m\(\.\.\.\)\)\)"):
        twin_of(Paginator())
