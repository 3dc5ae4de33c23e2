"""Twins of compiled (pyo3) libraries: psqlpy, rnet and pyreqwest shapes, at run time and in the generator.

- a sync method returning an object whose ``__await__`` returns the object itself (psqlpy's ``Transaction``) gives
  it unawaited;
- a name an annotation takes from a ``from .module import *`` of a stub (rnet) is imported from that module;
- a timeout names an awaitable by its own ``__qualname__`` (pyo3's coroutines are all of class ``Coroutine``);
- a twin named like a class of its own module (pyreqwest's ``SyncClient``) gets a note;
- ``sync_class`` of a compiled class with no visible async member points to the generator.
"""

from __future__ import annotations

import asyncio
import collections
import warnings
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

import dualio
from dualio.twin import GenerateNote, sync_class, unwrap, use_portal
from dualio.twin._generator import render_module
from dualio.twin._source import Target

from ._helpers_generate import _package
from .test_generated_spellings import check_and_run_usage


class AsyncTransaction:
    """psqlpy's ``Transaction`` (a pyo3 class): its ``__await__`` returns the object itself, no iterator."""

    def __init__(self) -> None:
        self.begun = False

    def __await__(self) -> Any:
        return self

    async def begin(self) -> None:
        await asyncio.sleep(0)
        self.begun = True


class AsyncReady:
    """Awaitable in fact, by an ``__await__`` generator: awaited as before."""

    def __await__(self) -> Generator[Any, None, str]:
        yield from asyncio.sleep(0).__await__()
        return "ready"


class AsyncConnection:
    def transaction(self) -> AsyncTransaction:
        return AsyncTransaction()

    def ready(self) -> AsyncReady:
        return AsyncReady()

    async def ping(self) -> int:
        return 1


def test_a_sync_method_returning_an_object_whose_await_returns_itself_gives_it_unawaited(
    portal: dualio.Portal,
) -> None:
    """`tx = conn.transaction()` raised "__await__() returned non-iterator of type 'builtins.Transaction'": the
    twin awaited it, which its async callers never do (`await tx` fails in asyncio too)."""
    with pytest.raises(TypeError, match="returned non-iterator"):
        portal.run(_await_it, AsyncTransaction())  # what asyncio does with it
    connection_cls, transaction_cls = sync_class(AsyncConnection), sync_class(AsyncTransaction)
    with use_portal(portal), connection_cls() as connection:
        transaction = connection.transaction()
        assert isinstance(transaction, transaction_cls)
        transaction.begin()
        assert unwrap(transaction).begun
        assert connection.ready() == "ready"  # an `__await__` that gives an iterator is still awaited


async def _await_it(value: Any) -> Any:
    return await value


STAR_COOKIE = """
__all__ = ["Cookie"]


class Cookie:
    def __init__(self, name: str) -> None:
        self.name = name
"""


STAR_CLIENT = """
from .cookie import *


class AsyncClient:
    async def cookies(self, first: Cookie) -> list[Cookie]:
        return [first, Cookie("second")]
"""


STAR_USAGE = """
from typing import assert_type

from gen_star.cookie import Cookie
from gen_star.sync import Client

with Client() as client:
    cookies = client.cookies(Cookie("first"))
    assert_type(cookies, list[Cookie])
    assert [cookie.name for cookie in cookies] == ["first", "second"]
"""


def test_a_name_an_annotation_takes_from_a_star_import_is_imported_from_that_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before, rnet's stub names its classes through `from .cookie import *`; the generator refused ("uses the
    name 'Cookie', which module ... neither defines nor imports")."""
    _package(tmp_path, monkeypatch, "gen_star", {"cookie": STAR_COOKIE, "aio": STAR_CLIENT})
    output = tmp_path / "gen_star" / "sync.py"
    text = render_module([Target("gen_star.aio", "AsyncClient", output)])
    output.write_text(text)
    assert "from gen_star.cookie import Cookie" in text
    check_and_run_usage(tmp_path, "gen_star", STAR_USAGE)


class _Named:
    """An awaitable named by its own ``__qualname__``, as pyo3's coroutines are (their class is ``Coroutine``)."""

    def __init__(self) -> None:
        self.__qualname__ = "ConsumedRequest.send"

    def __await__(self) -> Generator[Any, None, None]:
        yield from asyncio.sleep(1).__await__()


def test_a_timeout_names_an_awaitable_by_its_own_qualname(portal: dualio.Portal) -> None:
    """Before: "Coroutine did not finish within 0.05 s" for pyreqwest's `send()`."""
    with pytest.raises(TimeoutError, match=r"^ConsumedRequest\.send did not finish within 0\.05 s"):
        portal.run(_Named(), timeout=0.05)


CLASHING = """
class SyncRequest:
    def send(self) -> str:
        return "the library's own blocking request"


class Request:
    async def send(self) -> str:
        return "sent"
"""


def test_a_twin_named_like_a_class_of_its_module_gets_a_note(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """pyreqwest's modules have their own `SyncClient`, `SyncResponse`, ...: the twins of `Client` and
    `Response` took the same names without a word before."""
    _package(tmp_path, monkeypatch, "gen_clash", {"aio": CLASHING})
    output = tmp_path / "gen_clash" / "sync.py"
    with pytest.warns(
        GenerateNote, match=r"twin of gen_clash\.aio:Request is named SyncRequest, a name module gen_clash\.aio binds"
    ) as notes:
        render_module([Target("gen_clash.aio", "Request", output)])
    assert len(notes) == 1
    assert 'name the twin with a table: "gen_clash.aio:Request" = { output = "...", name = "..." }' in str(
        notes[0].message
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a name chosen in a table is not noted, even the same one
        render_module([Target("gen_clash.aio", "Request", output, "SyncRequest")])


def test_sync_class_of_a_compiled_class_with_no_visible_async_member_points_to_the_generator() -> None:
    """Before, `sync_class(psqlpy.ConnectionPool)` was refused with no word on why a compiled class's async
    methods are not seen; a Python class's refusal stays as it was."""
    with pytest.raises(TypeError, match=r"cannot see the async members of collections\.deque: its methods are comp"):
        sync_class(collections.deque)  # methods compiled, as pyo3's are (none of them async)

    class Plain:
        def ping(self) -> int:
            return 1

    with pytest.raises(TypeError, match="expects a class with async members") as caught:
        sync_class(Plain)
    assert "compiled" not in str(caught.value).replace(Plain.__qualname__, "")
