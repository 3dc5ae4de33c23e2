"""Static types of generated twins: a method returns ``T``, never ``Awaitable[T]`` or a union (mypy --strict).

mypy checks every ``assert_type`` below when ``make typecheck`` runs; the test also runs them, so the values
behind the types are checked too.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import assert_type

import dualio
from dualio.twin import unwrap, use_portal
from dualio.twin.examples._async_store import AsyncStore
from dualio.twin.examples.store import Cursor, Store


def test_generated_twin_methods_have_sync_types(portal: dualio.Portal) -> None:
    with use_portal(portal):
        kv = Store("typed")
        assert_type(Store.open("opened"), Store)
        assert_type(Store.ping(), str)
    assert_type(Store.normalize(" A "), str)
    with kv as entered:
        assert_type(entered, Store)
        assert_type(kv.set("a", b"1"), bool)
        assert_type(kv.get("a"), bytes | None)
        assert_type(kv.get_soon("a"), bytes | None)  # a sync def returning Awaitable[bytes | None]
        assert_type(kv.size(), int)
        assert_type(kv.scan(), Iterator[tuple[str, bytes]])
        assert_type(kv.name, str)
        assert_type(kv.calls, int)
        assert_type(Store.VERSION, str)
        cursor = kv.cursor()
        assert_type(cursor, Cursor)
        assert_type(cursor.store, Store)
        assert_type(next(cursor), tuple[str, bytes])
        assert_type(cursor.fetch(2), list[tuple[str, bytes]])
        assert_type(kv.transaction(), AbstractContextManager[Cursor])
        assert_type(unwrap(kv), AsyncStore)
        assert kv.get("a") == b"1"
        assert cursor.store is kv
        assert next(iter(kv.scan())) == ("a", b"1")
