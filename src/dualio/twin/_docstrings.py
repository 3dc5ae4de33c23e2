"""The code examples of an async class's docstrings, as the sync twin's users write them.

A generated twin keeps the async class's docstrings; their examples, written for async code (``await
client.get(url)``, ``async with AsyncClient() as client:``), would tell a sync user to write what the twin does
not take. In the code of a docstring, and only there, ``await`` is dropped, ``async with`` and ``async for`` lose
``async``, and a listed async class's name becomes its twin's (``AsyncClient`` -> ``Client``), except in an
import line (``from slack_sdk.web.async_client import AsyncWebClient``), which names the library's module: the
twin's name there would import nothing, or the library's own sync class of that name. ``async def``
stays: an example's coroutine function is most often a callback the library awaits, which stays async.

Code is what a reader can tell is code: doctest lines (``>>> ``, ``... ``), fenced blocks (````` ``` `````),
reStructuredText literal blocks (the indented lines after a paragraph ending in ``::``, or after a ``..
code-block::`` directive) and inline literals (```code``` and ````code````). Prose is left as written ("await the
result", "the AsyncClient class"), so a sentence never loses a word. Not seen: a literal block that the
docstring's first line opens (``Fetch it::`` right after the opening quotes), whose indentation reading the
docstring (``inspect.cleandoc``) removes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

_AWAIT = re.compile(r"\bawait\s+(?=[\w(\[{\"'])")
_ASYNC_STATEMENT = re.compile(r"\basync\s+(?=(?:with|for)\b)")
_DIRECTIVE = re.compile(r"^\s*\.\. (?:code-block|code|sourcecode|testcode|doctest)::")
_DOCTEST = re.compile(r"^(\s*)(>>> |\.\.\. )(.*)$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_INLINE = re.compile(r"(``?)([^`\n]+?)\1")
_IMPORT = re.compile(r"^\s*(?:(?:>>>|\.\.\.) )?(?:from\s+[\w.]+\s+import\b|import\s+[\w.])")


def sync_docstring(text: str, twins: Mapping[str, str]) -> str:
    """``text`` (a docstring) with the code in it rewritten for the twin; prose unchanged."""
    code = _code_rewriter(twins)
    out: list[str] = []
    fenced = False
    opener: int | None = None  # the indent of a line ending in "::", until the next non-blank line
    literal: int | None = None  # inside a literal block: the indent of the line that opened it
    for line in text.splitlines():
        indent = len(line) - len(line.lstrip())
        if line.strip() and literal is not None and indent <= literal:
            literal = None
        if line.strip() and opener is not None:
            literal = opener if indent > opener else None
            opener = None
        doctest = _DOCTEST.match(line)
        if _FENCE.match(line):
            fenced = not fenced
            out.append(line)
        elif fenced or literal is not None:
            out.append(code(line))
        elif doctest is not None:
            out.append(doctest.group(1) + doctest.group(2) + code(doctest.group(3)))
        else:
            out.append(_INLINE.sub(lambda m: m.group(1) + code(m.group(2)) + m.group(1), line))
            if line.rstrip().endswith("::") or _DIRECTIVE.match(line):
                opener = indent
    return "\n".join(out)


def _code_rewriter(twins: Mapping[str, str]) -> Callable[[str], str]:
    names = sorted((name for name, twin in twins.items() if name != twin), key=len, reverse=True)
    # Not after a dot: `gql.client.Client.close_async` (a module path; a :meth: role) has no twin at
    # `gql.client.SyncClient`, nor has `aiohttp.ClientSession` one at `aiohttp.SyncClientSession`.
    pattern = re.compile(r"(?<![\w.])(" + "|".join(map(re.escape, names)) + r")\b") if names else None

    def rewrite(code: str) -> str:
        code = _ASYNC_STATEMENT.sub("", _AWAIT.sub("", code))
        if pattern is None or _IMPORT.match(code):  # the import names the library's module, which has no twin
            return code
        return pattern.sub(lambda m: twins[m.group(1)], code)

    return rewrite
