"""Operators and equality through a twin (review 15d: an anyio ``Path`` twin refused ``path / "name"``, and two
twins of equal paths were unequal).

Arithmetic and ordering operators run on the loop, as other sync methods do, their operands unwrapped and their
result mapped (``path / "x"`` of a twinned path class is a twin); ``==`` and ``hash()`` are the async object's,
in the calling thread, so twins work as dictionary keys and in sets the way their async objects do. A class that
defines none keeps identity equality (the same async object always has the same twin).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import anyio
import pytest

import dualio
from dualio.twin import sync_class, twin_of, unwrap, use_portal

from .test_generated_spellings import generate_and_use

SOURCE = '''
from __future__ import annotations

import asyncio
import threading


class AsyncVersion:
    """A version with the operators a value class defines; ``loop_thread`` records where each ran."""

    loop_thread: str | None = None

    def __init__(self, *parts: int) -> None:
        self.parts = parts

    def __truediv__(self, part: int) -> AsyncVersion:
        if not isinstance(part, int):
            return NotImplemented
        type(self).loop_thread = threading.current_thread().name
        return AsyncVersion(*self.parts, part)

    def __rtruediv__(self, part: int) -> AsyncVersion:
        return AsyncVersion(part, *self.parts)

    def __lt__(self, other: AsyncVersion) -> bool:
        return self.parts < other.parts

    def __neg__(self) -> AsyncVersion:
        return AsyncVersion(*(-p for p in self.parts))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, AsyncVersion):
            return NotImplemented
        return self.parts == other.parts

    def __hash__(self) -> int:
        return hash(self.parts)

    def __str__(self) -> str:
        return ".".join(map(str, self.parts))

    async def released(self) -> bool:
        await asyncio.sleep(0)
        return self.parts[:1] >= (1,)


class AsyncUnhashable:
    def __init__(self, value: int) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AsyncUnhashable) and other.value == self.value

    async def get(self) -> int:
        return self.value
'''


@pytest.fixture(scope="module")
def classes() -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": "ops_source"}
    exec(compile(SOURCE, "ops_source", "exec"), namespace)
    return namespace


def test_operators_run_on_the_loop_and_return_twins(classes: dict[str, Any]) -> None:
    version_cls = sync_class(classes["AsyncVersion"])
    v = version_cls(1, 2)
    longer = v / 3
    assert type(longer) is version_cls
    assert str(longer) == "1.2.3"
    assert classes["AsyncVersion"].loop_thread != threading.current_thread().name  # ran on the portal's loop
    assert str(0 / v) == "0.1.2"  # the reflected form
    assert v < longer
    assert not longer < v
    assert str(-v) == "-1.-2"
    assert longer.released() is True
    with pytest.raises(TypeError, match="unsupported operand"):
        v / "x"  # NotImplemented from the async class, then Python's own error


def test_equality_and_hash_are_the_async_objects(classes: dict[str, Any]) -> None:
    version_cls = sync_class(classes["AsyncVersion"])
    a, b = version_cls(1, 2), version_cls(1, 2)
    assert a is not b
    assert a == b
    assert (a != b) is False  # != inverts the async class's __eq__
    assert a != version_cls(2)
    assert a != "1.2"  # NotImplemented both ways: unequal, as for the async objects
    assert hash(a) == hash(b) == hash(unwrap(a))
    assert {a: "x"}[b] == "x"
    assert len({a, b, version_cls(3)}) == 2
    assert a == unwrap(b)  # a twin compared with an async object compares the async objects


def test_a_class_with_eq_alone_is_unhashable_through_its_twin_too(classes: dict[str, Any]) -> None:
    twin_cls = sync_class(classes["AsyncUnhashable"])
    a, b = twin_cls(5), twin_cls(5)
    assert a == b
    with pytest.raises(TypeError, match="unhashable type: 'AsyncUnhashable'"):
        hash(a)


def test_a_class_without_operators_keeps_identity_equality() -> None:
    class AsyncPlain:
        async def get(self) -> int:
            return 1

    plain_cls = sync_class(AsyncPlain)
    a, b = plain_cls(), plain_cls()
    assert a == a
    assert a != b
    assert hash(a) != hash(b)
    assert twin_of(unwrap(a)) is a
    with pytest.raises(TypeError, match="unsupported operand"):
        a / 2


def test_anyio_path_twins_join_compare_and_hash(tmp_path: Path) -> None:
    path_cls = sync_class(anyio.Path)
    folder = path_cls(tmp_path)
    file = folder / "a.txt"
    assert type(file) is path_cls
    file.write_text("joined")
    assert (folder / "a.txt").read_text() == "joined"
    assert file == path_cls(tmp_path / "a.txt")
    assert {file} == {path_cls(str(tmp_path / "a.txt"))}
    assert folder < file
    assert dualio.run(unwrap(file).read_text()) == "joined"


USAGE = """
from typing import assert_type

from gen_ops.sync import Version

v = Version(1, 2)
longer = v / 3
assert_type(longer, Version)
assert_type(v < longer, bool)
assert_type(-v, Version)
assert_type(v == longer, bool)
assert str(longer) == "1.2.3" and v < longer and not (v == longer)
assert {v: 1}[Version(1, 2)] == 1
assert_type(longer.released(), bool)
"""


def test_generated_twins_type_and_run_the_operators(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = generate_and_use(tmp_path, monkeypatch, "gen_ops", SOURCE, "AsyncVersion", USAGE)
    assert "def __truediv__(self, part: int) -> Version:" in text
    assert "def __lt__(self, other: Version) -> bool:" in text
    assert "def __eq__" not in text  # the Twin base's, which compares the async objects


def test_a_path_twin_is_a_path_to_str_and_open(portal: dualio.Portal, tmp_path: Path) -> None:
    # Before, str() of an anyio.Path twin was the twin's repr, so open(str(path)) opened a wrong path, and
    # os.fspath()/open() refused it.
    anyio = pytest.importorskip("anyio")
    with use_portal(portal):
        path = sync_class(anyio.Path)(str(tmp_path / "note.txt"))
    assert str(path) == str(tmp_path / "note.txt")
    assert os.fspath(path) == str(tmp_path / "note.txt")
    path.write_text("hello")
    with open(path) as file:
        assert file.read() == "hello"
    assert repr(path).startswith("<SyncPath twin of")
