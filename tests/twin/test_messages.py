"""What twin users read: timeouts name their own method, and a blocking call in async code says what to do.

Every path a twin call takes to the portal (plain, sync, ``with`` merged or not, iteration, close, class-level
calls) names the async method the user called in a ``TimeoutError``, never dualio's helper coroutine. A twin
method called inside a coroutine names the twin method and the async object's equivalent, not "await the
coroutine", and the warning points at the caller's line, not at a generated twin method. Errors name the member
called (an alias, a factory-made method), and a call that fails because its parent twin is closed says so.
"""

from __future__ import annotations

import asyncio
import importlib
import re
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

import dualio
from dualio.twin import TwinClosedError, is_closed, set_timeout, sync_class, timeout, unwrap, use_portal
from dualio.twin import support as _support

from ._helpers_runtime import AsyncApiClient

NAP = 30.0  # how long a slow part sleeps: far beyond the tests' timeout, which cancels it


class AsyncSlow:
    """Each part named in ``slow`` sleeps until cancelled; the others return at once."""

    def __init__(self, *slow: str) -> None:
        self.slow = set(slow)

    async def _maybe_nap(self, part: str) -> None:
        if part in self.slow:
            await asyncio.sleep(NAP)

    async def open(self) -> AsyncSlow:
        await self._maybe_nap("open")
        return AsyncSlow(*self.slow - {"open"})

    async def nap(self) -> str:
        await self._maybe_nap("nap")
        return "rested"

    def later(self) -> Awaitable[str]:  # a sync method returning an awaitable: ``call_sync``
        return self.nap()

    @classmethod
    async def make(cls, *slow: str) -> AsyncSlow:
        await asyncio.sleep(NAP if "make" in slow else 0)
        return cls(*slow)

    async def __aenter__(self) -> AsyncSlow:
        await self._maybe_nap("__aenter__")
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._maybe_nap("__aexit__")

    def __aiter__(self) -> AsyncSlow:
        return self

    async def __anext__(self) -> int:
        await self._maybe_nap("__anext__")
        return 1

    async def aclose(self, *, code: int = 0) -> int:
        await self._maybe_nap("aclose")
        return code


Slow: Any = sync_class(AsyncSlow)


@pytest.fixture
def make(portal: dualio.Portal) -> Iterator[Any]:
    """Create ``Slow`` twins on the test portal; each is closed (without naps) after the test."""
    made: list[Any] = []

    def slow_twin(*slow: str) -> Any:
        with use_portal(portal):
            made.append(Slow(*slow))
        return made[-1]

    yield slow_twin
    for twin in made:
        unwrap(twin).slow.clear()
        twin.close()


def _times_out(name: str) -> Any:
    return pytest.raises(TimeoutError, match=f"^{re.escape(name)} did not finish within 0.05 s; it was cancelled$")


def test_a_sync_method_returning_an_awaitable_is_named(make: Any) -> None:
    slow = make("nap")
    with timeout(0.05), _times_out("AsyncSlow.later"):
        slow.later()


def test_aenter_aexit_and_anext_are_named_by_the_async_class(make: Any) -> None:
    with timeout(0.05), _times_out("AsyncSlow.__aenter__"), make("__aenter__"):
        pass
    with timeout(0.05), _times_out("AsyncSlow.__aexit__"), make("__aexit__"):
        pass
    with timeout(0.05), _times_out("AsyncSlow.__anext__"):
        next(make("__anext__"))


def test_close_and_a_class_level_call_are_named(make: Any, portal: dualio.Portal) -> None:
    slow = make("aclose")
    with timeout(0.05), _times_out("AsyncSlow.aclose"):
        slow.close()
    with use_portal(portal), timeout(0.05), _times_out("AsyncSlow.make"):
        Slow.make("make")


def test_a_call_entered_by_its_with_and_its_exit_are_named(make: Any) -> None:
    slow = make("open")
    with timeout(0.05), _times_out("AsyncSlow.open"), slow.open():  # run with __aenter__ in one round trip
        pass
    slow = make("__aexit__")
    with timeout(0.05), _times_out("AsyncSlow.__aexit__"), slow.open():  # the exit of that merged with
        pass


def test_a_with_block_run_whole_names_the_call_and_the_block(make: Any) -> None:
    slow = make("nap")
    name = "AsyncSlow.open (with its block's .nap() and __aexit__)"
    with timeout(0.05), _times_out(name), slow.open() as opened:
        body = opened.nap()
    assert "body" not in locals()


def test_a_last_call_run_with_the_blocks_exit_names_the_call(make: Any) -> None:
    slow = make("nap")
    with timeout(0.05), _times_out("AsyncSlow.nap (then __aexit__ of its with block)"), slow.open() as opened:
        done = False
        body = opened.nap()
    assert not done
    assert "body" not in locals()


def test_a_plain_call_keeps_its_own_name(make: Any) -> None:
    slow = make("nap")
    with timeout(0.05), _times_out("AsyncSlow.nap"):
        slow.nap()


# -- a twin method called inside a coroutine ---------------------------------------------------------------


class GeneratedStyleSlow(_support.Twin[AsyncSlow]):
    """Written as ``dualio twin generate`` writes a twin, in a module outside dualio (this one)."""

    __slots__ = ()

    def __init__(self) -> None:
        _support.construct(self, AsyncSlow)

    def nap(self) -> str:
        return _support.call(self, AsyncSlow.nap)  # type: ignore[no-any-return]


def test_on_its_own_loop_a_twin_says_to_await_the_async_object(make: Any, portal: dualio.Portal) -> None:
    slow = make()

    async def on_the_loop() -> None:
        slow.nap()

    advice = "Inside a coroutine on that loop, use the async object instead: await dualio.twin.unwrap(twin).nap(...)"
    with pytest.raises(dualio.DeadlockError, match=rf"^Slow\.nap\(\) was called .* {re.escape(advice)}$"):
        portal.run(on_the_loop, timeout=5)

    async def with_on_the_loop() -> None:
        with slow:
            pass

    with pytest.raises(dualio.DeadlockError, match=r"^Slow\.__enter__\(\) .* async with dualio\.twin\.unwrap\(twin\)$"):
        portal.run(with_on_the_loop, timeout=5)

    async def sync_method_on_the_loop() -> None:
        slow.later()

    # A plain def: "await" would be wrong for one that returns a plain value.
    sync_advice = (
        "use the async object instead: dualio.twin.unwrap(twin).later(...) (awaited if it returns an awaitable)"
    )
    with pytest.raises(dualio.DeadlockError, match=rf"^Slow\.later\(\) was called .* {re.escape(sync_advice)}$"):
        portal.run(sync_method_on_the_loop, timeout=5)


def test_in_a_sync_callback_the_loop_runs_a_twin_says_to_start_a_task(make: Any, portal: dualio.Portal) -> None:
    # Review 14a r11: a pub/sub handler (sync code a library calls on the loop thread) cannot await; the advice
    # was "Inside a coroutine ... await", which it cannot follow.
    slow = make()
    errors: list[BaseException] = []

    def handler() -> None:
        try:
            slow.nap()
        except dualio.DeadlockError as exc:
            errors.append(exc)

    async def library_calls_back() -> None:
        handler()

    portal.run(library_calls_back, timeout=5)
    (error,) = errors
    message = str(error)
    assert message.startswith("Slow.nap() was called on the event-loop thread"), message
    assert "The caller, test_in_a_sync_callback_the_loop_runs_a_twin_says_to_start_a_task.<locals>.handler (" in message
    assert "is sync code that the loop itself runs (a callback)" in message
    assert "asyncio.get_running_loop().create_task(dualio.twin.unwrap(twin).nap(...))" in message
    assert message.endswith("make it async and use: await dualio.twin.unwrap(twin).nap(...)"), message
    assert "Inside a coroutine" not in message

    def with_handler() -> None:
        try:
            with slow:
                pass
        except dualio.DeadlockError as exc:
            errors.append(exc)

    async def library_calls_with_back() -> None:
        asyncio.get_running_loop().call_soon(with_handler)
        await asyncio.sleep(0.01)

    errors.clear()
    portal.run(library_calls_with_back, timeout=5)
    (error,) = errors
    assert "write a coroutine that does `async with dualio.twin.unwrap(twin)`" in str(error), str(error)

    def plain_handler() -> None:  # review 15d: socketio's sid wanted in a handler; a plain def is called at once
        try:
            slow.later()
        except dualio.DeadlockError as exc:
            errors.append(exc)

    async def library_calls_plain_back() -> None:
        plain_handler()

    errors.clear()
    portal.run(library_calls_plain_back, timeout=5)
    (error,) = errors
    assert "call the plain method there directly: dualio.twin.unwrap(twin).later(...) (if that returns" in str(error)


def test_in_another_loop_a_twin_says_to_use_the_async_object_on_its_loop(make: Any, portal: dualio.Portal) -> None:
    slow = make()

    async def elsewhere() -> str:
        return slow.nap()  # type: ignore[no-any-return]

    portal.running_loop_policy = "raise"
    with pytest.raises(dualio.BlockingCallError, match=r"^Slow\.nap\(\) was called from .*elsewhere\(\)") as raised:
        asyncio.run(elsewhere())
    message = str(raised.value)
    assert "await the coroutine" not in message
    # First what works from this loop (awaiting `unwrap(twin).nap()` here fails: its object belongs to the twin's
    # loop; aiohttp says "Timeout context manager should be used inside a task", in a Jupyter cell, review 38d).
    assert (
        "run the async object's call on the twin's portal and await it here: await "
        "asyncio.wrap_future(dualio.twin.portal_of(twin).submit(dualio.twin.unwrap(twin).nap(...)))" in message
    )
    assert "`await dualio.twin.unwrap(twin).nap(...)` works only in a coroutine running there" in message

    async def as_advised() -> str:  # what the message says to do works, and does not block this loop
        coroutine = unwrap(slow).nap()
        return await asyncio.wrap_future(dualio.twin.portal_of(slow).submit(coroutine))

    assert asyncio.run(as_advised()) == "rested"


def test_the_warning_points_at_the_callers_line_not_a_generated_method(portal: dualio.Portal) -> None:
    with use_portal(portal):
        slow = GeneratedStyleSlow()

    async def elsewhere() -> str:
        return slow.nap()  # the line the warning must name

    line = elsewhere.__code__.co_firstlineno + 1
    with pytest.warns(dualio.BlockingCallWarning, match=r"^GeneratedStyleSlow\.nap\(\) called from") as caught:
        assert asyncio.run(elsewhere()) == "rested"
    (warning,) = caught
    assert (warning.filename, warning.lineno) == (__file__, line)
    assert f"elsewhere() at {__file__}:{line}" in str(warning.message)
    assert "await dualio.twin.unwrap(twin).nap(...)" in str(warning.message)


class _AsyncFeed:
    async def _items(self) -> AsyncIterator[int]:
        for item in range(2):
            yield item

    def __aiter__(self) -> AsyncIterator[int]:
        return self._items()


def test_iterating_a_run_time_twin_warns_once_at_the_callers_line(portal: dualio.Portal) -> None:
    # Review 19b: a twin built at run time has `_runtime.iterate_self` itself as `__iter__`, with no method frame
    # between it and the caller; the warning named the caller's caller (IPython's run_code, asyncio's
    # Handle._run), and the first next() warned again as "iterate/enter()".
    with use_portal(portal):
        feed = sync_class(_AsyncFeed)()

    async def elsewhere() -> list[int]:
        return [item for item in feed]  # noqa: C416  # the line the warning must name (a for, as in a cell)

    line = elsewhere.__code__.co_firstlineno + 1
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert asyncio.run(elsewhere()) == [0, 1]
    (warning,) = caught
    assert (warning.filename, warning.lineno) == (__file__, line)
    assert str(warning.message).startswith("_Feed.__iter__() called from")


def test_a_plain_portal_call_keeps_the_portals_advice(portal: dualio.Portal) -> None:
    async def nothing() -> None:
        return None

    async def elsewhere() -> None:
        portal.run(nothing)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        asyncio.run(elsewhere())
    assert len(caught) == 1
    assert str(caught[0].message).startswith("run() called from")
    assert "await the coroutine instead" in str(caught[0].message)


def test_a_failing_close_leaves_the_twin_open(make: Any) -> None:
    slow = make("aclose")
    with timeout(0.05), pytest.raises(TimeoutError):
        slow.close(code=3)
    assert not is_closed(slow)
    unwrap(slow).slow.clear()
    assert slow.close(code=3) == 3
    assert is_closed(slow)


class AsyncFeed:
    async def items(self) -> AsyncIterator[int]:
        yield 1
        await asyncio.sleep(30)
        yield 2


def test_an_async_generator_method_is_named_by_its_items_timeout() -> None:
    feed = sync_class(AsyncFeed)()
    iterator = feed.items()
    assert next(iterator) == 1
    with _times_out("AsyncFeed.items"), timeout(0.05):  # was "_anext did not finish"
        next(iterator)
    feed.close()


def test_a_twin_made_at_import_inside_a_running_loop_is_told_to_be_made_on_first_use(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Review 20c: uvicorn --workers/--reload import the app inside its loop; a module-level twin warned with
    # "use the async object instead, in a coroutine", which a module global cannot follow.
    (tmp_path / "module_level_twin.py").write_text(
        "from dualio import twin\nfrom tests.twin.test_messages import AsyncSlow\nslow = twin.sync_class(AsyncSlow)()\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))

    async def import_it() -> None:
        importlib.import_module("module_level_twin")

    with pytest.warns(dualio.BlockingCallWarning) as caught:
        asyncio.run(import_it())
    (warning,) = caught
    assert warning.filename == str(tmp_path / "module_level_twin.py")
    assert "This module is being imported by code running in an event loop" in str(warning.message)
    assert "make the twin on first use instead" in str(warning.message)


def test_the_main_script_top_level_is_not_told_it_is_being_imported(tmp_path: Path) -> None:
    # Review 22b: a script's own top level (`__main__`) inside a running loop got the uvicorn import advice.
    script = tmp_path / "main_script.py"
    script.write_text(
        "from dualio import twin\nfrom tests.twin.test_messages import AsyncSlow\nslow = twin.sync_class(AsyncSlow)()\n"
    )
    code = compile(script.read_text(), str(script), "exec")

    async def run_as_main() -> None:
        exec(code, {"__name__": "__main__"})

    with pytest.warns(dualio.BlockingCallWarning) as caught:
        asyncio.run(run_as_main())
    (warning,) = caught
    assert warning.filename == str(script)
    assert "being imported" not in str(warning.message)
    assert "make the twin from a worker thread instead: twin = await asyncio.to_thread(" in str(warning.message)


def test_a_twin_made_in_async_code_of_another_loop_is_told_to_make_it_in_a_thread() -> None:
    # Review 23b: a twin made in a FastAPI lifespan was told to use `portal_of(twin)`, of a twin not made yet.
    async def lifespan() -> None:
        sync_class(AsyncSlow)()

    with pytest.warns(dualio.BlockingCallWarning) as caught:
        asyncio.run(lifespan())
    (warning,) = caught
    message = str(warning.message)
    assert "make the twin from a worker thread instead: twin = await asyncio.to_thread(Slow, ...)" in message
    assert "or use the async object on this loop: AsyncSlow(...)" in message
    assert "portal_of(twin)" not in message


class _AsyncOpener:
    @asynccontextmanager
    async def _opened(self) -> AsyncIterator[str]:
        yield "open"

    def open(self) -> AbstractAsyncContextManager[str]:  # aiohttp's session.get(): a plain def
        return self._opened()

    async def ping(self) -> str:
        return "pong"


def test_a_with_block_inside_a_coroutine_is_told_to_use_async_with(portal: dualio.Portal) -> None:
    # Review 20c: `with session.get(url) as r:` inside an `async def` was told
    # "dualio.twin.unwrap(twin).get(...) (awaited if it returns an awaitable)", where it needs `async with`.
    with use_portal(portal):
        opener = sync_class(_AsyncOpener)()

    async def elsewhere() -> None:
        with opener.open():
            pass

    portal.running_loop_policy = "raise"
    with pytest.raises(dualio.BlockingCallError) as raised:
        asyncio.run(elsewhere())
    assert "async with dualio.twin.unwrap(twin).open(...) as ..." in str(raised.value)


class AsyncWithPrivates:
    def __init__(self) -> None:
        self._secret = 7
        self.public = 1

    async def _private(self) -> int:
        return 2


def test_private_names_and_dunders_are_not_forwarded_to_the_async_object() -> None:
    twin = sync_class(AsyncWithPrivates)()
    assert twin.public == 1
    for name in ("_secret", "_private"):
        with pytest.raises(AttributeError, match=rf"no attribute '{name}': private names .*unwrap\(twin\)\.{name} "):
            getattr(twin, name)
    assert dualio.run(_secret_of(twin)) == 7  # the way the message says


async def _secret_of(twin: Any) -> int:
    return unwrap(twin)._secret  # type: ignore[no-any-return]


class AsyncRequestInterface:
    async def request(self, url: str) -> str:  # defined in a base, as httpcore's pool and redis-py's commands are
        await asyncio.sleep(NAP)
        return url


class AsyncSlowBody:
    async def read(self) -> bytes:
        await asyncio.sleep(NAP)
        return b""

    async def __aenter__(self) -> AsyncSlowBody:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        return None


class AsyncConnectionPool(AsyncRequestInterface):
    def fetch(self, url: str) -> Awaitable[str]:  # a sync def returning the base's coroutine
        return self.request(url)

    async def get(self, url: str) -> AsyncSlowBody:
        return AsyncSlowBody()


class AsyncCachedPool(AsyncConnectionPool):  # as aiohttp-client-cache's CachedSession under ClientSession
    pass


def test_a_timeout_names_the_class_of_the_object_called_not_the_base_that_defines_the_method() -> None:
    pool = sync_class(AsyncConnectionPool)()
    with timeout(0.05):
        with pytest.raises(TimeoutError, match=r"^AsyncConnectionPool\.request did not finish within 0\.05 s"):
            pool.request("u")
        with pytest.raises(TimeoutError, match=r"^AsyncConnectionPool\.fetch did not finish within 0\.05 s"):
            pool.fetch("u")
    cached = sync_class(AsyncCachedPool)()

    def whole_block() -> None:  # the call, __aenter__, read() and __aexit__ in one round trip
        with cached.get("u") as response:
            response.read()

    def entered_then_read() -> None:  # the call and __aenter__ in one trip; the body's read() its own
        with cached.get("u") as response:
            assert response.read() == b""

    with timeout(0.05), pytest.raises(TimeoutError, match=r"^AsyncCachedPool\.get \(with its block's \.read"):
        whole_block()
    with timeout(0.05), pytest.raises(TimeoutError, match=r"^AsyncSlowBody\.read did not finish"):
        entered_then_read()


class ResultError(Exception):
    """A library's own error, not a RuntimeError (taskiq's ``ResultIsReadyError``)."""


class AsyncWrapsLoopErrors:
    async def is_ready(self) -> bool:
        try:
            raise RuntimeError("<Queue at 0x1> is bound to a different event loop")
        except RuntimeError as loop_error:
            raise ResultError("cannot check the result") from loop_error


def test_a_library_error_raised_from_asyncios_other_loop_error_gets_the_note() -> None:
    """taskiq wraps asyncio's complaint in its own error (``raise ... from``): the twin's note was missing, as it
    was looked for only on a RuntimeError or ValueError itself (review 38b)."""
    twin_obj = sync_class(AsyncWrapsLoopErrors)()
    with pytest.raises(ResultError, match="cannot check the result") as caught:
        twin_obj.is_ready()
    notes = "\n".join(getattr(caught.value, "__notes__", ()))
    assert "AsyncWrapsLoopErrors.is_ready: its async object uses another event loop than its twin's portal" in notes
    with pytest.raises(ResultError) as by_run:
        dualio.run(unwrap(twin_obj).is_ready())
    assert "another event loop" in "\n".join(getattr(by_run.value, "__notes__", ()))


def _delegate(name: str) -> Callable[..., Coroutine[Any, Any, str]]:
    async def method(self: AsyncFile, *args: object) -> str:  # named `method`, as aiofiles' delegates are
        await asyncio.sleep(self.delay)
        return name

    return method


def _api_method(name: str) -> Callable[..., Coroutine[Any, Any, str]]:
    async def _api_call(self: AsyncFile, *args: object) -> str:  # renamed, as botocore's API methods are
        await asyncio.sleep(self.delay)
        return name

    _api_call.__name__ = name
    return _api_call


class AsyncFile:
    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay

    read = _delegate("read")
    list_buckets = _api_method("list_buckets")

    async def fetch(self) -> str:
        return "fetched"

    get = fetch  # an alias: errors name `get`, the member called

    async def aclose(self) -> None:
        pass


def test_errors_name_the_member_called(portal: dualio.Portal) -> None:
    File = sync_class(AsyncFile)
    with use_portal(portal):
        slow = File(delay=5)
    set_timeout(slow, 0.05)
    with pytest.raises(TimeoutError, match=r"^AsyncFile\.read did not finish within 0\.05 s"):
        slow.read()  # before: "_delegate.<locals>.method did not finish ..."
    with pytest.raises(TimeoutError, match=r"^AsyncFile\.list_buckets did not finish within 0\.05 s"):
        slow.list_buckets()  # before, "_api_method.<locals>._api_call did not finish ..."
    slow.close()
    for call, name in ((slow.read, "read"), (slow.get, "get")):
        with pytest.raises(TwinClosedError, match=rf"^File\.{name}\(\) was called on a closed twin"):
            call()  # before: File.method(), File.fetch()
    assert File.read.__name__ == "read"


def test_a_call_failing_on_a_twin_whose_parent_is_closed_says_so(portal: dualio.Portal) -> None:
    # Before, after client.close(), client.chat.completions.create(...) failed with httpx's "the client has
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


class AsyncStreamed:
    """As httpx's streamed ``Response``: sync and async spellings of each read; the sync ones fail on a stream."""

    def iter_bytes(self) -> Iterator[bytes]:
        yield from self._sync_stream()

    def _sync_stream(self) -> list[bytes]:
        raise RuntimeError("Attempted to call a sync iterator on an async stream.")

    async def aiter_bytes(self) -> AsyncIterator[bytes]:
        yield b"chunk"

    def read(self) -> bytes:
        raise RuntimeError("Attempted to call a sync iterator on an async stream.")

    async def aread(self) -> bytes:
        return b"body"


def test_a_failing_sync_method_with_an_async_counterpart_says_to_call_that() -> None:
    """httpx users write ``r.iter_bytes()`` on the twin of a streamed response and got only httpx's error; the note
    names ``aiter_bytes()``, which the twin runs on the loop (review 38f r05)."""
    response = sync_class(AsyncStreamed)()
    with pytest.raises(RuntimeError, match="sync iterator on an async stream") as iterated:
        for _chunk in response.iter_bytes():
            pass
    assert "its async counterpart is aiter_bytes(): on the twin, call that" in "\n".join(iterated.value.__notes__)
    with pytest.raises(RuntimeError, match="sync iterator on an async stream") as read:
        response.read()
    assert "AsyncStreamed.read() is a sync method of the async class" in "\n".join(read.value.__notes__)
    assert "its async counterpart is aread()" in "\n".join(read.value.__notes__)
    assert list(response.aiter_bytes()) == [b"chunk"]
    assert response.aread() == b"body"
