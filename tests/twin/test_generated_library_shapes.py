"""Shapes found generating twins of psycopg, SQLAlchemy, aiosqlite and asyncpg (review of stop 21), read right.

- a twin may be named in ``[tool.dualio.twin]`` (``{ output = "...", name = "SyncSession" }``): SQLAlchemy's
  ``AsyncSession`` names its library's sync ``Session`` in annotations, so the default name cannot be used;
- a member typed ``-> NoReturn`` has no ``return`` (mypy rejects one);
- a sync ``def`` returning ``asyncio.Future[T]`` returns ``T``: the twin awaits it; one returning
  ``asyncio.Task[T]``, and an ``async def`` returning ``asyncio.Future[T]`` or ``Awaitable[T]`` (websockets'
  ``ping``), return ``PortalFuture[T]``;
- an ``async def ... yield`` under a decorator the generator does not know (SQLAlchemy's
  ``@asyncstartablecontext``) is run and its result mapped at run time, typed ``Any``;
- an unlisted class named through ``AsyncCopy = _impl.AsyncCopy`` (psycopg's ``copy`` module) is ``Any``,
  as one named directly is;
- an unannotated ``async def __aenter__(self): return self`` (aiosqlite's ``Cursor``) enters as ``Self``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from dualio.twin import GenerateError
from dualio.twin._generator import render_module
from dualio.twin._source import Target

from .test_generated_spellings import generate_and_use
from .test_generator import one_module_package, run_cli

SOURCE = """
import asyncio
import contextlib
import functools
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, NoReturn

from gen_shapes.copying import AsyncCopy


def startable(function: Callable[..., AsyncIterator[Any]]) -> Callable[..., Any]:
    # as SQLAlchemy's @asyncstartablecontext: the call gives an async context manager, not an async generator
    @functools.wraps(function)
    def start(*args: Any, **kwargs: Any) -> Any:
        return contextlib.asynccontextmanager(function)(*args, **kwargs)

    return start


class AsyncConnection:
    @property
    def connection(self) -> NoReturn:  # as SQLAlchemy's AsyncConnection.connection
        raise NotImplementedError("use get_raw_connection()")

    async def fail(self) -> NoReturn:
        raise RuntimeError("always")

    def submit(self, number: int) -> "asyncio.Future[int]":
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        future.set_result(number * 2)
        return future

    def start(self, number: int) -> "asyncio.Task[int]":  # running on its own: not awaited (stop 23)
        return asyncio.get_running_loop().create_task(asyncio.sleep(0.01, result=number * 3))

    async def ping(self) -> "asyncio.Future[str]":  # a future returned as a value (websockets' ping)
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        asyncio.get_running_loop().call_later(0.01, future.set_result, "pong")
        return future

    async def ping_waiter(self) -> Awaitable[float]:  # as websockets' `async def ping() -> Awaitable[float]`
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        asyncio.get_running_loop().call_later(0.01, future.set_result, 0.5)
        return future

    async def waiter_or_value(self, wait: bool) -> Awaitable[int] | int:
        if not wait:
            return 1
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        future.set_result(2)
        return future

    @startable
    async def stream(self, sql: str) -> AsyncIterator[list[str]]:
        yield [sql, "row"]

    async def copy(self) -> AsyncCopy:
        return AsyncCopy()

    async def __aenter__(self):  # type: ignore[no-untyped-def]  # unannotated, as aiosqlite's Cursor
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        return None
"""

COPYING = """
from gen_shapes import _copy_impl

AsyncCopy = _copy_impl.AsyncCopy  # a re-export by assignment, as psycopg/copy.py writes it
"""

COPY_IMPL = """
class AsyncCopy:
    async def write_row(self, row: tuple[str, ...]) -> None:
        return None
"""

USAGE = """
from typing import Any, assert_type

from dualio import PortalFuture
from gen_shapes.sync import Connection

with Connection() as entered:  # an unannotated `return self`: the twin itself
    assert_type(entered, Connection)
connection = Connection()
assert_type(connection.submit(4), int)
assert connection.submit(4) == 8
started = connection.start(4)
assert_type(started, PortalFuture[int])
assert started.result(5) == 12
pinged = connection.ping()
assert_type(pinged, PortalFuture[str])
assert pinged.result(5) == "pong"
waiter = connection.ping_waiter()
assert_type(waiter, PortalFuture[float])
assert waiter.result(5) == 0.5
either = connection.waiter_or_value(True)
assert_type(either, PortalFuture[int] | int)
assert isinstance(either, PortalFuture) and either.result(5) == 2
assert connection.waiter_or_value(False) == 1
with connection.stream("SELECT") as rows:  # entered on the loop: the decorator made a context manager
    assert rows == ["SELECT", "row"]
assert_type(connection.copy(), Any)
assert connection.copy().write_row(("a",)) is None
try:
    connection.fail()
except RuntimeError as error:
    assert str(error) == "always"
else:
    raise AssertionError("fail() returned")
connection.close()
"""


def test_library_shapes_are_typed_as_what_the_twin_returns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    modules = {"copying": COPYING, "_copy_impl": COPY_IMPL}
    text = generate_and_use(tmp_path, monkeypatch, "gen_shapes", SOURCE, "AsyncConnection", USAGE, modules=modules)
    assert "def connection(self) -> NoReturn:" in text
    assert 'raise AssertionError("unreachable: it returned")' in text
    assert "def submit(self, number: int) -> int:" in text
    assert "def start(self, number: int) -> _support.PortalFuture[int]:" in text
    assert "def ping(self) -> _support.PortalFuture[str]:" in text
    assert "def ping_waiter(self) -> _support.PortalFuture[float]:" in text
    assert "def waiter_or_value(self, wait: bool) -> _support.PortalFuture[int] | int:" in text
    # `startable` returns Callable[..., Any]: mypy reads the method as taking anything (since stop 27, so does the
    # twin; it kept `sql: str` before)
    assert "def stream(self, *args: _typing.Any, **kwargs: _typing.Any) -> _typing.Any:" in text
    assert "_support.call_sync(self, _support.through_instance(AsyncConnection, 'stream'), *args, **kwargs)" in text
    assert "def copy(self) -> _typing.Any:" in text


COLLIDING = """
from gen_named.sync_api import Session


class AsyncSession:
    def __init__(self, sync_session: Session | None = None) -> None:
        self.sync_session = sync_session or Session()

    async def get(self, key: str) -> str:
        return self.sync_session.get(key)
"""

SYNC_API = """
class Session:  # the library's own sync class, which the async one names
    def get(self, key: str) -> str:
        return f"value of {key}"
"""


def test_a_twin_may_be_named_in_the_configuration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    one_module_package(tmp_path, monkeypatch, "gen_named", COLLIDING)
    (tmp_path / "gen_named" / "sync_api.py").write_text(SYNC_API)
    config = tmp_path / "pyproject.toml"
    config.write_text('[tool.dualio.twin]\n"gen_named.aio:AsyncSession" = "gen_named/twin.py"\n')
    assert run_cli(config=tmp_path) == 2
    error = capsys.readouterr().err
    assert "'Session' is the name of a generated twin class" in error
    assert 'name = "SyncSession"' in error  # the way out, for a library the user cannot edit
    config.write_text(
        '[tool.dualio.twin]\n"gen_named.aio:AsyncSession" = { output = "gen_named/twin.py", name = "SyncSession" }\n'
    )
    assert run_cli(config=tmp_path) == 0
    text = (tmp_path / "gen_named" / "twin.py").read_text()
    assert "class SyncSession(_support.Twin[AsyncSession]):" in text
    assert "from gen_named.sync_api import Session" in text
    sys.modules.pop("gen_named.twin", None)
    from gen_named.twin import SyncSession  # type: ignore[import-not-found]

    session = SyncSession()
    assert session.get("k") == "value of k"
    session.close()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ('{ output = "x.py", name = "_Hidden" }', "name must be a public Python identifier"),
        ('{ output = "x.py", nmae = "X" }', "unknown option(s) nmae"),
        ('{ name = "X" }', 'or to a table { output = "path.py", name = "TwinName" }'),
    ],
    ids=["private-name", "misspelt-option", "no-output"],
)
def test_a_bad_twin_table_is_a_clear_error(
    tmp_path: Path, value: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "pyproject.toml").write_text(f'[tool.dualio.twin]\n"some.module:AsyncX" = {value}\n')
    assert run_cli(config=tmp_path) == 2
    assert message in capsys.readouterr().err


TYPE_VARIABLE_SOURCE = """
from typing import TypeVar

_T = TypeVar("_T")


class AsyncA:
    async def a(self, x: _T) -> _T:
        return x
"""


def test_same_named_type_variables_of_two_modules_say_how_to_list_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As SQLAlchemy's engine.py and session.py, which both define `_P`; here made differently (bounds), since
    # variables made alike (`TypeVar("_T")` in both) are one meaning since stop 22 (test_generated_type_variables.py).
    source = TYPE_VARIABLE_SOURCE.replace('TypeVar("_T")', 'TypeVar("_T", bound=int)')
    one_module_package(tmp_path, monkeypatch, "gen_two_t", source)
    other = TYPE_VARIABLE_SOURCE.replace("AsyncA", "AsyncB").replace('TypeVar("_T")', 'TypeVar("_T", bound=str)')
    (tmp_path / "gen_two_t" / "other.py").write_text(other)
    output = tmp_path / "gen_two_t" / "sync.py"
    with pytest.raises(GenerateError, match="list the classes of those modules for separate output files"):
        render_module([Target("gen_two_t.aio", "AsyncA", output), Target("gen_two_t.other", "AsyncB", output)])


OTHER_DEPRECATED_SOURCE = """
# mypy: ignore-errors
# (an installed library's errors are not reported; this test's package is checked with the twin)
from gen_other_deprecated.legacy import deprecated
from gen_other_deprecated import legacy


class AsyncTable:
    @deprecated(deprecated_in="0.9", details="use drop()")  # as lancedb's `deprecation.deprecated`: untyped
    async def drop_all(self) -> int:
        return 2

    @legacy.deprecated(deprecated_in="0.9")
    async def purge(self) -> int:
        return 3
"""

UNTYPED_DEPRECATION = """
# mypy: ignore-errors
import functools


def deprecated(deprecated_in=None, details=""):  # untyped, as the `deprecation` package's
    def mark(function):
        @functools.wraps(function)
        def marked(*args, **kwargs):
            return function(*args, **kwargs)

        return marked

    return mark
"""

OTHER_DEPRECATED_USAGE = """
from typing import assert_type

from gen_other_deprecated.sync import Table

table = Table()
assert_type(table.drop_all(), int)
assert table.drop_all() == 2
assert table.purge() == 3
table.close()
"""


def test_a_decorator_named_deprecated_from_another_library_is_not_copied(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Only PEP 702's `@deprecated` (warnings', typing_extensions') is written on the twin; an untyped one of the
    # same name (lancedb's `deprecation.deprecated(deprecated_in=...)`) made mypy --strict refuse the module:
    # "Untyped decorator makes function ... untyped".
    modules = {"legacy": UNTYPED_DEPRECATION}
    text = generate_and_use(
        tmp_path,
        monkeypatch,
        "gen_other_deprecated",
        OTHER_DEPRECATED_SOURCE,
        "AsyncTable",
        OTHER_DEPRECATED_USAGE,
        modules=modules,
    )
    assert "@deprecated" not in text
    assert "@legacy" not in text
    assert "import legacy" not in text
    assert "    def drop_all(self) -> int:" in text
