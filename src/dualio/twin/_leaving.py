"""Is a twin method call the last thing its ``with`` block does? Then ``__aexit__`` can ride on the same trip.

``with twin.get(url) as response: body = response.read()`` runs three portal round trips: the merged call and
``__aenter__`` (``_entering``), ``read()``, and ``__aexit__``. When a twin method call is followed only by a
store to a name (or by nothing, its result dropped) and then by the normal end of the ``with`` block that
directly contains it, no code of the caller runs between the call and ``__exit__``. The twin then runs the
method and the block's ``__aexit__(None, None, None)`` on the loop in one round trip, and ``__exit__`` only
reports the outcome: 3 round trips become 2 for the GET above.

What a caller can tell: nothing, on success. If ``__aexit__`` raises, ``__exit__`` raises it, as it would have.
If the merged call times out or is interrupted (Ctrl-C) while ``__aexit__`` runs, ``TimeoutError`` or
``KeyboardInterrupt`` comes from the method call's line instead of the ``with``'s end, the name is not bound,
and ``__exit__`` does not run ``__aexit__`` a second time. Only blocks entered by a merged ``with twin.m(...)``
are considered, on the method's own portal, with no trace function set (a debugger could stop between the two).

How the bytecode is read: as in ``_entering``, no opcode is written here. At import a probe function is run
and read, giving the instructions that follow a call whose result is stored when the ``with`` block ends
right after. A call site qualifies when it is followed by one store (to a local, closure, global or module
name) or by a dropped result, and then exactly those instructions; and when the exception-table entry that
covers the call hands over to the cleanup of the block that the merged ``with`` entered (no ``try`` and no
other ``with`` between them: their handler would be the innermost). Each site is analysed once and cached.
Where the probe finds a shape it does not know, nothing is merged.
"""

from __future__ import annotations

import asyncio
import contextvars
import dis
import sys
from collections.abc import Callable, Coroutine, Generator
from types import CodeType, FrameType
from typing import TYPE_CHECKING, Any

from ._bytecode import after, exception_entries, handler_of, instructions_of, stores_plainly

if TYPE_CHECKING:
    from ._entering import EnteredResult

__all__ = ("InContext", "call_then_exit", "forget", "leaving_with", "open_withs", "remember")

# Stores that cannot run code of the caller (a module's STORE_NAME is checked at run time: locals must be a dict).
_STORES = frozenset({"STORE_FAST", "STORE_DEREF", "STORE_NAME", "STORE_GLOBAL", "POP_TOP"})

# The merged ``with`` blocks open now: (frame, cleanup handler offset) -> the result that ``with`` entered.
open_withs: dict[tuple[FrameType, int], EnteredResult] = {}


class _Recorder:
    """A context manager for the probe: records where its ``with`` calls ``__enter__`` from."""

    def __init__(self, lastis: list[int]) -> None:
        self.lastis = lastis

    def __enter__(self) -> None:
        self.lastis.append(sys._getframe(1).f_lasti)

    def __exit__(self, *exc_info: object) -> None:
        return None


def _shape(instruction: dis.Instruction) -> tuple[str, object]:
    return instruction.opname, instruction.argval


def _learn() -> tuple[tuple[str, object], ...] | None:
    """The instructions that end a ``with`` block after a stored result, or None if the probe is not understood."""
    entered: list[int] = []
    called: list[int] = []

    def seen() -> int:
        called.append(sys._getframe(1).f_lasti)
        return 1

    def probe(manager: _Recorder, f: Callable[[], int]) -> int:
        with manager:
            x = f()
        return x  # noqa: RET504  # the shape to learn: a result stored, then the end of the with

    probe(_Recorder(entered), seen)
    instructions, entries = instructions_of(probe.__code__), exception_entries(probe.__code__)
    if len(entered) != 1 or len(called) != 1 or not entries:
        return None
    following = after(instructions, called[0])
    if not following or following[0].opname != "STORE_FAST":
        return None
    end = next((i for i, instruction in enumerate(following) if instruction.opname == "POP_TOP"), None)
    if end is None:
        return None
    exit_sequence = tuple(_shape(instruction) for instruction in following[1 : end + 1])
    body_start = after(instructions, entered[0])
    handler = handler_of(entries, called[0])
    if not body_start or handler is None or handler_of(entries, body_start[0].offset) != handler:
        return None  # the call is not seen as inside the block it ends: merge nothing
    return exit_sequence


_LEARNT = _learn()
_call_sites: dict[tuple[CodeType, int], int | None] = {}
_with_starts: dict[tuple[CodeType, int], int | None] = {}


def _analyse_call(code: CodeType, lasti: int) -> int | None:
    """The cleanup offset of the ``with`` block that the call at ``lasti`` ends, or None (see the docstring)."""
    assert _LEARNT is not None
    exit_sequence = _LEARNT
    instructions, entries = instructions_of(code), exception_entries(code)
    following = after(instructions, lasti)
    if len(following) <= len(exit_sequence) or following[0].opname not in _STORES:
        return None
    if tuple(_shape(instruction) for instruction in following[1 : 1 + len(exit_sequence)]) != exit_sequence:
        return None
    return handler_of(entries, lasti)  # a with's cleanup only if ``remember`` registered a block under it


def _analyse_with(code: CodeType, lasti: int) -> int | None:
    """The cleanup offset of the ``with`` block whose ``__enter__`` runs at ``lasti``, or None."""
    instructions, entries = instructions_of(code), exception_entries(code)
    following = after(instructions, lasti)
    if not following:
        return None
    return handler_of(entries, following[0].offset)  # the block's body starts there


def remember(entered: EnteredResult, frame: FrameType) -> tuple[FrameType, int] | None:
    """Note that ``frame``'s ``with`` statement executing now entered ``entered``; returns the key to forget."""
    if _LEARNT is None:
        return None
    site = (frame.f_code, frame.f_lasti)
    try:
        handler = _with_starts[site]
    except KeyError:
        handler = _with_starts[site] = _analyse_with(*site)
    if handler is None:
        return None
    key = (frame, handler)
    open_withs[key] = entered
    return key


def forget(key: tuple[FrameType, int] | None) -> None:
    if key is not None:
        open_withs.pop(key, None)


def leaving_with(frame: FrameType) -> EnteredResult | None:
    """The merged ``with`` block that the twin call executing in ``frame`` ends at once, if there is one."""
    site = (frame.f_code, frame.f_lasti)
    try:
        handler = _call_sites[site]
    except KeyError:
        handler = _call_sites[site] = _analyse_call(*site)
    if handler is None or sys.gettrace() is not None:
        return None
    entered = open_withs.get((frame, handler))
    if entered is None:
        return None
    if not stores_plainly(frame):
        return None  # a module or class body storing into a mapping whose __setitem__ could run code
    return entered


class InContext:
    """Await ``coro`` inside the current task, each step of it run in ``context`` instead of the task's own."""

    __slots__ = ("_context", "_coro")

    def __init__(self, context: contextvars.Context, coro: Coroutine[Any, Any, Any]) -> None:
        self._context = context
        self._coro = coro

    def __await__(self) -> Generator[Any, Any, Any]:
        run, coro = self._context.run, self._coro
        sent: Any = None
        thrown: BaseException | None = None
        while True:
            try:
                yielded = run(coro.send, sent) if thrown is None else run(coro.throw, thrown)
            except StopIteration as stop:
                return stop.value
            try:
                sent, thrown = (yield yielded), None
            except BaseException as error:  # a cancellation of the task, passed on to the step
                sent, thrown = None, error


async def call_then_exit(
    fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any], entered: EnteredResult
) -> tuple[Any, Exception | None]:
    """On the loop: await ``fn(*args, **kwargs)``, then exit ``entered``'s async context manager if nobody did.

    Returns the call's result and what ``__aexit__`` raised (an ``Exception``, for ``__exit__`` to raise). An
    error of the call itself propagates and leaves the exit to ``__exit__``, as does a call that was cancelled
    (timed out, interrupted) even if it swallowed the cancellation: its caller has given up and exits itself.
    """
    value = await fn(*args, **kwargs)
    task = asyncio.current_task()
    if (task is not None and task.cancelling()) or not entered.claim_exit():
        return value, None
    try:
        await entered.held.leave(None, None, None)  # the task that entered runs __aexit__ (``_hosting``)
    except Exception as error:
        return value, error
    return value, None
