"""The built-in containers a generated twin traverses, where its annotations say they hold twinned values.

A twin maps the value a call returns, not what is inside it. Where the async class's annotation puts a twinned
class (or an async iterator, an async context manager) inside a ``list``, ``tuple``, ``dict``, ``set`` or
``frozenset``, ``dualio twin generate`` makes the twin traverse that value instead (``_annotations``), so that
``async def notes(self) -> list[AsyncNote]`` gives sync code a ``list[Note]``, as its twin's annotation says;
and a parameter written ``list[AsyncNote]`` takes a ``list[Note]`` whose twins reach the async code as their
async objects.

What a caller must know: such a container is copied, element by element, every time (a list the async object
keeps is not the list sync code gets, and changing one does not change the other); only those five exact types
are traversed, nested to any depth, dict keys included (a subclass, a named tuple or any other container is
passed as it is); everything else is mapped as a call's result or argument is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dualio._default import default_portal

from . import _registry
from ._runtime import Twin, _portals, _result

__all__ = ("passed_each", "returned_each")


def returned_each(owner: Twin[Any] | None, value: Any) -> Any:
    """``value`` (a call's result) with every element of its built-in containers mapped for sync code.

    ``owner`` is the twin the call was made on (its portal and default timeout go to the twins made), or None
    for a classmethod or staticmethod (the portal of ``use_portal``, else the default portal).
    """
    if owner is not None:
        return _each(value, lambda element: _result(owner, element))
    portal = _portals.get() or default_portal()
    return _each(value, lambda element: _registry.to_sync(element, portal, None))


def passed_each(value: Any) -> Any:
    """``value`` (an argument) with every twin in its built-in containers replaced by its async object."""
    return _each(value, _unwrapped)


def _unwrapped(value: Any) -> Any:
    return value._dualio_obj if isinstance(value, Twin) else value


def _each(value: Any, leaf: Callable[[Any], Any]) -> Any:
    cls = type(value)
    if cls is list:
        return [_each(element, leaf) for element in value]
    if cls is tuple:
        return tuple(_each(element, leaf) for element in value)
    if cls is dict:
        return {_each(key, leaf): _each(element, leaf) for key, element in value.items()}
    if cls is set or cls is frozenset:
        return cls(_each(element, leaf) for element in value)
    return leaf(value)
