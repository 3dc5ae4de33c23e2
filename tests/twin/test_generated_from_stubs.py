"""The generator reads a compiled module through the stub (``.pyi``) installed beside it (asyncmy's Cython modules
ship ``connection.pyi`` beside ``connection.cpython-311-x86_64-linux-gnu.so``); before, it was a ``GenerateError``
("no Python source to read").

A compiled module is made here the way Python itself runs one without source: the module is byte-compiled to
``aio.pyc`` in the package directory and its ``.py`` removed, so that ``import`` finds the bytecode (the module's
origin is ``aio.pyc``, as an extension module's is ``aio.cpython-*.so``). The generated twin is checked with
``mypy --strict`` against a usage script and run against the bytecode.
"""

from __future__ import annotations

import py_compile
from pathlib import Path

import pytest

from dualio.twin import GenerateError
from dualio.twin._generator import render_module
from dualio.twin._source import Target

from .test_generated_spellings import check_and_run_usage
from .test_generator import one_module_package

IMPLEMENTATION = """
import asyncio


class AsyncCursor:
    def __init__(self, rows):
        self._rows = list(rows)

    async def fetchone(self):
        await asyncio.sleep(0)
        return self._rows.pop(0) if self._rows else None

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc_info):
        self._rows.clear()


class AsyncConnection:
    def __init__(self, *, database="main"):
        self.database = database
        self.loop = asyncio.get_running_loop()

    async def query(self, sql, limit=None):
        await asyncio.sleep(0)
        return AsyncCursor([(sql, n) for n in range(limit or 2)])

    def escape(self, text):
        return text.replace("'", "''")

    def ticket(self):
        # A compiled `async fn` (rnet's, through pyo3-async-runtimes) needs the running loop when it is called.
        future = asyncio.get_running_loop().create_future()
        future.set_result(7)
        return future

    async def fetch(self, sql, *, one=False):
        await asyncio.sleep(0)
        return (sql, 0) if one else [(sql, 0), (sql, 1)]

    async def execute(self, sql, timeout=60.0, *, retries=3):
        await asyncio.sleep(0)
        return f"{sql} timeout={timeout} retries={retries}"

    async def page(self, sql, size=10, offset=0, /):
        await asyncio.sleep(0)
        return f"{sql} size={size} offset={offset}"

    async def spread(self, first=1, *rest, tag="t"):
        await asyncio.sleep(0)
        return f"{first} {rest} {tag}"


class AsyncBox:
    def __init__(self, item):
        self._item = item

    async def get(self):
        await asyncio.sleep(0)
        return self._item
"""

STUB = """
from typing import Any, Generic, Literal, TypeVar, overload

class AsyncCursor:
    def __init__(self, rows: list[tuple[str, int]]) -> None: ...
    async def fetchone(self) -> tuple[str, int] | None: ...
    async def __aenter__(self) -> AsyncCursor: ...
    async def __aexit__(self, *exc_info: object) -> None: ...

class AsyncConnection:
    \"\"\"A connection, as the stub describes it.\"\"\"

    database: str
    def __init__(self, *, database: str = "main") -> None: ...
    async def query(self, sql: str, limit: int | None = None) -> AsyncCursor:
        \"\"\"Run ``sql``; a cursor over its rows.\"\"\"
    def escape(self, text: str) -> str: ...
    async def ticket(self) -> int: ...
    @overload
    async def fetch(self, sql: str, *, one: Literal[True]) -> tuple[str, int]: ...
    @overload
    async def fetch(self, sql: str, *, one: Literal[False] = ...) -> list[tuple[str, int]]: ...
    async def execute(self, sql: str, timeout: float = ..., *, retries: int = ...) -> str: ...
    async def page(self, sql: str, size: int = ..., offset: int = ..., /) -> str: ...
    async def spread(self, first: int = ..., *rest: int, tag: str = ...) -> str: ...

_T = TypeVar("_T")

class AsyncBox(Generic[_T]):
    def __new__(cls, item: _T) -> AsyncBox[_T]: ...  # pyo3 stubs write the constructor so (rnet's Client)
    async def get(self) -> _T: ...
"""

USAGE = """
from typing import assert_type

from gen_stubbed.sync import Box, Connection, Cursor

connection = Connection(database="books")
assert_type(connection.database, str)
assert connection.database == "books"
assert_type(connection.escape("it's"), str)
assert connection.escape("it's") == "it''s"
assert_type(connection.ticket(), int)  # an async def of the stub: called on the loop, where one runs
assert connection.ticket() == 7
with connection.query("SELECT 1", limit=3) as cursor:
    assert_type(cursor, Cursor)
    row = cursor.fetchone()
    assert_type(row, tuple[str, int] | None)
    assert row == ("SELECT 1", 0)
    assert cursor.fetchone() == ("SELECT 1", 1)
# Overloads only (a stub has no implementation), and defaults the stub does not state (`= ...`): the async
# method's own apply.
assert_type(connection.fetch("q", one=True), tuple[str, int])
assert_type(connection.fetch("q"), list[tuple[str, int]])
assert connection.fetch("q") == [("q", 0), ("q", 1)]
assert connection.fetch("q", one=True) == ("q", 0)
assert_type(connection.execute("x"), str)
assert connection.execute("x") == "x timeout=60.0 retries=3"
assert connection.execute("x", 5.0, retries=0) == "x timeout=5.0 retries=0"
# Positional-only (and before `*rest`): passed up to the first the caller left out, so the later defaults apply.
assert_type(connection.page("p"), str)
assert connection.page("p") == "p size=10 offset=0"
assert connection.page("p", 5) == "p size=5 offset=0"
assert connection.page("p", 5, 20) == "p size=5 offset=20"
assert connection.spread() == "1 () t"
assert connection.spread(2, 3, 4) == "2 (3, 4) t"
assert connection.spread(tag="u") == "1 () u"
connection.close()

# Generic in the stub only (a compiled class takes no type arguments), its type variable defined in the stub only.
with Box(3) as box:
    assert_type(box.get(), int)
    assert box.get() == 3
"""


LAYOUTS = {
    "beside": "aio.pyc with aio.pyi beside it (asyncmy's Cython modules)",
    "stub-package": "aio.pyc with aio/__init__.pyi (maturin: psqlpy's _internal)",
    "re-exporting": "aio.py re-exporting _native.pyc, aio.pyi beside it (maturin's mixed layout: pyreqwest, rnet)",
}


def compiled_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, *, stub: str | None, layout: str = "beside"
) -> None:
    """Package ``name`` whose module ``aio`` is bytecode only (``aio.pyc``), its stub laid out as ``layout`` says."""
    one_module_package(tmp_path, monkeypatch, name, IMPLEMENTATION)
    package = tmp_path / name
    compiled = package / ("_native.py" if layout == "re-exporting" else "aio.py")
    if layout == "re-exporting":
        (package / "aio.py").rename(compiled)
        (package / "aio.py").write_text(f"from {name}._native import *  # noqa: F403\n")
    py_compile.compile(str(compiled), cfile=str(compiled.with_suffix(".pyc")), doraise=True)
    compiled.unlink()
    if stub is None:
        return
    if layout == "stub-package":
        (package / "aio").mkdir()
        (package / "aio" / "__init__.pyi").write_text(stub)
    else:
        (package / "aio.pyi").write_text(stub)


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_a_compiled_module_is_read_through_its_stub(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, layout: str
) -> None:
    package = f"gen_stubbed_{layout.replace('-', '_')}"
    compiled_package(tmp_path, monkeypatch, package, stub=STUB, layout=layout)
    output = tmp_path / package / "sync.py"
    names = ("AsyncConnection", "AsyncCursor", "AsyncBox")
    text = render_module([Target(f"{package}.aio", name, output) for name in names])
    output.write_text(text)
    assert "def query(self, sql: str, limit: int | None = None) -> Cursor:" in text
    assert "class Box(_support.Twin['AsyncBox[_T]'], _typing.Generic[_T]):" in text  # a string: not run
    assert "def __init__(self, item: _T) -> None:" in text  # from the stub's __new__
    assert "else:\n    _T = _typing.TypeVar('_T')\n" in text  # the stub's type variable, made at run time
    assert "def fetch(self, *args: _typing.Any, **kwargs: _typing.Any) -> _typing.Any:" in text  # under 2 overloads
    unstated = "timeout: float = _support.UNSTATED, *, retries: int = _support.UNSTATED"  # the stub's `= ...`
    assert f"def execute(self, sql: str, {unstated}) -> str:" in text
    unstated = "sql: str, size: int = _support.UNSTATED, offset: int = _support.UNSTATED, /"
    assert f"def page(self, {unstated}) -> str:" in text
    assert "AsyncConnection.page, sql, *_support.stated(size, offset))" in text  # up to the first left out
    assert "*_support.stated(first), *rest, **_support.given(" in text
    assert "def spread(self, first: int = _support.UNSTATED, *rest: int, tag: str = _support.UNSTATED) -> str:" in text
    assert "Run ``sql``; a cursor over its rows." in text  # the stub's docstring
    assert "A connection, as the stub describes it." in text
    check_and_run_usage(tmp_path, package, USAGE.replace("gen_stubbed", package))


def test_a_compiled_module_without_a_stub_points_to_sync_class(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    compiled_package(tmp_path, monkeypatch, "gen_unstubbed", stub=None)
    output = tmp_path / "gen_unstubbed" / "sync.py"
    with pytest.raises(GenerateError, match=r"no Python source or stub \(\.pyi\) to read") as caught:
        render_module([Target("gen_unstubbed.aio", "AsyncConnection", output)])
    assert "dualio.twin.sync_class()" in str(caught.value)
