"""Run-time twin classes report the module ``dualio.twin``, not the async class's (review 9, r11).

``sync_class(psycopg.AsyncConnection)`` used to be ``<class 'psycopg.Connection'>``, the name of psycopg's own
sync class; now it is ``<class 'dualio.twin.Connection'>``, a name that no other class answers to.
"""

from __future__ import annotations

import pickle
import sys
from typing import Any

import psycopg
import pytest

import dualio
from dualio.twin import sync_class, use_portal


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
