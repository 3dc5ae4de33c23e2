"""Fixes from review 11 (asyncssh against a real SSH server, openai and anthropic against a local HTTP server).

Generator: a namespace package inside a package (anthropic's ``lib``) crashed it with ``KeyError``; a listed
generic class written bare became its twin without arguments (asyncssh's ``Tuple[SSHReader, SSHWriter]``); an
alias of a ``-> Self`` method (openai's ``with_options = copy``) failed ``mypy --strict``; an unannotated
overload implementation (asyncssh's ``SFTPClient.chown``) failed it too; a base with conditional members was
named without the class listed. Run time: ``wait_closed()`` after ``close()`` (asyncssh's idiom) raised
``TwinClosedError``; ``twin_of(a_function)`` said "use it as it is"; async functions an object holds in its
attributes (openai's ``with_raw_response.create``) were returned as they are, so calling one gave a coroutine.
"""

from __future__ import annotations

import asyncio
import functools
import re
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

import dualio
from dualio.twin import GenerateError, sync_class, twin_of, use_portal
from dualio.twin._generator import render_module
from dualio.twin._source import Target

from .test_generated_spellings import generate_and_use
from .test_generator import run_cli


def test_a_namespace_package_inside_a_package_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "gen_namespaced" / "sub" / "ns").mkdir(parents=True)  # ns has no __init__.py
    (tmp_path / "gen_namespaced" / "__init__.py").write_text("")
    (tmp_path / "gen_namespaced" / "sub" / "__init__.py").write_text("")
    (tmp_path / "gen_namespaced" / "sub" / "ns" / "types.py").write_text("Payload = dict[str, int]\n")
    (tmp_path / "gen_namespaced" / "aio.py").write_text(
        "from gen_namespaced.sub.ns.types import Payload\n\n\n"
        "class AsyncClient:\n    async def send(self, payload: Payload) -> int:\n        return len(payload)\n"
    )
    (tmp_path / "pyproject.toml").write_text('[tool.dualio.twin]\n"gen_namespaced.aio:AsyncClient" = "client.py"\n')
    monkeypatch.syspath_prepend(str(tmp_path))
    assert run_cli(config=tmp_path) == 0  # before: a KeyError traceback
    assert "def send(self, payload: Payload) -> int:" in (tmp_path / "client.py").read_text()


SOURCE = """
from typing import AnyStr, Generic, Tuple, overload

from typing_extensions import Self


class AsyncReader(Generic[AnyStr]):
    def __init__(self, data: AnyStr) -> None:
        self.data: AnyStr = data

    async def read(self) -> AnyStr:
        return self.data


class AsyncConnection:
    async def open_reader(self) -> Tuple[AsyncReader, int]:  # type: ignore[type-arg]  # bare, as asyncssh's
        return AsyncReader(b"data"), 1

    def copy(self, *, timeout: float | None = None) -> Self:
        return self

    with_options = copy  # as openai's clients

    @overload
    async def chown(self, path: str, uid: int) -> str: ...
    @overload
    async def chown(self, path: str, owner: str, group: str) -> str: ...
    async def chown(self, path, uid_or_owner=None, group=None):  # type: ignore[no-untyped-def]  # as asyncssh's
        return f"{path}:{uid_or_owner}:{group}"
"""

USAGE = """
from typing import Any, assert_type

from gen_review11.sync import Connection, Reader

connection = Connection()
reader, count = connection.open_reader()
assert_type(reader, Reader[Any])
assert reader.read() == b"data"
copied = connection.with_options(timeout=1.0)
assert_type(copied, Connection)
assert copied is connection
assert_type(connection.chown("f", 1), str)
assert connection.chown("f", 1) == "f:1:None"
assert connection.chown("f", "ann", "staff") == "f:ann:staff"
connection.close()
"""


def test_bare_twinned_generics_self_aliases_and_untyped_overloads_pass_mypy_strict(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = generate_and_use(tmp_path, monkeypatch, "gen_review11", SOURCE, "AsyncConnection", USAGE, "AsyncReader")
    assert "def open_reader(self) -> Tuple[Reader[_typing.Any], int]:" in text  # before: Tuple[Reader, int]
    assert (
        "_support.call_sync(self, AsyncConnection.copy, **_support.given(Connection.with_options, timeout=timeout))"
        in text
    )  # before: AsyncConnection.with_options
    assert "def chown(self, *args: _typing.Any, **kwargs: _typing.Any) -> _typing.Any:" in text  # the implementation


def test_a_base_with_conditional_members_is_named_with_the_class_listed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "gen_branched_base").mkdir()
    (tmp_path / "gen_branched_base" / "__init__.py").write_text("")
    (tmp_path / "gen_branched_base" / "models.py").write_text(
        "import os\n\n\nclass BaseModel:\n    if os.environ.get('V2'):  # undecided: a sys.version_info test is read\n"
        "        def dump(self) -> int: ...\n    else:\n        def dump(self) -> int: ...\n"
    )
    (tmp_path / "gen_branched_base" / "pages.py").write_text(
        "from gen_branched_base.models import BaseModel\n\n\n"
        "class AsyncPage(BaseModel):\n    async def next_page(self) -> int:\n        return 1\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(GenerateError) as caught:
        render_module([Target("gen_branched_base.pages", "AsyncPage", tmp_path / "page.py")])
    assert str(caught.value).startswith(
        "gen_branched_base.pages.AsyncPage cannot be generated: its base gen_branched_base.models.BaseModel defines "
        "members inside statements of its class body: dump (in the if at line 5)."
    )
    assert "Use dualio.twin.sync_class(AsyncPage) at run time" in str(caught.value)


class AsyncStream:
    """As asyncssh's connections and asyncio's StreamWriter: close() starts closing, wait_closed() waits."""

    def __init__(self) -> None:
        self.closed = asyncio.get_running_loop().create_future()

    def close(self) -> None:
        asyncio.get_running_loop().call_later(0.01, self.closed.set_result, "closed")

    async def wait_closed(self) -> str:
        return await self.closed  # type: ignore[no-any-return]

    async def send(self, data: bytes) -> int:
        return len(data)


def test_wait_closed_runs_after_close(portal: dualio.Portal) -> None:
    with use_portal(portal):
        stream = sync_class(AsyncStream)()
    assert stream.send(b"ab") == 2
    stream.close()
    assert stream.wait_closed() == "closed"  # before: TwinClosedError
    with pytest.raises(dualio.twin.TwinClosedError):
        stream.send(b"late")


async def connect(host: str) -> AsyncStream:
    return AsyncStream()


def test_twin_of_a_function_says_to_pass_what_it_returns() -> None:
    message = "twin_of() expects an async object, got the function connect: pass what it returns, twin_of(connect(...))"
    with pytest.raises(TypeError, match=f"^{re.escape(message)}"):
        twin_of(connect)


def _raw_response_wrapper(create: Callable[..., Awaitable[str]]) -> Callable[..., Awaitable[dict[str, str]]]:
    @functools.wraps(create)
    async def wrapped(*args: object, **kwargs: object) -> dict[str, str]:
        return {"headers": "x-request-id: 1", "body": await create(*args, **kwargs)}

    return wrapped


class AsyncCompletionsWithRawResponse:
    """As openai's (stainless-made SDKs'): no async member of its own, async functions stored by __init__."""

    def __init__(self, completions: AsyncCompletions) -> None:
        self.create = _raw_response_wrapper(completions.create)
        self.label = "raw"


class AsyncCompletions:
    async def create(self, model: str) -> str:
        return f"completion by {model}"

    @functools.cached_property
    def with_raw_response(self) -> AsyncCompletionsWithRawResponse:
        return AsyncCompletionsWithRawResponse(self)


def test_async_functions_an_instance_holds_are_methods_of_its_twin(portal: dualio.Portal) -> None:
    # Before: client.chat.completions.with_raw_response.create(...) returned a coroutine never awaited.
    with use_portal(portal):
        completions = sync_class(AsyncCompletions)()
    raw = completions.with_raw_response
    assert type(raw).__name__ == "CompletionsWithRawResponse"
    assert raw.create("m") == {"headers": "x-request-id: 1", "body": "completion by m"}
    assert raw.create(model="n")["body"] == "completion by n"
    assert raw.label == "raw"  # other attributes pass through
    assert completions.with_raw_response is raw  # the same async object, the same twin
    assert type(sync_class(AsyncCompletions)().with_raw_response) is type(raw)  # the class is learnt once


def test_alike_private_type_variables_of_two_modules_share_one_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before: "the twin module would need both `from ..._streaming import _T` and `from ..._base import _T`"
    # (every module of openai has its own `_T = TypeVar("_T")`).
    stream_module = """
from collections.abc import AsyncIterator
from typing import Generic, TypeVar

_T = TypeVar("_T")


class AsyncStream(Generic[_T]):
    def __init__(self, items: list[_T]) -> None:
        self.items = items

    async def __aiter__(self) -> AsyncIterator[_T]:
        for item in self.items:
            yield item
"""
    source = """
from typing import TypeVar

from gen_alike_typevars.streams import AsyncStream

_T = TypeVar("_T")


class AsyncClient:
    async def first(self, items: list[_T]) -> _T:
        return items[0]

    async def stream(self, items: list[_T]) -> AsyncStream[_T]:
        return AsyncStream(items)
"""
    usage = """
from typing import assert_type

from gen_alike_typevars.sync import Client, Stream

client = Client()
assert_type(client.first([1, 2]), int)
stream = client.stream(["a", "b"])
assert_type(stream, Stream[str])
assert list(stream) == ["a", "b"]
client.close()
"""
    modules = {"streams": stream_module}
    listed = ("AsyncClient", usage, "AsyncStream")  # AsyncStream through aio's import of it: its module is read
    text = generate_and_use(tmp_path, monkeypatch, "gen_alike_typevars", source, *listed, modules=modules)
    assert "from gen_alike_typevars.streams import AsyncStream, _T\n" in text  # one _T, for both classes
    assert "from gen_alike_typevars.aio import AsyncClient\n" in text


def test_type_variables_with_bounds_still_clash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "gen_bound_typevars").mkdir()
    (tmp_path / "gen_bound_typevars" / "__init__.py").write_text("")
    for module, bound in (("a", "int"), ("b", "str")):
        (tmp_path / "gen_bound_typevars" / f"{module}.py").write_text(
            f'from typing import TypeVar\n\n_T = TypeVar("_T", bound={bound})\n\n\n'
            f"class Async{module.upper()}:\n    async def echo(self, value: _T) -> _T:\n        return value\n"
        )
    monkeypatch.syspath_prepend(str(tmp_path))
    targets = [Target(f"gen_bound_typevars.{m}", f"Async{m.upper()}", tmp_path / "out.py") for m in ("a", "b")]
    with pytest.raises(GenerateError, match="the name '_T' means two things"):
        render_module(targets)
