"""``with twin.m() as x: ...; y = x.n()``: a last twin call whose result is only stored also runs ``__aexit__``.

Each block here starts with another call (``reader.seen_block()``), so that its body is not one call alone,
which ``_whole_block`` runs in one round trip (``test_whole_block.py``). Round trips are counted with the
portal's ``tasks_submitted``: each blocking call is one task on the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import FrameType
from typing import Any

import pytest

import dualio
from dualio.twin import _leaving, sync_class, timeout, unwrap, use_portal

_block: contextvars.ContextVar[str] = contextvars.ContextVar("block", default="outside")


class AsyncReader:
    def __init__(self, box: AsyncBox) -> None:
        self.box = box

    async def read(self) -> str:
        self.box.reads += 1
        await asyncio.sleep(0)
        return "payload"

    async def fail(self) -> str:
        raise ValueError("read failed")

    async def wait(self) -> str:
        await asyncio.sleep(10)
        return "late"

    async def cancelled_inside(self) -> str:
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        future.cancel()  # not the portal's doing: the call ends cancelled all the same
        return await future

    async def stubborn(self) -> str:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            pass  # swallowed: the call was given up on all the same
        return "late"

    async def seen_block(self) -> str:
        return _block.get()

    def label(self) -> str:  # a sync method: its twin runs it on the loop with call_sync
        return "reader"


class AsyncBox:
    """Opens readers; records every ``__aexit__`` it sees, and can be told to make it fail or hang."""

    def __init__(self) -> None:
        self.exits: list[tuple[str, type[BaseException] | None]] = []
        self.exit_error: Exception | None = None
        self.exit_delay = 0.0
        self.suppress = False
        self.reads = 0

    @asynccontextmanager
    async def open(self, label: str = "") -> AsyncIterator[AsyncReader]:
        token = _block.set("inside")  # reset on exit: only possible in the context that set it
        exc_type: type[BaseException] | None = None
        try:
            yield AsyncReader(self)
        except BaseException as error:
            exc_type = type(error)
            if not (self.suppress and isinstance(error, Exception)):
                raise
        finally:
            self.exits.append((_block.get(), exc_type))
            _block.reset(token)
            if self.exit_delay:
                await asyncio.sleep(self.exit_delay)
            if self.exit_error is not None:
                raise self.exit_error

    @asynccontextmanager
    async def open_plain(self) -> AsyncIterator[str]:
        yield "plain"  # a value with no twin: what the block does with it runs in the caller's thread
        self.exits.append(("plain", None))

    async def number(self) -> int:
        return 7


Box: Any = sync_class(AsyncBox)
Reader: Any = sync_class(AsyncReader)


@pytest.fixture
def box(portal: dualio.Portal) -> Any:
    with use_portal(portal):
        return Box()


def trips(portal: dualio.Portal) -> int:
    return portal.statistics().tasks_submitted


def exits(box: Any) -> list[tuple[str, type[BaseException] | None]]:
    async_box: AsyncBox = unwrap(box)
    return async_box.exits


def test_this_interpreter_is_understood() -> None:
    assert _leaving._LEARNT is not None, f"no with exit learnt on {sys.version}: nothing would be merged"


def test_a_stored_last_call_exits_the_block_in_the_same_round_trip(box: Any, portal: dualio.Portal) -> None:
    before = trips(portal)
    with box.open() as reader:
        reader.seen_block()
        data = reader.read()
    assert data == "payload"
    assert trips(portal) == before + 3  # open+__aenter__, seen_block, read+__aexit__
    assert exits(box) == [("inside", None)]  # __aexit__ ran in the block's own context, and once
    assert not _leaving.open_withs


def test_a_dropped_result_a_closure_variable_and_a_seen_context_merge_too(box: Any, portal: dualio.Portal) -> None:
    before = trips(portal)
    with box.open() as reader:
        reader.seen_block()
        reader.read()
    seen = ""

    def closure() -> None:
        nonlocal seen
        with box.open() as reader:
            reader.read()
            seen = reader.seen_block()

    closure()
    assert seen == "inside"  # the call ran in the task holding the block, in its context, as in `async with`
    assert trips(portal) == before + 6
    assert exits(box) == [("inside", None), ("inside", None)]


def test_anything_else_after_the_call_keeps_the_exit_a_round_trip_of_its_own(box: Any, portal: dualio.Portal) -> None:
    before = trips(portal)
    with box.open() as reader:
        assert reader.read() == "payload"  # compared before the block ends
    with box.open() as reader:
        data = reader.read()
        data += "!"
    with box.open() as reader:
        try:
            data = reader.read()
        except ValueError:
            pass
    with box.open() as reader, contextlib.nullcontext():  # the store ends the inner with first
        data = reader.read()
    assert data == "payload"
    assert trips(portal) == before + 4 * 3
    assert len(exits(box)) == 4


def test_an_error_of_the_last_call_reaches_aexit_as_before(box: Any, portal: dualio.Portal) -> None:
    def fails_last() -> None:
        with box.open() as reader:
            reader.seen_block()
            reader.fail()

    before = trips(portal)
    with pytest.raises(ValueError, match="read failed"):
        fails_last()
    assert trips(portal) == before + 4
    assert exits(box) == [("inside", ValueError)]


def test_an_error_of_aexit_comes_from_the_with_after_the_name_was_bound(box: Any) -> None:
    unwrap(box).exit_error = RuntimeError("exit failed")
    data = ""

    def closure() -> None:
        nonlocal data
        with box.open() as reader:
            reader.seen_block()
            data = reader.read()

    with pytest.raises(RuntimeError, match="exit failed") as raised:
        closure()
    assert data == "payload"
    names = [entry.name for entry in raised.traceback]
    assert "__exit__" in names  # raised by the with statement's exit, not by the call
    assert "_call_and_leave" not in names
    assert exits(box) == [("inside", None)]


def test_a_timeout_while_aexit_runs_comes_from_the_call_and_aexit_is_not_run_twice(box: Any) -> None:
    def reads_last() -> None:
        with box.open() as reader:
            reader.seen_block()
            reader.read()

    unwrap(box).exit_delay = 10.0
    with pytest.raises(TimeoutError), timeout(0.2):
        reads_last()
    assert exits(box) == [("inside", None)]  # once: __exit__ got TimeoutError and left __aexit__ alone
    unwrap(box).exit_delay = 0.0
    assert box.number() == 7


def test_a_last_call_that_swallowed_its_timeout_leaves_the_exit_to_the_with_statement(box: Any) -> None:
    def stubborn_last() -> None:
        with box.open() as reader:
            reader.seen_block()
            reader.stubborn()

    with pytest.raises(TimeoutError), timeout(0.1):
        stubborn_last()
    assert exits(box) == [("inside", TimeoutError)]  # run by __exit__, which saw the error, as it would have


def test_a_last_call_on_another_portal_or_under_a_trace_function_is_not_merged(box: Any, portal: dualio.Portal) -> None:
    with dualio.Portal("elsewhere") as elsewhere, use_portal(elsewhere):
        other = Box()
        before = trips(portal)
        with box.open():
            number = other.number()
        assert number == 7
        assert trips(portal) == before + 2  # open+__aenter__ and __aexit__ here; number() on the other portal

    def tracer(frame: FrameType, event: str, arg: object) -> None:
        return None

    before = trips(portal)
    sys.settrace(tracer)
    try:
        with box.open() as reader:
            reader.seen_block()
            data = reader.read()
    finally:
        sys.settrace(None)
    assert data == "payload"
    assert trips(portal) == before + 4


class _Namespace(dict[str, Any]):
    """A namespace whose stores could run code: a module-level store into it must not be merged."""


def test_module_level_code_merges_and_a_namespace_that_could_run_code_does_not(box: Any, portal: dualio.Portal) -> None:
    source = "with box.open() as reader:\n    reader.seen_block()\n    data = reader.read()\n"
    code = compile(source, "<module-level>", "exec")
    namespace: dict[str, Any] = {"box": box}
    before = trips(portal)
    exec(code, namespace)  # module-level code: STORE_NAME into a plain dict
    assert namespace["data"] == "payload"
    assert trips(portal) == before + 3
    custom = _Namespace(box=box)
    exec(code, {}, custom)
    assert custom["data"] == "payload"
    assert trips(portal) == before + 7


def test_a_result_shown_by_the_interactive_prompt_is_shown_before_the_block_ends(
    box: Any, portal: dualio.Portal, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: list[tuple[object, int]] = []
    monkeypatch.setattr(sys, "displayhook", lambda value: shown.append((value, len(exits(box)))))
    code = compile("with box.open() as reader:\n    reader.read()\n", "<stdin>", "single")  # as typed at >>>
    before = trips(portal)
    exec(code, {"box": box})
    assert shown == [("payload", 0)]  # the display hook (code of the caller) ran inside the block
    assert trips(portal) == before + 3


def test_readers_in_a_loop_leave_no_open_block_behind(box: Any, portal: dualio.Portal) -> None:
    results = []
    for _ in range(3):
        with box.open() as reader:
            data = reader.read()
        results.append(data)
    assert results == ["payload"] * 3
    assert len(exits(box)) == 3
    assert not _leaving.open_withs
