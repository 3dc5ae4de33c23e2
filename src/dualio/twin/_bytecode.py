"""Reading a code object's instructions and exception table, for the ``with`` merges (``_leaving``, ``_whole_block``).

Only ``dis`` is used: instruction names and values, never opcode numbers, so each merge learns the shapes it
looks for from probe code compiled by the running interpreter.
"""

from __future__ import annotations

import dis
from inspect import CO_OPTIMIZED
from types import CodeType, FrameType
from typing import Any

__all__ = ("after", "exception_entries", "handler_of", "instructions_of", "stores_plainly")


def instructions_of(code: CodeType) -> list[dis.Instruction]:
    return list(dis.Bytecode(code))


def exception_entries(code: CodeType) -> list[Any]:
    """The exception table (``start``, ``end``, ``target`` per entry); empty where ``dis`` does not show it."""
    return list(getattr(dis.Bytecode(code), "exception_entries", ()))


def after(instructions: list[dis.Instruction], lasti: int) -> list[dis.Instruction]:
    """The instructions after the one executing at ``lasti`` (``f_lasti`` may point into its cache entries)."""
    return [instruction for instruction in instructions if instruction.offset > lasti]


def handler_of(entries: list[Any], offset: int) -> int | None:
    """The exception handler that covers ``offset`` (the innermost ``try`` or ``with`` around it), if any."""
    for entry in entries:
        if entry.start <= offset < entry.end:
            return int(entry.target)
    return None


def stores_plainly(frame: FrameType) -> bool:
    r"""Whether a store by ``frame``'s code runs no code of the caller's.

    True for function code (fast locals), and for module or class code whose namespaces are plain ``dict``\ s; a
    namespace of another mapping type may run code in its ``__setitem__``.
    """
    return bool(frame.f_code.co_flags & CO_OPTIMIZED) or (
        type(frame.f_globals) is dict and type(frame.f_locals) is dict
    )
