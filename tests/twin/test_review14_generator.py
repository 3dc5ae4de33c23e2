"""Generator fixes from review 14, each generated, checked with ``mypy --strict`` against a usage script, and run:

- a sync ``@contextlib.contextmanager`` method (coredis' ``Redis.decoding()``) is typed as the context manager it
  returns, its value mapped (before: ``Iterator[T]``, so ``with client.decoding(False) as c:`` failed mypy);
- a property whose getter is an ``async def`` (Playwright's ``EventInfo.value``) is typed and read as its value;
- a member named like a top-level name of the async module (aioftp's ``self.ssl`` beside ``import ssl``) is
  written after the members whose annotations and defaults use that name;
- ``AnyStr`` imported through a module of the package (coredis: ``from coredis.typing import AnyStr``) is a
  type variable (before: GenerateError "takes 0 (none)");
- an enum member in ``Literal[...]`` (coredis: ``Literal[PureToken.SUM, PureToken.MIN]``) has its class
  imported (before: ``Name "PureToken" is not defined``, 144 times for coredis).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .test_generated_spellings import generate_and_use

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


SHADOWING_SOURCE = """
from __future__ import annotations

import ssl


class AsyncClient:
    def __init__(self, ssl: ssl.SSLContext | bool | None = None) -> None:
        self.ssl = ssl  # aioftp's Client: an attribute named like the module its annotations use

    async def upgrade_to_tls(self, context: ssl.SSLContext | None = None) -> bool:
        return context is None

    async def protocol(self, protocol: int = ssl.PROTOCOL_TLS_CLIENT) -> int:
        return protocol
"""

SHADOWING_USAGE = """
import ssl
from typing import assert_type

from gen_shadowing.sync import Client

client = Client(ssl=False)
assert_type(client.ssl, ssl.SSLContext | bool | None)
assert client.ssl is False
assert client.upgrade_to_tls() is True
assert client.protocol() == ssl.PROTOCOL_TLS_CLIENT
"""


def test_a_member_named_like_a_module_does_not_shadow_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Before (until stop 24): the `ssl` property came first in the class body: mypy --strict rejected
    # `ssl.SSLContext` after it, and the default `ssl.PROTOCOL_TLS_CLIENT` failed when the module loaded.
    text = generate_and_use(tmp_path, monkeypatch, "gen_shadowing", SHADOWING_SOURCE, "AsyncClient", SHADOWING_USAGE)
    assert text.index("def protocol(") < text.index("def ssl(")


COREDIS_SHAPES = """
from __future__ import annotations

from typing import Generic, Literal

from gen_coredis_shapes.typing_ import AnyStr, PureToken


class CommandMixin(Generic[AnyStr]):
    def __init__(self, value: AnyStr) -> None:
        self.value: AnyStr = value

    async def get(self, key: str) -> AnyStr:
        return self.value


class AsyncRedis(CommandMixin[AnyStr]):
    async def zunion(self, aggregate: Literal[PureToken.SUM, PureToken.MIN] | None = None) -> int:
        return 1 if aggregate is PureToken.SUM else 0
"""

COREDIS_TYPING = """
import enum
from typing import AnyStr as AnyStr


class PureToken(enum.Enum):
    SUM = b"SUM"
    MIN = b"MIN"
"""

COREDIS_USAGE = """
from typing import assert_type

from gen_coredis_shapes.sync import Redis
from gen_coredis_shapes.typing_ import PureToken

redis = Redis("v")
assert_type(redis, Redis[str])
assert_type(redis.get("k"), str)
assert redis.get("k") == "v"
assert redis.zunion(PureToken.SUM) == 1
redis.close()
"""


def test_reexported_anystr_and_enum_members_in_literal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = generate_and_use(
        tmp_path,
        monkeypatch,
        "gen_coredis_shapes",
        COREDIS_SHAPES,
        "AsyncRedis",
        COREDIS_USAGE,
        modules={"typing_": COREDIS_TYPING},
    )
    assert "_typing.Generic[AnyStr]" in text
    assert "PureToken" in text.split("class Redis", 1)[0]  # imported before the class that uses it


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


AWAITABLE_REQUESTS = """
from __future__ import annotations

from collections.abc import Generator
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class CommandRequest(Generic[T]):
    '''coredis' CommandRequest: what a command's sync def returns; awaiting it runs the command.'''

    def __init__(self, value: T) -> None:
        self.value = value

    def __await__(self) -> Generator[Any, None, T]:
        yield from ()
        return self.value


class AsyncClient:
    async def ping(self) -> str:
        return "PONG"

    def get(self, key: str) -> CommandRequest[str | None]:
        return CommandRequest(key.upper() if key else None)

    def incr(self, key: str) -> CommandRequest[int]:
        return CommandRequest(len(key))

    def anything(self) -> CommandRequest:  # type: ignore[type-arg]  # written bare: Any
        return CommandRequest(1)
"""

AWAITABLE_REQUESTS_USAGE = """
from typing import Any, assert_type

from gen_awaitable_requests.sync import Client

client = Client()
assert_type(client.get("k"), str | None)
assert client.get("k") == "K"
assert_type(client.incr("abc"), int)
assert client.incr("abc") == 3
assert_type(client.anything(), Any)
client.close()
"""


def test_a_sync_def_returning_an_awaitable_class_is_typed_as_what_awaiting_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before: typed `CommandRequest[int]`, though the twin awaits it and returns the int (every coredis command).
    text = generate_and_use(
        tmp_path, monkeypatch, "gen_awaitable_requests", AWAITABLE_REQUESTS, "AsyncClient", AWAITABLE_REQUESTS_USAGE
    )
    assert "def incr(self, key: str) -> int:" in text
