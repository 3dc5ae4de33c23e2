"""The record of one finding."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, order=True)
class Finding:
    """One problem found in one place.

    ``line`` and ``col`` are 1-based (``col`` counts characters, as editors do); ``end_line``/``end_col`` close
    the span of the offending node. ``call_path`` is filled for findings reached through the project's own
    functions (DIO102, DIO202): fully qualified names from the ``async def`` to the blocking call.
    Findings sort by path, then position, then code.
    """

    path: str
    line: int
    col: int
    code: str
    message: str
    hint: str = field(compare=False)
    end_line: int = field(compare=False, default=0)
    end_col: int = field(compare=False, default=0)
    call_path: tuple[str, ...] = field(compare=False, default=())

    def to_text(self) -> str:
        """Format as ``file:line:col CODE message`` followed by an indented one-line fix hint."""
        return f"{self.path}:{self.line}:{self.col} {self.code} {self.message}\n    fix: {self.hint}"

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict of every field."""
        return {
            "path": self.path,
            "line": self.line,
            "col": self.col,
            "end_line": self.end_line,
            "end_col": self.end_col,
            "code": self.code,
            "message": self.message,
            "hint": self.hint,
            "call_path": list(self.call_path),
        }
