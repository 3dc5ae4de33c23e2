"""Review 22 (grpc.aio, websockets, Playwright, aiosmtplib, aiofiles, the docs as written): fixes kept fixed."""

from __future__ import annotations

import importlib
import threading
from pathlib import Path

import pytest

import dualio
from dualio import twin
from dualio.twin import use_portal

from .test_generated_spellings import check_and_run_usage
from .test_review18_generator import _package
from .test_review19 import _generate

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
    # Review 22b: `SyncPlaywright.stop()` ran the class's `stop` (which does nothing), not the one
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


_HANDS_OUT = '''
from __future__ import annotations

import asyncio
from typing import Optional


class Locator:
    def __init__(self, selector: str) -> None:
        self.selector = selector

    async def text_content(self) -> str:
        await asyncio.sleep(0)
        return f"text of {self.selector}"


class FrameLocator:
    """Playwright's shape: only plain defs, which return async objects."""

    def locator(self, selector: str) -> Locator:
        return Locator(selector)

    def all(self) -> list[Locator]:
        return [Locator("a"), Locator("b")]


class Message:
    def __init__(self, page: Page) -> None:
        self._page = page

    @property
    def page(self) -> Optional["Page"]:
        return self._page

    def text(self) -> str:
        return "hello"


class UnaryCall:
    def __init__(self, request: str) -> None:
        self.request = request

    def __await__(self):  # type: ignore[no-untyped-def]
        yield from asyncio.sleep(0).__await__()
        return f"response to {self.request}"

    async def initial_metadata(self) -> tuple[str, ...]:
        return ()


class MultiCallable:
    """grpc.aio's shape: a stub's attribute, whose __call__ makes the call object."""

    def __call__(self, request: str) -> UnaryCall:
        return UnaryCall(request)


class Page:
    async def frame_locator(self, selector: str) -> FrameLocator:
        return FrameLocator()

    async def message(self) -> Message:
        return Message(self)

    def unary_unary(self, method: str) -> MultiCallable:
        return MultiCallable()

    async def title(self) -> str:
        return "Home"
'''


def test_objects_whose_plain_methods_hand_out_async_objects_are_twins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, portal: dualio.Portal
) -> None:
    # Review 22b/22a: Playwright's FrameLocator and ConsoleMessage, grpc.aio's multicallables came back raw,
    # so `page.frame_locator(...).locator(...).text_content()` gave a coroutine, `message.page.title()` too,
    # and `stub.Unary(request)` ran grpc's code in the caller's thread ("There is no current event loop").
    _package(tmp_path, monkeypatch, "hands_out", {"aio": _HANDS_OUT})
    aio = importlib.import_module("hands_out.aio")
    with use_portal(portal):
        page = twin.sync_class(aio.Page)()
        frames = page.frame_locator("iframe")
        assert type(frames).__name__ == "SyncFrameLocator"
        assert frames.locator("#in").text_content() == "text of #in"
        assert [locator.text_content() for locator in frames.all()] == ["text of a", "text of b"]
        message = page.message()
        assert message.text() == "hello"
        assert message.page is page
        assert message.page.title() == "Home"
        unary = page.unary_unary("/Demo/Unary")
        assert unary("ping") == "response to ping"  # made and awaited on the loop, from any thread
        answers: list[str] = []
        worker = threading.Thread(target=lambda: answers.append(unary("from a thread")))
        worker.start()
        worker.join()
        assert answers == ["response to from a thread"]
        kept = twin.defer(unary, "kept")  # the call object kept unawaited (grpc: its metadata, cancel())
        assert kept.result() == "response to kept"


_HANDS_OUT_USAGE = """
from typing import assert_type

from gen_hands_out.sync import SyncFrameLocator, SyncLocator, SyncPage

page = SyncPage()
frames = page.frame_locator("iframe")
assert_type(frames, SyncFrameLocator)
assert type(frames) is SyncFrameLocator
assert_type(frames.locator("#in"), SyncLocator)
assert_type(frames.locator("#in").text_content(), str)
assert frames.locator("#in").text_content() == "text of #in"
message = page.message()
assert_type(message.page, SyncPage | None)
owner = message.page
assert owner is not None and owner.title() == "Home"
"""


@pytest.mark.parametrize("listed", [False, True], ids=["unlisted", "listed"])
def test_a_class_handing_out_async_objects_is_typed_as_its_twin_or_any(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, listed: bool
) -> None:
    # Review 22b: listing Playwright's FrameLocator was refused ("has no async members"), and Page's
    # `frame_locator()` was typed as the async FrameLocator, though the runtime now gives its twin.
    names = ("Page", "Locator", "FrameLocator", "Message") if listed else ("Page", "Locator")
    output, text = _generate(tmp_path, monkeypatch, "gen_hands_out", {"aio": _HANDS_OUT}, *names)
    if not listed:
        assert "def frame_locator(self, selector: str) -> _typing.Any:" in text
        return
    assert "def frame_locator(self, selector: str) -> SyncFrameLocator:" in text
    output.write_text(text)
    check_and_run_usage(tmp_path, "gen_hands_out", _HANDS_OUT_USAGE)


_PICCOLO_SHAPE = '''
from typing import Generic, TypeVar


class Query:
    async def run(self) -> int:
        return 1


class Table:
    """Subclassed by users (their rows); its plain defs hand out async queries."""

    def select(self) -> Query:
        return Query()


TableInstance = TypeVar("TableInstance", bound="Table")


class AsyncObjects(Generic[TableInstance]):
    def __init__(self, table: TableInstance) -> None:
        self.table = table

    async def first(self) -> TableInstance:
        return self.table
'''


def test_a_type_variable_bound_to_a_class_handing_out_async_objects_stays(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Review 24b: piccolo's `TableInstance` (bound to `Table`, whose plain defs return queries) was rewritten to
    # Any, so rows were typed `list[Any]`; the runtime gives the user's own subclass, raw.
    _, text = _generate(tmp_path, monkeypatch, "gen_piccolo_bound", {"aio": _PICCOLO_SHAPE}, "AsyncObjects")
    assert "def first(self) -> TableInstance:" in text
