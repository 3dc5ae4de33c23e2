"""Classes that hold or hand out async objects, in generated twins: a plain class holding async objects
(asyncua's ``client.nodes``) is not typed as itself, an iterable parameter of listed objects takes containers of
twins, objects whose plain methods hand out async objects (Playwright's ``FrameLocator``, grpc.aio's
multicallables) are twins, typed as their twin or ``Any``, and a type variable bound to such a class stays.
"""

from __future__ import annotations

import importlib
import threading
from pathlib import Path

import pytest

import dualio
from dualio import twin
from dualio.twin import use_portal

from ._helpers_generate import _generate, _package
from .test_generated_spellings import check_and_run_usage

_SHORTCUTS = {
    "aio": """
class AsyncNode:
    async def read(self) -> int:
        return 7


class Shortcuts:  # asyncua's: no async member, but attributes of a class that has some
    objects: AsyncNode

    def __init__(self) -> None:
        self.objects = AsyncNode()


class AsyncClient:
    def __init__(self) -> None:
        self.nodes: Shortcuts = Shortcuts()

    async def connect(self) -> None:
        pass
""",
}


_SHORTCUTS_USAGE = """
from typing import assert_type

from gen_shortcuts.sync import Client, Node

client = Client()
assert_type(client.nodes.objects, Node)
assert client.nodes.objects.read() == 7
"""


@pytest.mark.parametrize("listed", [False, True])
def test_a_class_holding_async_objects_is_not_typed_as_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, listed: bool
) -> None:
    # Before, asyncua's `Client.nodes: Shortcuts` was typed as the async Shortcuts, though the runtime gives
    # its twin (its instances hold Nodes): mypy read `client.nodes.objects.get_child(...)` as a coroutine, and
    # listing Shortcuts was refused ("has no async members").
    names = ("AsyncClient", "AsyncNode", "Shortcuts") if listed else ("AsyncClient", "AsyncNode")
    output, text = _generate(tmp_path, monkeypatch, "gen_shortcuts", _SHORTCUTS, *names)
    if not listed:
        assert "def nodes(self) -> _typing.Any:" in text  # what the runtime builds for it has no generated type
        return
    assert "def nodes(self) -> SyncShortcuts:" in text
    assert "def objects(self) -> Node:" in text
    output.write_text(text)
    check_and_run_usage(tmp_path, "gen_shortcuts", _SHORTCUTS_USAGE)


_ITERABLE_PARAMETER = {
    "aio": """
from collections.abc import Iterable, Sequence


class AsyncNode:
    def __init__(self, value: int) -> None:
        self.value = value

    async def read(self) -> int:
        return self.value


class AsyncClient:
    async def read_values(self, nodes: Iterable[AsyncNode]) -> list[int]:
        return [await node.read() for node in nodes]

    async def first(self, nodes: Sequence[AsyncNode]) -> int:
        return await nodes[0].read()

    async def sum(self, values: Iterable[int]) -> int:
        return sum(values)
""",
}


_ITERABLE_PARAMETER_USAGE = """
from gen_iterable_param.aio import AsyncNode
from gen_iterable_param.sync import Client, Node

client = Client()
nodes = [Node(1), Node(2)]
assert client.read_values(nodes) == [1, 2]
assert client.read_values((Node(3),)) == [3]
assert client.read_values({Node(4)}) == [4]
assert client.first(nodes) == 1
assert client.sum(iter([1, 2])) == 3
"""


def test_an_iterable_parameter_of_listed_objects_takes_containers_of_twins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before, asyncua's `read_values(nodes: Iterable[Node])` kept its type, so mypy refused a list of twins,
    # which the twin unwraps.
    output, text = _generate(
        tmp_path, monkeypatch, "gen_iterable_param", _ITERABLE_PARAMETER, "AsyncClient", "AsyncNode"
    )
    assert "nodes: list[Node] | tuple[Node, ...] | set[Node] | frozenset[Node]) -> list[int]:" in text
    assert "_support.passed_each(nodes)" in text
    assert "def first(self, nodes: list[Node] | tuple[Node, ...]) -> int:" in text
    assert "values: Iterable[int]" in text
    output.write_text(text)
    check_and_run_usage(tmp_path, "gen_iterable_param", _ITERABLE_PARAMETER_USAGE)


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
    # Before, Playwright's FrameLocator and ConsoleMessage, grpc.aio's multicallables came back raw,
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
    # Before, listing Playwright's FrameLocator was refused ("has no async members"), and Page's
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
    # Before, piccolo's `TableInstance` (bound to `Table`, whose plain defs return queries) was rewritten to
    # Any, so rows were typed `list[Any]`; the runtime gives the user's own subclass, raw.
    _, text = _generate(tmp_path, monkeypatch, "gen_piccolo_bound", {"aio": _PICCOLO_SHAPE}, "AsyncObjects")
    assert "def first(self) -> TableInstance:" in text
