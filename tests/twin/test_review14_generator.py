"""Generator fixes from review 14, each generated, checked with ``mypy --strict`` against a usage script, and run:

- a sync ``@contextlib.contextmanager`` method (coredis' ``Redis.decoding()``) is typed as the context manager it
  returns, its value mapped (before: ``Iterator[T]``, so ``with client.decoding(False) as c:`` failed mypy);
- a property whose getter is an ``async def`` (Playwright's ``EventInfo.value``) is typed and read as its value;
- a member named like a top-level name of the async module (aioftp's ``self.ssl`` beside ``import ssl``) is
  written after the members whose annotations and defaults use that name.
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
