"""Reading a code object's instructions and exception table, for the ``with`` merges (``_leaving``, ``_whole_block``).

Only ``dis`` is used: instruction names and values, never opcode numbers, so each merge learns the shapes it
looks for from probe code compiled by the running interpreter.
"""

from __future__ import annotations

import dis
from types import CodeType
from typing import Any

__all__ = ("after", "exception_entries", "handler_of", "instructions_of")


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
