"""Where a finding points: positions in characters, and names as shown in messages."""

from __future__ import annotations

import ast

from ._finding import Finding
from ._model import ModuleInfo
from ._rules import RULES_BY_CODE


def make_finding(
    module: ModuleInfo, code: str, node: ast.AST, message: str, call_path: tuple[str, ...] = ()
) -> Finding:
    """A finding at ``node``'s position (columns converted from UTF-8 bytes to characters)."""
    line = getattr(node, "lineno", 1)
    col = getattr(node, "col_offset", 0)
    end_line = getattr(node, "end_lineno", None) or line
    end_col = getattr(node, "end_col_offset", None) or col
    if isinstance(node, ast.ExceptHandler):  # the `except ...:` line, not the handler's body
        end_line, end_col = line, col + len("except")
    return Finding(
        module.source.display,
        line,
        _char_col(module, line, col) + 1,
        code,
        message,
        RULES_BY_CODE[code].hint,
        end_line,
        _char_col(module, end_line, end_col) + 1,
        call_path,
    )


def _char_col(module: ModuleInfo, line: int, byte_col: int) -> int:
    if 0 < line <= len(module.lines):
        text = module.lines[line - 1]
        if not text.isascii():
            return len(text.encode("utf-8")[:byte_col].decode("utf-8", errors="replace"))
    return byte_col


def display(target: str) -> str:
    """A resolved name as shown in messages (``builtins.open`` -> ``open``)."""
    return target.removeprefix("builtins.")
