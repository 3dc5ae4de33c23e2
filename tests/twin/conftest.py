"""Fixtures for the twin tests: the example store's twins, generated or built at run time, on each loop."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

import dualio
from dualio.twin import _dynamic, _registry, sync_class, use_portal
from dualio.twin.examples import store
from dualio.twin.examples._async_store import AsyncCursor, AsyncStore

from ._aiohttp_server import Server, start
from ._helpers_runtime import lazy_connection


@dataclass(frozen=True)
class Flavour:
    """The twin classes of AsyncStore and AsyncCursor under test, and how they were made."""

    name: str
    Store: type[store.Store]
    Cursor: type[store.Cursor]


@pytest.fixture(params=["generated", "runtime"])
def flavour(request: pytest.FixtureRequest) -> Iterator[Flavour]:
    """The generated twins (dualio.twin.examples.store), or twins built by sync_class's builder at run time.

    For the run-time flavour the registry maps AsyncStore/AsyncCursor to the run-time classes for the test, so
    returned objects become run-time twins too; the generated classes are registered again afterwards.
    """
    if request.param == "generated":
        yield Flavour("generated", store.Store, store.Cursor)
        return
    runtime_store: Any = _dynamic._build(AsyncStore, "Store")
    runtime_cursor: Any = _dynamic._build(AsyncCursor, "Cursor")
    _registry.register(AsyncStore, runtime_store)
    _registry.register(AsyncCursor, runtime_cursor)
    try:
        yield Flavour("runtime", runtime_store, runtime_cursor)
    finally:
        _registry.register(AsyncStore, store.Store)
        _registry.register(AsyncCursor, store.Cursor)


@pytest.fixture
def kv(flavour: Flavour, portal: dualio.Portal) -> Iterator[store.Store]:
    """An open store twin named "kv" on the test portal (asyncio and uvloop), holding a=1, b=2, c=3."""
    with use_portal(portal):
        twin = flavour.Store("kv")
    for key in "abc":
        twin.set(key, str(ord(key) - ord("a") + 1).encode())
    yield twin
    twin.close()


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    """An aiohttp server on 127.0.0.1 (an ephemeral port), on a portal of its own."""
    state = Server()
    with dualio.Portal("aiohttp-server") as server_portal:
        runner = server_portal.run(start, state)
        yield state
        server_portal.run(runner.cleanup, timeout=10)


@pytest.fixture
def lazy_twin_class() -> Any:
    """The run-time twin class of ``lazy_connection``, a lowercase class closed by its ``__aexit__``."""
    return sync_class(lazy_connection)
