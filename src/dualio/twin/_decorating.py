"""Whether a twin call's result is used at once as a decorator (``@db.transaction()``).

databases' ``Transaction`` is awaitable (``await db.transaction()`` starts one) and a decorator
(``@db.transaction()`` runs the function in one). A twin awaits an awaitable result, as ``redis``' commands need:
written as a decorator, that started a transaction nothing ever ended (its connection leaked), and then decorated
the function with it. Async code does not await a decorator expression, and nor does a twin now: when the
caller's next instructions only build a function and apply the result to it, the result is left unawaited and
mapped (``_runtime._invoke``), so the decorator's own ``__call__`` runs. Read from the caller's instructions with
``dis`` (names, not opcode numbers), cached per code position.
"""

from __future__ import annotations

import dis
from types import CodeType, FrameType

from ._bytecode import after, instructions_of

__all__ = ("decorates_at_once",)

# What may stand between the decorator expression's call and the function it decorates: the function's code,
# its defaults, annotations and closure cells; nothing that runs code of the caller's.
_BUILDING = frozenset(
    {
        "LOAD_CONST",
        "LOAD_CLOSURE",
        "LOAD_FAST",
        "LOAD_DEREF",
        "LOAD_NAME",
        "LOAD_GLOBAL",
        "BUILD_TUPLE",
        "BUILD_MAP",
        "BUILD_CONST_KEY_MAP",
    }
)
_seen: dict[tuple[CodeType, int], bool] = {}


def decorates_at_once(frame: FrameType) -> bool:
    """Whether the call ``frame`` is executing now gives a decorator applied at once to a ``def`` (``@x.m()``
    over a function): after the call only the function is built (``MAKE_FUNCTION``), and the result is then
    called with it alone (``CALL 0`` on Python 3.11-3.13)."""
    key = (frame.f_code, frame.f_lasti)
    found = _seen.get(key)
    if found is None:
        found = _seen[key] = _applied_to_a_def(after(instructions_of(key[0]), key[1]))
    return found


def _applied_to_a_def(following: list[dis.Instruction]) -> bool:
    index = 0
    while index < len(following) and following[index].opname in _BUILDING:
        index += 1
    if index == 0 or index == len(following) or following[index].opname != "MAKE_FUNCTION":
        return False
    index += 1
    while index < len(following) and following[index].opname == "SET_FUNCTION_ATTRIBUTE":
        index += 1
    if index < len(following) and following[index].opname == "PRECALL":
        index += 1
    return index < len(following) and following[index].opname == "CALL" and following[index].arg == 0
