r"""openai's and anthropic's raw and streaming response wrappers through run-time twins.

openai's clients expose each resource in two wrapped forms: ``client.with_raw_response`` (a namespace whose
resources are ``cached_property``\ s made from a private client) and a resource's ``with_streaming_response``,
whose ``create`` is an instance attribute: a sync ``functools.wraps`` wrapper of the async ``create`` that
returns an async context manager. The namespace is read through a twin (its ``.chat.completions.create`` is
awaited), and ``cm = ...with_streaming_response.create(...)`` on a line of its own can be entered later.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from types import TracebackType
from typing import Any

import pytest

import dualio
from dualio.twin import sync_class, use_portal


class RawResponse:
    def __init__(self, text: str) -> None:
        self.headers = {"x-request-id": "req-1"}
        self._text = text

    def parse(self) -> str:
        return self._text


class AsyncStreamedResponse:
    def __init__(self, text: str) -> None:
        self.text = text
        self.closed = False

    async def iter_lines(self) -> list[str]:
        await asyncio.sleep(0)
        return self.text.split()


class AsyncResponseContextManager:
    """Not awaitable: only ``async with`` gives the response (openai's ``AsyncResponseContextManager``)."""

    def __init__(self, request: Awaitable[str]) -> None:
        self._request = request
        self._response: AsyncStreamedResponse | None = None

    async def __aenter__(self) -> AsyncStreamedResponse:
        self._response = AsyncStreamedResponse(await self._request)
        return self._response

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._response is not None
        self._response.closed = True


def _raw(create: Callable[..., Awaitable[str]]) -> Callable[..., Awaitable[RawResponse]]:
    @functools.wraps(create)
    async def wrapped(*args: Any, **kwargs: Any) -> RawResponse:
        return RawResponse(await create(*args, **kwargs))

    return wrapped


def _streamed(create: Callable[..., Awaitable[str]]) -> Callable[..., AsyncResponseContextManager]:
    @functools.wraps(create)
    def wrapped(*args: Any, **kwargs: Any) -> AsyncResponseContextManager:
        asyncio.get_running_loop()  # as openai's: made where the request will run
        return AsyncResponseContextManager(create(*args, **kwargs))

    return wrapped


class CompletionsWithRawResponse:
    def __init__(self, completions: AsyncCompletions) -> None:
        self.create = _raw(completions.create)


class CompletionsWithStreamingResponse:
    def __init__(self, completions: AsyncCompletions) -> None:
        self.create = _streamed(completions.create)


class AsyncCompletions:
    async def create(self, prompt: str) -> str:
        await asyncio.sleep(0)
        return f"echo {prompt}"

    @functools.cached_property
    def with_raw_response(self) -> CompletionsWithRawResponse:
        return CompletionsWithRawResponse(self)

    @functools.cached_property
    def with_streaming_response(self) -> CompletionsWithStreamingResponse:
        return CompletionsWithStreamingResponse(self)


class ClientWithRawResponse:
    def __init__(self, client: AsyncClient) -> None:
        self._client = client

    @functools.cached_property
    def completions(self) -> CompletionsWithRawResponse:
        return CompletionsWithRawResponse(self._client.completions)


class AsyncClient:
    @functools.cached_property
    def completions(self) -> AsyncCompletions:
        return AsyncCompletions()

    @functools.cached_property
    def with_raw_response(self) -> ClientWithRawResponse:
        return ClientWithRawResponse(self)

    async def close(self) -> None:
        pass


@pytest.fixture
def client(portal: dualio.Portal) -> Any:
    with use_portal(portal):
        twin = sync_class(AsyncClient)()
    yield twin
    twin.close()


def test_a_namespace_of_wrapped_resources_is_read_through_a_twin(client: Any) -> None:
    raw = client.with_raw_response.completions.create("hi")
    assert type(raw) is RawResponse
    assert (raw.headers["x-request-id"], raw.parse()) == ("req-1", "echo hi")
    assert client.completions.with_raw_response.create("there").parse() == "echo there"


def test_a_streaming_response_can_be_entered_later(client: Any) -> None:
    cm = client.completions.with_streaming_response.create("a b")
    with cm as response:
        assert response.iter_lines() == ["echo", "a", "b"]
    assert response.closed
    with ExitStack() as stack:
        entered = stack.enter_context(client.completions.with_streaming_response.create("c"))
        assert entered.text == "echo c"
    with client.completions.with_streaming_response.create("d e") as response:  # written at once, as before
        assert response.iter_lines() == ["echo", "d", "e"]


def test_str_of_a_twin_whose_class_has_no_str_is_its_repr(client: Any) -> None:
    assert str(client) == repr(client)
