"""Run-time twin classes and their instances: names, generic subscription, copying and pickling.

Run-time twin classes report the module ``dualio.twin``, not the async class's: ``sync_class(psycopg.AsyncConnection)``
is ``<class 'dualio.twin.Connection'>``, not the name of psycopg's own sync class. Lowercase and private classes
get fitting twin names; the twin of a generic class takes type arguments; a twin and a portal are their own
copy and say why they cannot be deep-copied or pickled.
"""

from __future__ import annotations

import asyncio
import copy
import pickle
import sys
from typing import Any, Generic, TypeVar

import psycopg
import pytest

import dualio
from dualio import twin
from dualio.twin import sync_class, use_portal
from dualio.twin._source import twin_name


class AsyncGadget:
    """A gadget."""

    async def spin(self) -> int:
        return 1


class AsyncWidget:
    async def spin(self) -> int:
        return 2


def test_a_run_time_twin_is_named_in_dualio_twin() -> None:
    Gadget = sync_class(AsyncGadget)
    assert Gadget.__module__ == "dualio.twin"
    assert Gadget.__name__ == Gadget.__qualname__ == "Gadget"
    assert repr(Gadget) == "<class 'dualio.twin.Gadget'>"
    assert Gadget.__doc__ is not None
    assert Gadget.__doc__.startswith(f"Sync twin of :class:`{__name__}.AsyncGadget` (built at run time).")
    assert not hasattr(dualio.twin, "Gadget")  # the name resolves to nothing, rather than to another class


def test_a_chosen_name_is_kept() -> None:
    Widget = sync_class(AsyncWidget, name="Doohickey")
    assert (Widget.__module__, Widget.__qualname__) == ("dualio.twin", "Doohickey")


def test_an_instance_repr_names_the_twin_and_its_async_object(portal: dualio.Portal) -> None:
    Gadget = sync_class(AsyncGadget)
    with use_portal(portal):
        gadget = Gadget()
    try:
        assert repr(gadget).startswith(f"<Gadget twin of <{__name__}.AsyncGadget object at ")
    finally:
        gadget.close()


def test_psycopg_connection_twin_no_longer_takes_psycopgs_own_name() -> None:
    ConnectionTwin: Any = sync_class(psycopg.AsyncConnection)
    assert ConnectionTwin is not psycopg.Connection
    assert f"{ConnectionTwin.__module__}.{ConnectionTwin.__qualname__}" == "dualio.twin.Connection"
    assert getattr(sys.modules[ConnectionTwin.__module__], ConnectionTwin.__qualname__, None) is None
    with pytest.raises(pickle.PicklingError, match=r"dualio\.twin\.Connection"):
        pickle.dumps(ConnectionTwin)  # an honest refusal: a class made at run time is not importable by name


def test_another_name_for_a_class_that_has_a_twin_class_is_refused() -> None:
    class AsyncGizmo:
        async def ping(self) -> str:
            return "pong"

    Gizmo = sync_class(AsyncGizmo, name="Gizmo")
    assert sync_class(AsyncGizmo, name="Gizmo") is Gizmo  # the same name: the same class
    assert sync_class(AsyncGizmo) is Gizmo
    with pytest.raises(ValueError, match=r"already has a twin class, dualio\.twin\.Gizmo .* name='Thingamajig'"):
        sync_class(AsyncGizmo, name="Thingamajig")  # was silently the class named Gizmo


def test_a_lowercase_class_gets_a_capitalized_twin_name(lazy_twin_class: Any) -> None:
    assert lazy_twin_class.__name__ == "SyncLazy_connection"  # before: Synclazy_connection


class _SubscriptionIterator:  # aio-pika's private iterator class, reached by run-time twins
    async def __anext__(self) -> int:
        raise StopAsyncIteration


class _AsyncPool:
    async def acquire(self) -> int:
        return 1


def test_a_private_class_gets_a_private_twin_name() -> None:
    # Before: Sync_SubscriptionIterator, a public-looking name for a private class's twin.
    assert sync_class(_SubscriptionIterator).__name__ == "_SyncSubscriptionIterator"
    assert sync_class(_AsyncPool).__name__ == "_Pool"
    assert twin_name("__Pool") == "__SyncPool"
    assert twin_name("_") == "_Sync"


T = TypeVar("T")


class AsyncPool(Generic[T]):
    def __init__(self, items: list[T]) -> None:
        self.items = items

    async def get(self) -> T:
        await asyncio.sleep(0)
        return self.items[0]


class AsyncPlain:
    async def get(self) -> int:
        return 1


def test_the_run_time_twin_of_a_generic_class_takes_its_type_arguments() -> None:
    """``AsyncPool[str](...)`` works, so ``Pool[str](...)`` must (before: "is not a generic class")."""
    pool_cls: Any = twin.sync_class(AsyncPool)
    pool = pool_cls[str](["a"])
    assert pool.get() == "a"
    assert type(pool) is pool_cls
    assert repr(pool_cls[int]).endswith("Pool[int]")
    assert not hasattr(twin.unwrap(pool), "__orig_class__")  # not passed on to the async object
    with pytest.raises(TypeError, match=r"takes 1 type argument\(s\), as AsyncPool does; got 2"):
        pool_cls[str, int]
    with pytest.raises(TypeError, match="is not a generic class"):
        twin.sync_class(AsyncPlain)[int]
    pool.close()


class AsyncCounter:
    def __init__(self) -> None:
        self.count = 0

    async def add(self, n: int) -> int:
        self.count += n
        return self.count


def test_a_twin_is_its_own_copy_and_says_why_it_cannot_be_deep_copied_or_pickled() -> None:
    """Before, `copy.copy` made a second twin of the object (closing it left the first open), deepcopy and
    pickle failed with messages about contextvars and WeakSets (also for a `multiprocessing` spawn argument)."""
    counter: Any = twin.sync_class(AsyncCounter)()
    assert copy.copy(counter) is counter
    assert counter.add(2) == 2
    for attempt, how in ((copy.deepcopy, "deep-copied"), (pickle.dumps, "pickled")):
        with pytest.raises(TypeError, match=rf"^a Counter twin cannot be {how}: .*make the twin there"):
            attempt(counter)
    assert counter.add(1) == 3  # untouched
    counter.close()


def test_a_portal_is_its_own_copy_and_says_why_it_cannot_be_deep_copied_or_pickled() -> None:
    with dualio.Portal("copied") as portal:
        assert copy.copy(portal) is portal
        for attempt, how in ((copy.deepcopy, "deep-copied"), (pickle.dumps, "pickled")):
            with pytest.raises(TypeError, match=rf"^portal 'copied' cannot be {how}: it owns an event loop"):
                attempt(portal)
        assert portal.run(asyncio.sleep(0, "still running")) == "still running"
