"""Generator fixes from review 18 (real libraries): each test names what the generated twin got wrong before."""

from __future__ import annotations

from pathlib import Path

import pytest

from dualio.twin import GenerateError
from dualio.twin._generator import render_module
from dualio.twin._source import Target

from .test_generated_spellings import generate_and_use


def _package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, modules: dict[str, str]) -> None:
    (tmp_path / name).mkdir()
    (tmp_path / name / "__init__.py").write_text("")  # unless `modules` has its own
    for module, text in modules.items():
        (tmp_path / name / f"{module}.py").write_text(text)
    monkeypatch.syspath_prepend(str(tmp_path))


def test_an_unlisted_class_named_like_a_listed_one_is_not_its_twin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Review 18a: with openai's chat `AsyncCompletions` listed, `AsyncOpenAI.completions` (the legacy
    # `AsyncCompletions` of another module) was typed as the chat twin: mypy refused the right call.
    completions = "class AsyncCompletions:\n    async def create(self, {}: str) -> str:\n        return ''\n"
    client = """
from gen_same_name.legacy import AsyncCompletions


class AsyncClient:
    async def legacy(self) -> AsyncCompletions:
        return AsyncCompletions()
"""
    modules = {"chat": completions.format("messages"), "legacy": completions.format("prompt"), "client": client}
    _package(tmp_path, monkeypatch, "gen_same_name", modules)
    out = tmp_path / "out.py"
    targets = [
        Target("gen_same_name.client", "AsyncClient", out),
        Target("gen_same_name.chat", "AsyncCompletions", out),
    ]
    text = render_module(targets)
    assert "def legacy(self) -> _typing.Any:" in text  # an unlisted class with async members: a run-time twin
    assert "-> Completions" not in text
    elsewhere = {("gen_same_name.legacy", "AsyncCompletions"): ("legacy_out", "Legacy")}  # listed for another file
    assert "def legacy(self) -> Legacy:" in render_module(targets, elsewhere)


_BOUND_MODULES = {
    "conn": "class AsyncConn:\n    async def query(self) -> int:\n        return 1\n",
    "__init__": "from gen_bound_tv.conn import AsyncConn\n",  # a re-export, as `psycopg.AsyncConnection`
    "abc": 'from typing import TypeVar\n\nfrom gen_bound_tv import AsyncConn\n\nC = TypeVar("C", bound="AsyncConn")\n',
    "pool": """
from typing import Generic

from gen_bound_tv.abc import C


class AsyncPool(Generic[C]):
    def __init__(self, kind: type[C]) -> None:
        self.kind = kind

    async def getconn(self) -> C:
        return self.kind()

    async def putconn(self, conn: C) -> None:
        pass
""",
}


@pytest.mark.parametrize("listed_where", ["same output", "another output"])
def test_a_type_variable_bound_to_a_listed_class_gives_its_twin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, listed_where: str
) -> None:
    # Review 18b: psycopg_pool's `ACT = TypeVar("ACT", bound="AsyncConnection[Any]")` was copied as it is, so
    # `pool.connection()` was typed as the AsyncConnection its twin never gives (and its bound's name, imported
    # through psycopg's re-export, was not matched with the listed twin of another output file at all).
    _package(tmp_path, monkeypatch, "gen_bound_tv", _BOUND_MODULES)
    out = tmp_path / "out.py"
    pool = Target("gen_bound_tv.pool", "AsyncPool", out)
    if listed_where == "same output":
        text = render_module([pool, Target("gen_bound_tv.conn", "AsyncConn", out)])
    else:
        text = render_module([pool], {("gen_bound_tv.conn", "AsyncConn"): ("conn_out", "Conn")})
        assert "from conn_out import Conn" in text
    assert "def getconn(self) -> Conn:" in text
    assert "def putconn(self, conn: Conn) -> None:" in text  # a twin passed back is unwrapped
    assert "def __init__(self, kind: type[C]) -> None:" in text  # the async class the pool makes: as written
    assert "class Pool(_support.Twin[AsyncPool[C]], _typing.Generic[C]):" in text


def test_a_listed_class_sharing_its_name_with_one_the_file_needs_is_refused_with_advice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # openai: AsyncOpenAI's `completions` property has a setter taking the legacy AsyncCompletions, which the twin
    # module must import, as it imports the listed chat AsyncCompletions: one name, two classes.
    completions = "class AsyncCompletions:\n    async def create(self, {}: str) -> str:\n        return ''\n"
    client = """
from gen_same_name_set.legacy import AsyncCompletions


class AsyncClient:
    def __init__(self) -> None:
        self._legacy = AsyncCompletions()

    @property
    def legacy(self) -> AsyncCompletions:
        return self._legacy

    @legacy.setter
    def legacy(self, value: AsyncCompletions) -> None:
        self._legacy = value

    async def ping(self) -> None:
        pass
"""
    modules = {"chat": completions.format("messages"), "legacy": completions.format("prompt"), "client": client}
    _package(tmp_path, monkeypatch, "gen_same_name_set", modules)
    out = tmp_path / "out.py"
    targets = [
        Target("gen_same_name_set.client", "AsyncClient", out),
        Target("gen_same_name_set.chat", "AsyncCompletions", out),
    ]
    with pytest.raises(
        GenerateError,
        match=r"one is the listed AsyncCompletions, twinned as Completions.*give AsyncCompletions an output file",
    ):
        render_module(targets)


def test_a_method_returning_a_type_variable_no_parameter_uses_keeps_its_signature(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Review 18b: asyncssh's `SFTPClientFile.read(...) -> AnyStr` (no parameter uses AnyStr) was copied into the
    # twin, where mypy --strict rejects it ("A function returning TypeVar should receive at least one argument
    # containing the same TypeVar"), though mypy never checks it in the installed library. The twin keeps the
    # signature with an ignore for that error, so callers get what async callers get (mypy reads `str`).
    source = """
from typing import AnyStr, TypeVar, cast

T = TypeVar("T")


class AsyncFile:
    async def read(self, size: int = -1) -> AnyStr:  # fine for mypy: an async def returns a coroutine
        data: object = b"data"  # str or bytes, by the file's mode at run time
        return cast(AnyStr, data)

    async def echo(self, value: T) -> T:
        return value
"""
    usage = """
from typing import assert_type

from gen_unsolvable.sync import File

f = File()
assert_type(f.read(), str)
assert_type(f.echo(3), int)
print(f.read())
f.close()
"""
    text = generate_and_use(tmp_path, monkeypatch, "gen_unsolvable", source, "AsyncFile", usage)
    assert "def read(self, size: int = -1) -> AnyStr:  # type: ignore[type-var]\n" in text
    assert "def echo(self, value: T) -> T:\n" in text
