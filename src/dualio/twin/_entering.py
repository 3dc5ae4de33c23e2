"""Does the code that called a twin method put the result straight into a ``with`` statement (or a ``for``)?

``with twin.get(url) as response:`` compiles to a call followed at once by the instruction that starts a
``with`` block (``BEFORE_WITH`` on CPython 3.11-3.13). When a twin method finds that instruction right after the
call in its caller's frame, nothing can see the result between the call and ``__enter__``, so the twin runs the
method and ``__aenter__`` on the loop in one round trip instead of two (see ``_runtime.call``).

No opcode number is written here: at import, a probe function compiled and run by this interpreter shows, for
each kind of call, where the caller's ``f_lasti`` points during the call, how far the ``with`` instruction sits
after that and what its bytes are. On an interpreter where the probe finds no such instruction,
:func:`enters_at_once` is always false and every call takes the ordinary path. Only the caller's own bytecode
is read: a call made through C code (``map``, ``functools.partial``) is judged by the Python frame below it,
which is why the check is used only from the runtime functions that twin methods call directly.

``for x in twin.m(...)`` is read the same way (:func:`iterates_at_once`: ``GET_ITER`` right after the call), so
that a result that is both awaitable and async iterable is iterated, as ``async for x in obj.m(...)`` would.
"""

from __future__ import annotations

import dis
import inspect
import sys
import threading
from collections.abc import Callable, Iterator
from types import FrameType, TracebackType
from typing import TYPE_CHECKING, Any

from dualio._hosting import HeldBlock

from . import _leaving, _registry
from ._awaiting import awaitable_in_fact

if TYPE_CHECKING:
    from dualio._portal import Portal

__all__ = (
    "FOR",
    "WITH",
    "Entered",
    "EnteredResult",
    "after_call",
    "enters_at_once",
    "iterates_at_once",
    "run_and_enter",
    "run_enter_and_hold",
)

# Instructions that begin a `with` block on some CPython: BEFORE_WITH (3.11-3.13), LOAD_SPECIAL (3.14+).
_WITH_MARKERS = frozenset({"BEFORE_WITH", "LOAD_SPECIAL"})
_Learnt = dict[int, tuple[tuple[int, bytes], ...]]


class _Nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc_info: object) -> None:
        return None

    def __iter__(self) -> Iterator[object]:
        return iter(())


_Probe = Callable[[Callable[..., _Nothing], Any, tuple[object, ...], dict[str, object]], None]


def _learn(probe: _Probe, ends_at: Callable[[list[dis.Instruction]], dis.Instruction | None]) -> _Learnt:
    """Map the byte at a caller's ``f_lasti`` to the (distance, bytes) of the code that may follow its call.

    What ``f_lasti`` points at during a call differs between versions (the call's last cache entry on 3.11 and
    3.12, the call instruction on 3.13), so ``probe`` runs: each of its calls of ``seen`` records its caller's
    ``f_lasti``. ``ends_at`` gets the instructions after such a call and returns the last one of the code looked
    for (which must start right after the call), or None where it is not there.
    """
    lastis: list[int] = []

    def seen(*args: object, **kwargs: object) -> _Nothing:
        lastis.append(sys._getframe(1).f_lasti)
        return _Nothing()

    class Holder:
        m = staticmethod(seen)

    probe(seen, Holder(), (), {})
    code = probe.__code__.co_code
    instructions = list(dis.get_instructions(probe))
    learnt: dict[int, set[tuple[int, bytes]]] = {}
    for lasti in lastis:
        following = [instruction for instruction in instructions if instruction.offset > lasti]
        last = ends_at(following)
        if last is None:
            continue
        start = following[0].offset
        learnt.setdefault(code[lasti], set()).add((start - lasti, code[start : last.offset + 2]))
    return {key: tuple(found) for key, found in learnt.items()}


def _with_probe(f: Callable[..., _Nothing], o: Any, a: tuple[object, ...], k: dict[str, object]) -> None:
    """A plain call, a method call with keywords and a ``*args`` call, each written straight into ``with``."""
    with f():
        pass
    with o.m(1, x=2):
        pass
    with f(*a, **k):
        pass


def _with_start(following: list[dis.Instruction]) -> dis.Instruction | None:
    marker = next((i for i in following if i.opname in _WITH_MARKERS), None)
    if marker is None or marker.offset - following[0].offset > 4:  # 3.14: COPY 1, then LOAD_SPECIAL
        return None
    return marker


def _for_probe(f: Callable[..., _Nothing], o: Any, a: tuple[object, ...], k: dict[str, object]) -> None:
    """The same calls written straight into ``for``, and into a comprehension (its own frame on 3.11)."""
    for _ in f():
        pass
    for _ in o.m(1, x=2):
        pass
    for _ in f(*a, **k):
        pass
    [_ for _ in f()]  # noqa: C416  # the comprehension is the point


def _for_start(following: list[dis.Instruction]) -> dis.Instruction | None:
    return following[0] if following and following[0].opname == "GET_ITER" else None


_WITH_CODE = _learn(_with_probe, _with_start)
_FOR_CODE = _learn(_for_probe, _for_start)
WITH, FOR = 1, 2  # what after_call() finds after a call (0: neither)


def _merge() -> dict[int, tuple[tuple[int, int, dict[bytes, int]], ...]]:
    """Both tables in one: f_lasti's byte -> (distance, length, {the bytes there: WITH or FOR}) per place to read."""
    merged: dict[int, dict[tuple[int, int], dict[bytes, int]]] = {}
    for table, kind in ((_WITH_CODE, WITH), (_FOR_CODE, FOR)):
        for key, found in table.items():
            for gap, following in found:
                merged.setdefault(key, {}).setdefault((gap, len(following)), {})[following] = kind
    return {key: tuple((gap, size, kinds) for (gap, size), kinds in places.items()) for key, places in merged.items()}


_AFTER_CALL = _merge()


def enters_at_once(frame: FrameType) -> bool:
    """Whether the call ``frame`` is executing now is followed at once by the start of a ``with`` block."""
    code = frame.f_code.co_code
    lasti = frame.f_lasti
    for gap, with_code in _WITH_CODE.get(code[lasti], ()):
        start = lasti + gap
        if code[start : start + len(with_code)] == with_code:
            return True
    return False


def after_call(frame: FrameType) -> int:
    """``WITH`` if the call ``frame`` is executing now goes straight into ``with``, ``FOR`` if into ``for``, else 0.

    One look-up for both :func:`enters_at_once` and :func:`iterates_at_once`, for callers that ask both.
    """
    code = frame.f_code.co_code
    lasti = frame.f_lasti
    for gap, size, kinds in _AFTER_CALL.get(code[lasti], ()):
        start = lasti + gap
        kind = kinds.get(code[start : start + size])
        if kind:
            return kind
    return 0


def iterates_at_once(frame: FrameType) -> bool:
    """Whether the call ``frame`` is executing now is followed at once by ``iter()`` of its result.

    That is ``for x in twin.m(...)`` and a comprehension over it (``GET_ITER`` right after the call on 3.11-3.13):
    nothing but that ``iter()`` ever sees the result.
    """
    return after_call(frame) == FOR


class Entered:
    """The outcome of :func:`run_and_enter` when it entered an async context manager (made on the loop)."""

    __slots__ = ("async_cm", "block", "held", "value")

    def __init__(self, async_cm: Any, value: Any) -> None:
        self.async_cm = async_cm
        self.value = value
        self.block: Any = None  # a ``_whole_block.Block`` when the block's body and exit ran too
        self.held: HeldBlock[Entered] | None = None  # else: the task that entered holds the block open

    async def hold(self, portal: Portal) -> Any:
        """Give this to the waiting caller now and hold the block open in this task (``_hosting``).

        Returns what ``__aexit__`` returns, which the coroutine that runs this must return: it is the outcome
        of the task, which ``HeldBlock.leave`` hands to the call that ends the block."""
        held = self.held = HeldBlock(self.async_cm)
        return await held.hold(portal, self)


async def run_and_enter(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """On the loop: call ``fn``, then enter its result as ``async with`` would, if the twin's ``with`` would.

    A result that is an async context manager which the twin's ``with`` runs ``__aenter__`` of (its twin's, or
    a plain ``@asynccontextmanager``'s) is entered here and returned as :class:`Entered`; one that is both
    awaitable and such a context manager (aiohttp's ``session.get(url)``) is entered, not awaited, as in
    ``async with session.get(url)``. Anything else is awaited if awaitable and returned as the plain call would.
    """
    value = fn(*args, **kwargs)
    enters = _registry.enters_on_loop(type(value))
    if not enters and inspect.isawaitable(value):
        awaitable = awaitable_in_fact(value)
        value = value if awaitable is None else await awaitable
        enters = _registry.enters_on_loop(type(value))
    if enters:
        return Entered(value, await type(value).__aenter__(value))
    return value


async def run_enter_and_hold(
    portal: Portal, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    """:func:`run_and_enter`; an :class:`Entered` outcome is given to the caller at once and its block held open
    by this task until ``Entered.held`` is left, so that one task runs ``__aenter__`` and ``__aexit__``."""
    outcome = await run_and_enter(fn, args, kwargs)
    if type(outcome) is Entered:
        return await outcome.hold(portal)  # the call has its result already: this goes to HeldBlock.leave
    return outcome


class EnteredResult:
    """What a twin method returns to a ``with`` statement when the call already ran ``__aenter__`` on the loop.

    Only the ``with`` statement that made the call ever holds it: ``__enter__`` hands over the mapped value of
    ``__aenter__`` with no round trip, and ``__exit__`` has the task that entered run ``__aexit__``, unless the
    block's last twin call already did (``_leaving``: then it raises what ``__aexit__`` raised, if anything).
    Should it die without being entered (C code between the call and the ``with``, see the module docstring),
    ``abandon`` is called to exit the async context manager without waiting.
    """

    __slots__ = (
        "_abandon",
        "_entered",
        "_exit",
        "_exit_claim",
        "_open_key",
        "_value",
        "exit_error",
        "held",
        "portal",
    )

    def __init__(
        self,
        value: Any,
        exit: Callable[[type[BaseException] | None, BaseException | None, Any], bool],
        abandon: Callable[[], object],
        portal: Portal,
        held: HeldBlock[Entered],
    ) -> None:
        self._value = value
        self._exit = exit
        self._abandon = abandon
        self._entered = False
        self._exit_claim = threading.Lock()
        self._open_key: tuple[FrameType, int] | None = None
        self.portal = portal  # for a last call that also exits (``_leaving``): the portal and the held block
        self.held = held
        self.exit_error: Exception | None = None

    def __enter__(self) -> Any:
        self._entered = True
        self._open_key = _leaving.remember(self, sys._getframe(1))
        return self._value

    def __del__(self) -> None:
        if not self._entered:
            self._abandon()

    def claim_exit(self) -> bool:
        """True for the one caller (``__exit__`` or a merged last call) that is to run ``__aexit__``."""
        return self._exit_claim.acquire(blocking=False)

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool:
        _leaving.forget(self._open_key)
        if self.claim_exit():
            return self._exit(exc_type, exc, tb)
        error, self.exit_error = self.exit_error, None
        if error is not None:
            raise error
        return False
