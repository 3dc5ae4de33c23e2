"""Every mapping rule of section 1, on the example store, for generated and run-time twins, on both loops."""

from __future__ import annotations

import functools
import gc
import threading
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

import dualio
from dualio.twin import _registry, portal_of, sync_class, unwrap, use_portal
from dualio.twin.examples._async_store import AsyncCursor, AsyncStore, StoreError
from dualio.twin.examples.store import Store

from .conftest import Flavour


def test_the_async_object_is_created_on_the_portal_loop(kv: Store, portal: dualio.Portal) -> None:
    assert isinstance(unwrap(kv), AsyncStore)
    assert kv.loop is portal.loop  # AsyncStore.__init__ called get_running_loop(): it ran on the portal's loop
    assert portal_of(kv) is portal


def test_async_methods_block_and_return_their_result(kv: Store) -> None:
    assert kv.get("a") == b"1"
    assert kv.get("missing") is None
    assert kv.get("missing", b"default") == b"default"
    assert kv.set("a", b"x", replace=False) is False
    assert kv.set_many(("d", b"4"), ("e", b"5"), replace=True) == 2
    assert kv.get("e") == b"5"


def test_errors_raised_by_async_methods_reach_the_caller(kv: Store) -> None:
    with pytest.raises(StoreError, match="broken"):
        kv.fail("broken")
    assert kv.get("a") == b"1"  # the twin still works


def test_sync_methods_run_on_the_loop_and_awaitables_they_return_are_awaited(kv: Store) -> None:
    assert kv.size() == 3  # AsyncStore._check() refuses any other loop, so these ran on the portal's
    assert kv.get_soon("b") == b"2"


def test_async_generator_methods_become_iterators(kv: Store) -> None:
    assert list(kv.scan()) == [("a", b"1"), ("b", b"2"), ("c", b"3")]
    assert list(kv.scan("b")) == [("b", b"2")]
    assert kv.open_scans == 0


def test_breaking_out_of_an_iterator_acloses_the_async_generator(kv: Store) -> None:
    for key, _value in kv.scan():
        assert kv.open_scans == 1
        if key == "a":
            break
    assert kv.open_scans == 0  # its finally ran, on the loop, when the loop was left
    iterator = kv.scan()
    assert next(iterator) == ("a", b"1")
    iterator.close()  # type: ignore[attr-defined]  # a generator
    assert kv.open_scans == 0


def test_async_iterator_classes_become_iterators(kv: Store, flavour: Flavour) -> None:
    cursor = kv.cursor()
    assert isinstance(cursor, flavour.Cursor)
    assert next(cursor) == ("a", b"1")
    assert list(cursor) == [("b", b"2"), ("c", b"3")]
    with pytest.raises(StopIteration):
        next(cursor)


def test_breaking_out_of_an_async_iterator_object_acloses_it(kv: Store) -> None:
    cursor = kv.cursor()
    for _item in cursor:
        break
    assert cursor.closed is True


def test_async_context_managers_become_with_blocks(flavour: Flavour, portal: dualio.Portal) -> None:
    with use_portal(portal):
        twin = flavour.Store("cm")
    with twin as entered:
        assert entered is twin  # __aenter__ returned the async object: the twin comes back, not a new one
        assert twin.entered == 1
        assert twin.closed is False
    assert twin.closed is True  # __aexit__ ran on the loop and closed the store


def test_a_sync_method_returning_an_async_context_manager(kv: Store, flavour: Flavour) -> None:
    with kv.transaction() as cursor:
        assert isinstance(cursor, flavour.Cursor)
        kv.set("d", b"4")
    assert kv.get("d") == b"4"

    def fail_inside_a_transaction() -> None:
        with kv.transaction():
            kv.set("e", b"5")
            kv.fail("roll back")

    with pytest.raises(StoreError):
        fail_inside_a_transaction()
    assert kv.get("e") is None  # the exception reached __aexit__ of the async context manager


def test_properties_and_plain_attributes_pass_through(kv: Store, flavour: Flavour) -> None:
    assert kv.name == "kv"
    assert flavour.Store.VERSION == "1.0"
    assert kv.VERSION == "1.0"
    calls = kv.calls
    kv.get("a")
    assert kv.calls == calls + 1
    kv.latency = 0.001  # an instance attribute set through the twin
    assert unwrap(kv).latency == 0.001
    assert kv.get("a") == b"1"


def test_classmethod_factories_and_staticmethods(flavour: Flavour, portal: dualio.Portal) -> None:
    with use_portal(portal):
        opened = flavour.Store.open("factory")
        assert flavour.Store.ping() == "pong"
    try:
        assert isinstance(opened, flavour.Store)
        assert portal_of(opened) is portal
        assert opened.loop is portal.loop
        assert opened.set("k", b"v") is True
    finally:
        opened.close()
    assert flavour.Store.normalize("  KEY ") == "key"


def test_the_same_async_object_always_maps_to_the_same_twin(kv: Store) -> None:
    cursor = kv.cursor()
    assert cursor.store is kv
    assert kv.cursor().store is kv
    with kv.transaction() as in_transaction:
        assert in_transaction.store is kv


def test_twins_passed_as_arguments_reach_async_code_as_async_objects(
    kv: Store, flavour: Flavour, portal: dualio.Portal
) -> None:
    with use_portal(portal):
        cursor = flavour.Cursor(kv, ["b", "c"])
    assert isinstance(unwrap(cursor), AsyncCursor)
    assert list(cursor) == [("b", b"2"), ("c", b"3")]
    assert cursor.store is kv


def test_the_object_registry_forgets_twins_nobody_holds(kv: Store) -> None:
    gc.collect()
    before = len(_registry._objects)
    cursors = [kv.cursor() for _ in range(20)]
    assert len(_registry._objects) == before + 20
    del cursors
    gc.collect()
    assert len(_registry._objects) == before


def test_twins_are_usable_from_many_threads(kv: Store) -> None:
    errors: list[BaseException] = []

    def worker(number: int) -> None:
        try:
            for i in range(20):
                kv.set(f"t{number}-{i}", b"x")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert kv.size() == 3 + 80


def test_an_aenter_that_only_returns_self_needs_no_round_trip(portal: dualio.Portal) -> None:
    class AsyncResource:
        async def __aenter__(self) -> AsyncResource:
            return self

        async def __aexit__(self, *exc_info: object) -> None:
            self.exited = True

    resource_cls = sync_class(AsyncResource)
    with use_portal(portal):
        resource = resource_cls()
    before = portal.statistics().tasks_completed
    with resource as entered:
        assert entered is resource
        assert portal.statistics().tasks_completed == before  # __enter__ did not go to the loop
    assert portal.statistics().tasks_completed == before + 1  # __exit__ did
    assert resource.exited is True


def _logged(method: Callable[[Any], Awaitable[Any]]) -> Callable[[Any], Awaitable[Any]]:
    @functools.wraps(method)
    async def wrapper(self: Any) -> Any:
        self.log.append(method.__name__)
        return await method(self)

    return wrapper


def test_a_decorated_aenter_that_returns_self_is_run(portal: dualio.Portal) -> None:
    # Review 15c: `@logged async def __aenter__(self): return self` was skipped (no round trip), so its wrapper
    # never ran.
    class AsyncLogged:
        def __init__(self) -> None:
            self.log: list[str] = []

        @_logged
        async def __aenter__(self) -> AsyncLogged:
            return self

        async def __aexit__(self, *exc_info: object) -> None:
            pass

    with use_portal(portal):
        resource = sync_class(AsyncLogged)()
    with resource as entered:
        assert entered is resource
    assert unwrap(resource).log == ["__aenter__"]


def test_a_subclass_of_a_twinned_class_maps_to_a_subclass_of_its_twin(flavour: Flavour, portal: dualio.Portal) -> None:
    class AsyncAuditedStore(AsyncStore):  # another package's subclass (tests), with an async member of its own
        async def audit(self) -> str:
            return f"audited {self.name}"

    async def make() -> AsyncAuditedStore:
        return AsyncAuditedStore("audited")

    audited = portal.run(make())  # not twinned yet: its class has no twin class either
    with use_portal(portal):
        cursor = flavour.Cursor(audited, [])  # type: ignore[arg-type]  # an async object is taken as it is
    store: Any = cursor.store  # the property's value: mapped to a twin built at run time for the subclass
    assert store.audit() == "audited audited"
    assert isinstance(store, flavour.Store)
    assert type(store) is not flavour.Store
    assert store.name == "audited"
    assert store.set("k", b"v") is True
    assert store.get("k") == b"v"
    store.close()
