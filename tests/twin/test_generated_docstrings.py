"""A generated twin's docstrings show sync code: in the code of a docstring (doctest lines, fenced and literal
blocks, inline literals) ``await`` is dropped, ``async with``/``async for`` lose ``async`` and a listed async
class's name becomes its twin's; prose is left as written. Before (until stop 24) the async examples were copied
as they were, telling sync users to write ``await`` on the twin."""

from __future__ import annotations

from pathlib import Path

import pytest

from dualio.twin._docstrings import sync_docstring

from .test_generated_spellings import generate_and_use

TWINS = {"AsyncClient": "Client", "AsyncResponse": "Response"}


def test_code_in_a_docstring_is_rewritten_for_the_twin() -> None:
    text = """Open a session; await the result (the AsyncClient class does it).

    Example::

        async with AsyncClient() as client:
            r = await client.get("u")
            async for chunk in r.iter():
                print(chunk)

    Back to prose: call ``await client.close()`` or `await aclose()` when done.

    >>> client = AsyncClient()
    >>> await client.get("u")

    ```python
    resp: AsyncResponse = await client.get(url)
    ```

    .. code-block:: python

       await client.ping()

    Pass ``async def on_message(msg)`` as the callback. Returns an AsyncResponse."""
    assert (
        sync_docstring(text, TWINS)
        == """Open a session; await the result (the AsyncClient class does it).

    Example::

        with Client() as client:
            r = client.get("u")
            for chunk in r.iter():
                print(chunk)

    Back to prose: call ``client.close()`` or `aclose()` when done.

    >>> client = Client()
    >>> client.get("u")

    ```python
    resp: Response = client.get(url)
    ```

    .. code-block:: python

       client.ping()

    Pass ``async def on_message(msg)`` as the callback. Returns an AsyncResponse."""
    )


@pytest.mark.parametrize(
    "prose",
    [
        "Await the result, then close it.",
        "A coroutine you can await later: see AsyncClient.",
        "Not a literal block: this line ends with a colon:\n    indented prose stays as written, await included",
        "An awaited_value and asyncio.wait_for(x) stay.",
    ],
)
def test_prose_is_left_as_written(prose: str) -> None:
    assert sync_docstring(prose, TWINS) == prose


SOURCE = '''
from __future__ import annotations


class AsyncResponse:
    async def text(self) -> str:
        """The body as text.

        >>> body = await response.text()
        """
        return "hello"


class AsyncClient:
    """A client; use it as ``async with AsyncClient() as client:``."""

    async def get(self, url: str) -> AsyncResponse:
        """Fetch ``url``.

        For example::

            response = await client.get(url)
            print(await response.text())
        """
        return AsyncResponse()
'''

USAGE = """
from gen_docstrings.sync import Client

assert Client.__doc__ is not None and "``with Client() as client:``" in Client.__doc__
assert Client.get.__doc__ is not None and "print(response.text())" in Client.get.__doc__
assert Client().get("u").text() == "hello"
"""


def test_generated_twins_carry_sync_examples(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = generate_and_use(tmp_path, monkeypatch, "gen_docstrings", SOURCE, "AsyncClient", USAGE, "AsyncResponse")
    assert "await" not in text
    assert ">>> body = response.text()" in text
    assert "response = client.get(url)" in text


def test_import_lines_in_a_docstring_keep_the_library_s_names() -> None:
    # Review 16b: slack_sdk's `from slack_sdk.web.async_client import AsyncWebClient` became `import WebClient`,
    # which imports nothing there (or the library's own sync class of that name, elsewhere).
    text = """Example::

        from pkg.aio import AsyncClient
        import pkg.aio.AsyncClient
        client = AsyncClient()

    >>> from pkg.aio import AsyncClient, AsyncResponse
    >>> response: AsyncResponse = await AsyncClient().get("u")"""
    assert (
        sync_docstring(text, TWINS)
        == """Example::

        from pkg.aio import AsyncClient
        import pkg.aio.AsyncClient
        client = Client()

    >>> from pkg.aio import AsyncClient, AsyncResponse
    >>> response: Response = Client().get("u")"""
    )


def test_a_name_qualified_by_a_module_path_is_left_as_written() -> None:
    # Review 20a: gql's `:meth:`gql.client.Client.close_async`` became `gql.client.SyncClient.close_async`, a path
    # that does not exist (the twin is in the generated module, not in gql.client).
    text = "Close with :meth:`pkg.aio.AsyncClient.close`, or ``AsyncClient.close()`` on the client itself."
    assert sync_docstring(text, TWINS) == (
        "Close with :meth:`pkg.aio.AsyncClient.close`, or ``Client.close()`` on the client itself."
    )
