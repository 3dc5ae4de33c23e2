"""Does the code that called a twin method read an attribute of the result at once (``twin.m(...).name``)?

Query builders are awaitable objects made by sync methods and chained before the one ``await``: tortoise-orm's
``await Item.filter(qty__gt=1).order_by("name")``, beanie's ``await Product.find(q).sort(s).to_list()``. A twin
awaits an awaitable result at once, which is right for ``session.get(url).read()`` (aiohttp's ``get`` returns an
awaitable whose awaited value has ``read``), but would make ``Item.filter(...)`` a ``list`` before
``.order_by`` is read. So a twin's sync-method call asks :func:`chained_attribute` which attribute, if any, its
caller reads from the result right after the call; the runtime then leaves an awaitable result unawaited (and
returns its twin) when the result itself has that attribute (see ``_registry.chains_on``).

As in ``_entering``, no opcode number is written here: at import a probe function compiled by this interpreter
shows where a caller's ``f_lasti`` points during a call, how far after it the attribute load sits, its opcode
byte, and how its argument names the attribute (``co_names[arg]`` on 3.11, ``co_names[arg >> 1]`` from 3.12).
A load with an ``EXTENDED_ARG`` prefix (a code object with more than 255 names) is not recognised: the result
is then awaited, as before chains were read.
"""

from __future__ import annotations

import dis
import sys
from collections.abc import Callable
from types import FrameType
from typing import Any

__all__ = ("chained_attribute",)

_ATTRIBUTE_LOADS = frozenset({"LOAD_ATTR", "LOAD_METHOD"})


class _ProbeResult:
    """What the probe's calls return: it has the attributes that the probe reads."""

    x = z = None

    def y(self) -> None:
        return None


def _probe(f: Callable[..., _ProbeResult], o: Any, a: tuple[object, ...], k: dict[str, object]) -> None:
    """A plain call, a method call with keywords and a ``*args`` call, each followed by an attribute read."""
    f().x  # noqa: B018  # the read is the point
    o.m(1, x=2).y()
    f(*a, **k).z  # noqa: B018


def _learn() -> dict[int, tuple[tuple[int, int, int], ...]]:
    """The byte at a caller's ``f_lasti`` -> (distance to the attribute load, its opcode byte, argument shift)."""
    lastis: list[int] = []

    def seen(*args: object, **kwargs: object) -> _ProbeResult:
        lastis.append(sys._getframe(1).f_lasti)
        return _ProbeResult()

    class Holder:
        m = staticmethod(seen)

    _probe(seen, Holder(), (), {})
    code = _probe.__code__
    raw = code.co_code
    instructions = list(dis.get_instructions(code))
    places: dict[int, set[tuple[int, int]]] = {}
    shifts: dict[int, set[int]] = {}  # opcode byte -> the shifts that fit every load of it seen
    for lasti in lastis:
        following = [instruction for instruction in instructions if instruction.offset > lasti]
        if not following or following[0].opname not in _ATTRIBUTE_LOADS:
            continue
        load = following[0]
        argument = raw[load.offset + 1]
        names = code.co_names
        fitting = {s for s in (0, 1) if argument >> s < len(names) and names[argument >> s] == load.argval}
        opcode = raw[load.offset]
        shifts[opcode] = shifts.get(opcode, fitting) & fitting
        places.setdefault(raw[lasti], set()).add((load.offset - lasti, opcode))
    return {
        key: tuple((gap, opcode, min(shifts[opcode])) for gap, opcode in found if len(shifts[opcode]) == 1)
        for key, found in places.items()
    }


_LEARNT = _learn()


def chained_attribute(frame: FrameType) -> str | None:
    """The name of the attribute that ``frame`` reads from the result of the call it is executing, if it does so
    right after the call (``twin.m(...).name``, ``twin.m(...).name(...)``); else None."""
    code = frame.f_code
    raw = code.co_code
    lasti = frame.f_lasti
    for gap, opcode, shift in _LEARNT.get(raw[lasti], ()):
        start = lasti + gap
        if raw[start] == opcode:
            index = raw[start + 1] >> shift
            return code.co_names[index] if index < len(code.co_names) else None
    return None
