"""Kinds of members in generated twins: ``@contextmanager`` methods and async properties (coredis,
Playwright), contextmanager overloads and ``cls``-typed classmethods, a class's own ``__getattr__`` (anyio's
``AsyncFile``), attributes ``__init__`` sets in ``if``/``else`` blocks (aiocoap), a method an instance replaces
(Playwright's driver), and members defined under conditions a type checker decides (aiohttp).
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

import dualio
from dualio import twin
from dualio.twin import use_portal

from ._helpers_generate import _generate
from .test_generated_spellings import check_and_run_usage, generate_and_use

SOURCE = """
from __future__ import annotations

import asyncio
import contextlib
import contextvars
from collections.abc import Generator, Iterator
from typing import Self

_decoding: contextvars.ContextVar[bool] = contextvars.ContextVar("decoding", default=True)


class AsyncRedis:
    @contextlib.contextmanager
    def decoding(self, flag: bool) -> Iterator[Self]:
        token = _decoding.set(flag)
        try:
            yield self
        finally:
            _decoding.reset(token)

    @contextlib.contextmanager
    def pipeline(self) -> Generator[AsyncPipeline, None, None]:
        yield AsyncPipeline()

    async def decodes(self) -> bool:
        await asyncio.sleep(0)
        return _decoding.get()

    @property
    async def title(self) -> str:
        await asyncio.sleep(0)
        return "Example"


class AsyncPipeline:
    async def execute(self) -> list[int]:
        return [1]
"""


USAGE = """
from typing import assert_type

from gen_review14.sync import Pipeline, Redis

client = Redis()
with client.decoding(False) as raw:
    assert_type(raw, Redis)
    assert raw is client
    assert raw.decodes() is False
with client.pipeline() as pipe:
    assert_type(pipe, Pipeline)
    assert pipe.execute() == [1]
assert_type(client.title, str)
assert client.title == "Example"
"""


def test_contextmanager_methods_and_async_properties(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = generate_and_use(tmp_path, monkeypatch, "gen_review14", SOURCE, "AsyncRedis", USAGE, "AsyncPipeline")
    assert "def decoding(self, flag: bool) -> _contextlib.AbstractContextManager[" in text
    assert "def pipeline(self) -> _contextlib.AbstractContextManager[Pipeline]:" in text


FOREIGN_BASE = """
from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, Iterator
from typing import Any, AnyStr, Generic, Literal, Self, TypeVar, overload

from anyio import AsyncContextManagerMixin

ClientT = TypeVar("ClientT", bound="AsyncClient[Any]")


class AsyncClient(AsyncContextManagerMixin, Generic[AnyStr]):
    '''coredis 6's Redis: entered through anyio's mixin, a base from another package (not read).'''

    def __init__(self, decode: bool) -> None:
        self.entered = False
        self.decode = decode

    @contextlib.asynccontextmanager
    async def __asynccontextmanager__(self) -> AsyncGenerator[Self]:
        self.entered = True
        try:
            yield self
        finally:
            self.entered = False

    async def is_entered(self) -> bool:
        return self.entered

    @overload
    def decoding(self, mode: Literal[False]) -> contextlib.AbstractContextManager[AsyncClient[bytes]]: ...

    @overload
    def decoding(self, mode: Literal[True]) -> contextlib.AbstractContextManager[AsyncClient[str]]: ...

    @contextlib.contextmanager
    def decoding(self, mode: bool) -> Iterator[AsyncClient[Any]]:
        yield self

    @overload
    @classmethod
    def from_url(cls, url: str, *, decode: Literal[False] = ...) -> AsyncClient[bytes]: ...

    @overload
    @classmethod
    def from_url(cls, url: str, *, decode: Literal[True]) -> AsyncClient[str]: ...

    @classmethod
    def from_url(cls: type[ClientT], url: str, *, decode: bool = False) -> ClientT:
        return cls(decode)
"""


FOREIGN_BASE_USAGE = """
from typing import assert_type

from gen_foreign_base.sync import Client

with Client.from_url("redis://", decode=True) as client:
    assert_type(client, Client[str])
    assert client.is_entered()  # the mixin's __aenter__ ran
    with client.decoding(False) as raw:
        assert_type(raw, Client[bytes])
        assert raw.is_entered()
assert not client.is_entered()  # and its __aexit__
"""


def test_overloads_of_contextmanager_and_cls_typed_classmethod_and_a_foreign_aenter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before: decoding()'s overloads kept `AbstractContextManager[AsyncClient[bytes]]` and from_url's
    # implementation read `-> Self` against overloads returning `Client[bytes]`: mypy --strict rejected both; and
    # `with` on the generated twin never ran the mixin's __aenter__ (coredis: "Connection pool is not initialized").
    text = generate_and_use(tmp_path, monkeypatch, "gen_foreign_base", FOREIGN_BASE, "AsyncClient", FOREIGN_BASE_USAGE)
    assert "-> _contextlib.AbstractContextManager[Client[bytes]]: ..." in text
    assert "decode: bool = False) -> _typing.Any:" in text


FORWARDING_SOURCE = """
from __future__ import annotations

from typing import Any


class Wrapped:
    name = "data.txt"
    closed = False


class AsyncFile:
    def __init__(self) -> None:
        self._fp = Wrapped()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._fp, name)

    async def read(self) -> str:
        return "text"
"""


FORWARDING_USAGE = """
from typing import Any, assert_type

from dualio.twin import sync_class
from gen_forwarding.aio import AsyncFile
from gen_forwarding.sync import File

f = File()
assert f.read() == "text"
assert_type(f.name, Any)
assert f.name == "data.txt"
assert sync_class(AsyncFile)().closed is False
"""


def test_a_class_with_its_own_getattr_forwards_other_attributes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = generate_and_use(tmp_path, monkeypatch, "gen_forwarding", FORWARDING_SOURCE, "AsyncFile", FORWARDING_USAGE)
    assert "AsyncFile answers other attributes through its own __getattr__" in text


_INIT_IN_BLOCKS = {
    "aio": """
from typing import Optional


class Observation:
    name = "observation"


class AsyncRequest:
    def __init__(self, observe: bool) -> None:
        if observe:  # aiocoap's BlockwiseRequest sets `observation` so
            self.observation: Optional[Observation] = Observation()
        else:
            self.observation = None
        try:
            self.code = int("205")
        except ValueError:
            self.code = 0

        def helper() -> None:
            self.hidden = 1  # a nested def's: not an attribute __init__ sets

        helper()

    async def response(self) -> int:
        return self.code
""",
}


_INIT_IN_BLOCKS_USAGE = """
from typing import Optional, assert_type

from gen_init_blocks.aio import Observation
from gen_init_blocks.sync import Request

request = Request(True)
assert_type(request.observation, Optional[Observation])
assert request.observation is not None and request.observation.name == "observation"
assert Request(False).observation is None
assert request.code == 205 and request.response() == 205
"""


def test_attributes_init_sets_in_its_blocks_are_properties(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Before, the generated twin of aiocoap's BlockwiseRequest had no `observation` (set in an if/else of
    # __init__): `req.observation` was an AttributeError, where the run-time twin gave it.
    output, text = _generate(tmp_path, monkeypatch, "gen_init_blocks", _INIT_IN_BLOCKS, "AsyncRequest")
    assert "def observation(self) -> Optional[Observation]:" in text
    assert "def code(self)" in text
    assert "def hidden(self)" not in text
    output.write_text(text)
    check_and_run_usage(tmp_path, "gen_init_blocks", _INIT_IN_BLOCKS_USAGE)


_STARTED_DRIVER = '''
class AsyncDriver:
    """Playwright's shape: ``start()`` of its context manager replaces ``stop`` on the instance."""

    def __init__(self) -> None:
        self.stopped_by = ""

    async def stop(self) -> None:
        """Stop the driver (the class's does nothing: the context manager that started it replaces it)."""

    def name(self) -> str:
        return "class"


class AsyncStarter:
    async def start(self) -> AsyncDriver:
        driver = AsyncDriver()
        driver.stop = self.stop_driver  # type: ignore[method-assign]
        driver.name = lambda: "own"  # type: ignore[method-assign]
        self.driver = driver
        return driver

    async def stop_driver(self) -> None:
        self.driver.stopped_by = "starter"
'''


def test_a_method_an_instance_replaces_is_called_through_the_instance(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, portal: dualio.Portal
) -> None:
    # Before, `SyncPlaywright.stop()` ran the class's `stop` (which does nothing), not the one
    # `async_playwright().start()` set on the instance: Playwright's driver went on running.
    output, text = _generate(tmp_path, monkeypatch, "gen_started_driver", {"aio": _STARTED_DRIVER}, "AsyncDriver")
    output.write_text(text)
    aio = importlib.import_module("gen_started_driver.aio")
    runtime_starter = twin.sync_class(aio.AsyncStarter)
    with use_portal(portal):
        runtime = runtime_starter().start()  # a run-time twin of AsyncDriver, before the generated one loads
        runtime.stop()
        assert runtime.name() == "own"
        assert runtime.stopped_by == "starter"
    generated = importlib.import_module("gen_started_driver.sync")

    async def start() -> object:
        return await aio.AsyncStarter().start()

    driver = twin.twin_of(portal.run(start()), generated.Driver)
    assert type(driver) is generated.Driver
    driver.stop()
    assert driver.name() == "own"
    assert driver.stopped_by == "starter"


BRANCHES_SOURCE = """
import os
import sys
from typing import TYPE_CHECKING, Any, Literal, overload


async def _fetch(self: Any, key: str) -> Any:
    return key


class AsyncClient:
    if sys.version_info >= (3, 11) and TYPE_CHECKING:

        async def fetch(self, key: str) -> str: ...

    else:
        fetch = _fetch

    if sys.version_info < (3, 10):

        async def old(self) -> int:
            return 0

    else:

        async def new(self) -> int:
            return 1

    if not TYPE_CHECKING:

        async def hidden(self) -> int:
            return 2

    if sys.version_info >= (3, 11) and TYPE_CHECKING:  # aiohttp's `ws_connect`: the implementation follows

        @overload
        async def pick(self, raw: Literal[True]) -> bytes: ...

        @overload
        async def pick(self, raw: Literal[False] = ...) -> str: ...

    async def pick(self, raw: bool = False) -> str | bytes:
        return b"x" if raw else "x"
"""


def test_members_under_a_condition_a_type_checker_decides_are_read_as_it_reads_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """aiohttp's shape (before, its ``ClientSession`` could not be generated): the members both branches
    define, with the checker's signatures; a version test decided by the running Python."""
    usage = """
from typing import assert_type

from gen_branches.sync import Client

client = Client()
assert_type(client.fetch("k"), str)
assert client.fetch("k") == "k"
assert client.new() == 1
assert_type(client.pick(True), bytes)
assert_type(client.pick(), str)
assert client.pick(True) == b"x"
"""
    text = generate_and_use(tmp_path, monkeypatch, "gen_branches", BRANCHES_SOURCE, "AsyncClient", usage)
    assert "    def fetch(self, key: str) -> str:" in text
    assert "def old(" not in text
    assert text.count("def pick(") == 3  # two overloads from the checker's `if`, the implementation after it
    assert "def hidden(" not in text  # at run time only: a checker does not see it on the async class either


def test_members_under_a_condition_no_checker_decides_are_still_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = BRANCHES_SOURCE.replace("if sys.version_info < (3, 10):", "if os.environ.get('OLD'):")
    with pytest.raises(twin.GenerateError, match=r"defines members inside statements of its class body: new, old"):
        _generate(tmp_path, monkeypatch, "gen_undecided", {"aio": source}, "AsyncClient")
