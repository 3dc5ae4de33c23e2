"""Run-time fixes from review 18 (real libraries): each test names what went wrong before."""

from __future__ import annotations

import pytest

import dualio
from dualio.twin import TwinClosedError, sync_class, use_portal


class AsyncResource:
    """A part of a client that uses the client's connection, as openai's ``client.chat.completions``."""

    def __init__(self, client: AsyncApiClient) -> None:
        self._client = client

    async def create(self) -> str:
        if self._client.closed:
            raise RuntimeError("Cannot send a request, as the client has been closed.")
        return "created"

    def build(self) -> str:
        return "built"


class AsyncApiClient:
    def __init__(self) -> None:
        self.closed = False
        self.resource = AsyncResource(self)

    async def ping(self) -> str:
        return "pong"

    async def aclose(self) -> None:
        self.closed = True


def test_a_call_failing_on_a_twin_whose_parent_is_closed_says_so(portal: dualio.Portal) -> None:
    # Review 18a: after client.close(), client.chat.completions.create(...) failed with httpx's "the client has
    # been closed" (anthropic: "Connection error.") and nothing said that the twin it came from was closed.
    with use_portal(portal):
        client = sync_class(AsyncApiClient)()
    resource = client.resource
    assert resource.create() == "created"
    client.close()
    with pytest.raises(TwinClosedError):
        client.ping()
    with pytest.raises(RuntimeError, match="the client has been closed") as caught:
        resource.create()  # the resource twin is not closed itself: its call runs, and fails as the async one
    assert caught.value.__notes__ == [
        "Resource was made by the ApiClient twin, which is closed: a twin made by another twin's call or attribute "
        "is not closed with it, but what they share (a connection, an HTTP client) may be; make a new ApiClient "
        "to go on"
    ]
    assert resource.build() == "built"  # a sync method still runs, as on the async object


def test_a_failing_call_on_a_twin_of_an_open_parent_gets_no_note(portal: dualio.Portal) -> None:
    with use_portal(portal):
        client = sync_class(AsyncApiClient)()
    resource = client.resource
    dualio.twin.unwrap(client).closed = True  # closed behind the twin's back: the twin is open
    with pytest.raises(RuntimeError, match="the client has been closed") as caught:
        resource.create()
    assert not hasattr(caught.value, "__notes__")
