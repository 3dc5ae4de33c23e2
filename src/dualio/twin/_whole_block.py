"""A ``with`` block whose whole body is one method call on what it entered runs in one round trip.

``with session.get(url) as response: body = response.read()`` is three steps on the loop: the call with
``__aenter__`` (``_entering``), ``read()``, and ``__aexit__``. When a merged ``with`` line is followed by a body
that is exactly ``name = target.method()`` (or ``target.method()``, its result dropped) on the ``as`` target,
with no argument, the bytecode shows that no code of the caller can run between ``__enter__`` and that call,
or between the call and the block's end: the twin's method lookup is the only step, and a twin's methods are
fixed. So the twin runs all of it on the loop in one round trip: the call, ``__aenter__``, the method of the
entered object that its twin would run, and ``__aexit__`` (with the method's error, if it raised). When the
caller's code then makes the method call, it gets the result, or the error, at once; ``__exit__`` reports what
``__aexit__`` did.

What a caller can tell: nothing on success, nor when the method or ``__aexit__`` raises (each error comes from
the line it would have, ``__aexit__`` saw the method's error, and its return value still decides whether the
error is suppressed). A timeout or Ctrl-C during the block is raised by the ``with`` line (its body never ran
as far as the caller can see) and ``__aexit__`` gets the ``CancelledError`` instead of the ``TimeoutError``.
Only methods that the entered object's twin maps to an ``async def`` are run this way; anything else (a
property, a sync method, an object with no twin) takes the ordinary path. Not with a trace function set (a
debugger may stop between the steps) or a module namespace that is not a plain ``dict``.

How the bytecode is read: as in ``_entering``, no opcode is written here. At import, probe code is compiled,
run and read as a function body and as module code, giving the instructions that follow the ``with`` line's
call up to the block's end, with the names of the probe replaced by roles (the ``as`` target, the method, the
result). A call site qualifies when what follows it matches one of them exactly (the ``as`` target the same
name each time): nothing else (a ``try``, an argument, another statement) fits in such a body. The probe's
body must also be covered by one exception-table entry, the ``with``'s; on an interpreter where the probe
reads otherwise, no shape is learnt and nothing is run ahead.
"""

from __future__ import annotations

import asyncio
import contextvars
import sys
from collections.abc import Callable
from types import CodeType, FrameType
from typing import TYPE_CHECKING, Any, NamedTuple

from . import _entering, _registry
from ._bytecode import after, exception_entries, handler_of, instructions_of, stores_plainly
from ._leaving import InContext

if TYPE_CHECKING:
    from dualio._portal import Portal

__all__ = ("Block", "BlockResult", "block_method", "run_whole_block", "speculated", "take")

_TARGET, _METHOD, _RESULT = "<as target>", "<method>", "<result>"
_ROLES = {"target": _TARGET, "method": _METHOD, "result": _RESULT}
_PROBE = """
with f() as target:
    result = target.method()
with f() as target:
    target.method()
"""


class _Shape(NamedTuple):
    instructions: tuple[tuple[str, object], ...]  # (opname, argval or role) from the instruction after the call
    body_end: int  # instructions[1:body_end] are the body, covered by the with's cleanup handler
    call_delta: int  # the method call's f_lasti minus the offset of the instruction after the with line's call


class Block:
    """What ``run_whole_block`` did after entering: the method's result or error, and ``__aexit__``'s."""

    __slots__ = ("error", "exit_error", "suppress", "value")

    def __init__(self) -> None:
        self.value: Any = None
        self.error: BaseException | None = None
        self.exit_error: Exception | None = None
        self.suppress = False


# Method calls that a whole block has run already, waiting for the caller's code to make them:
# frame -> (the call's f_lasti, the twin it is made on, the block's outcome).
speculated: dict[FrameType, tuple[int, object, Block]] = {}


class BlockResult:
    """What the ``with`` line gets when its whole block ran on the loop (see the module docstring).

    ``__enter__`` hands over the entered value (mapped) and arms the body's method call, which then takes its
    outcome from ``speculated`` with no round trip; ``__exit__`` raises what ``__aexit__`` raised, or returns
    what it returned when it saw the method's error. ``__aexit__`` has run already, so a result never entered
    (C code between the call and the ``with``) leaves nothing to clean up.
    """

    __slots__ = ("_block", "_call_lasti", "_frame", "_value")

    def __init__(self, value: Any, block: Block, call_lasti: int) -> None:
        self._value = value
        self._block = block
        self._call_lasti = call_lasti
        self._frame: FrameType | None = None

    def __enter__(self) -> Any:
        frame = self._frame = sys._getframe(1)
        speculated[frame] = (self._call_lasti, self._value, self._block)
        return self._value

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object) -> bool:
        if self._frame is not None:
            speculated.pop(self._frame, None)
        block = self._block
        error, block.exit_error = block.exit_error, None
        if error is not None:
            raise error
        return exc is not None and exc is block.error and block.suppress


def _role(value: object) -> object:
    if isinstance(value, str):
        return _ROLES.get(value, value)
    if isinstance(value, tuple):
        return tuple(_role(item) for item in value)
    return value


def _learn() -> tuple[_Shape, ...]:
    """Run the probe as a function and as module code and read off each block's shape (none if unexpected)."""
    from ._leaving import _LEARNT as exit_sequence

    if exit_sequence is None:
        return ()
    shapes: list[_Shape] = []
    function_source = "def probe(f):\n" + "".join(f"    {line}\n" for line in _PROBE.strip().splitlines())
    holder: dict[str, Any] = {}
    exec(compile(function_source, "<dualio probe>", "exec"), holder)  # our own probe source
    for code, run in (
        (holder["probe"].__code__, lambda f: holder["probe"](f)),
        (module := compile(_PROBE, "<dualio probe>", "exec"), lambda f: exec(module, {"f": f})),
    ):
        with_lastis: list[int] = []
        method_lastis: list[int] = []
        run(_probe_manager_factory(with_lastis, method_lastis))
        instructions, entries = instructions_of(code), exception_entries(code)
        for with_lasti, method_lasti in zip(with_lastis, method_lastis, strict=True):
            following = after(instructions, with_lasti)
            shaped = [(instruction.opname, instruction.argval) for instruction in following]
            end = next(
                (i for i in range(2, len(shaped)) if tuple(shaped[i : i + len(exit_sequence)]) == exit_sequence),
                None,
            )
            if end is None:
                return ()
            handler = handler_of(entries, following[1].offset)
            if handler is None or any(handler_of(entries, i.offset) != handler for i in following[1:end]):
                return ()
            roles = tuple((opname, _role(argval)) for opname, argval in shaped[: end + len(exit_sequence)])
            shapes.append(_Shape(roles, end, method_lasti - following[0].offset))
    return tuple(shapes)


def _probe_manager_factory(with_lastis: list[int], method_lastis: list[int]) -> Callable[[], Any]:
    class Entered:
        def method(self) -> None:
            method_lastis.append(sys._getframe(1).f_lasti)

    class Manager:
        def __enter__(self) -> Entered:
            return Entered()

        def __exit__(self, *exc_info: object) -> None:
            return None

    def f() -> Manager:
        with_lastis.append(sys._getframe(1).f_lasti)
        return Manager()

    return f


_SHAPES = _learn()
_sites: dict[tuple[CodeType, int], tuple[str, int] | None] = {}


def _matches(actual: tuple[str, object], expected: tuple[str, object], bound: dict[str, object]) -> bool:
    if actual[0] != expected[0]:
        return False
    return _same(actual[1], expected[1], bound)


def _same(value: object, role: object, bound: dict[str, object]) -> bool:
    if role in (_TARGET, _METHOD, _RESULT):
        if not isinstance(value, str):
            return False
        return bound.setdefault(role, value) == value
    if isinstance(role, tuple):
        return (
            isinstance(value, tuple) and len(value) == len(role) and all(map(_same, value, role, [bound] * len(role)))
        )
    return bool(value == role)


def _analyse(code: CodeType, lasti: int) -> tuple[str, int] | None:
    """(the method's name, the f_lasti of its call) if the ``with`` block after ``lasti`` is one such call."""
    following = after(instructions_of(code), lasti)
    for shape in _SHAPES:
        count = len(shape.instructions)
        if len(following) < count:
            continue
        bound: dict[str, object] = {}
        candidate = following[:count]
        if not all(
            _matches((i.opname, i.argval), expected, bound)
            for i, expected in zip(candidate, shape.instructions, strict=True)
        ):
            continue
        return str(bound[_METHOD]), candidate[0].offset + shape.call_delta
    return None


def block_method(frame: FrameType) -> tuple[str, int] | None:
    """For the merged ``with`` line executing in ``frame``: the body's one method call (name, call site), if any."""
    site = (frame.f_code, frame.f_lasti)
    try:
        found = _sites[site]
    except KeyError:
        found = _sites[site] = _analyse(*site)
    if found is None or sys.gettrace() is not None:
        return None
    if not stores_plainly(frame):
        return None  # module code loading and storing names through a mapping that could run code
    return found


def take(frame: FrameType, twin: object) -> Block | None:
    """The outcome of the method call executing now in ``frame`` on ``twin``, if a whole block ran it already."""
    expected = speculated.get(frame)
    if expected is None or expected[0] != frame.f_lasti or expected[1] is not twin:
        return None  # not that call: by the bytecode's shape, never so for the call that follows __enter__
    del speculated[frame]
    return expected[2]


async def run_whole_block(
    portal: Portal,
    fn: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    method_name: str,
    call_context: contextvars.Context,
) -> Any:
    """On the loop: ``run_and_enter``, then the entered object's method, then ``__aexit__``; see the docstring.

    Runs in the ``with`` block's context; the method runs in ``call_context`` (a copy of the caller's, as its
    own call would). A cancellation (timeout, Ctrl-C) or ``KeyboardInterrupt`` in the method propagates after
    ``__aexit__`` has seen it.
    """
    outcome = await _entering.run_and_enter(fn, args, kwargs)
    if type(outcome) is not _entering.Entered:
        return outcome
    method = _registry.async_method_of_twin(type(outcome.value), method_name)
    if method is None:  # the body runs as written: this task holds the block open for it (``_hosting``)
        return await outcome.hold(portal)  # the call has its result already: this goes to HeldBlock.leave
    manager = outcome.async_cm
    block = Block()
    try:
        block.value = await InContext(call_context, method(outcome.value))
    except BaseException as error:
        block.error = error
        try:
            block.suppress = bool(await type(manager).__aexit__(manager, type(error), error, error.__traceback__))
        except Exception as exit_error:
            block.exit_error = exit_error
        if isinstance(error, asyncio.CancelledError) or not isinstance(error, Exception):
            raise
    else:
        try:
            await type(manager).__aexit__(manager, None, None, None)
        except Exception as exit_error:
            block.exit_error = exit_error
    outcome.block = block
    return outcome
