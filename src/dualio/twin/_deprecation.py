"""Members marked ``@deprecated`` (PEP 702: ``warnings.deprecated``, ``typing_extensions.deprecated``) on twins.

The decorator's wrapper warns naming its caller's line; a twin calls the async member from dualio's own code, so
that warning would name a line of dualio, and Python's default filters, which show a ``DeprecationWarning`` only
where ``__main__`` raised it, would hide it. So a twin's member warns itself, with the decorator's message and
category, naming the line that called the twin, and calls the function the decorator wrapped: one warning, where
the user can act on it. A member marked with ``category=None`` warns nowhere, as on the async side.
"""

from __future__ import annotations

import types
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ("deprecation", "member_undeprecated", "undeprecated", "warning_first")

F = TypeVar("F", bound=Callable[..., Any])


def deprecation(function: object) -> tuple[str, type[Warning]] | None:
    """The message and category ``function``'s ``@deprecated`` wrapper warns with; None if it has none."""
    message = getattr(function, "__deprecated__", None)
    wrapped = getattr(function, "__wrapped__", None)
    if not isinstance(message, str) or getattr(wrapped, "__deprecated__", None) != message:
        return None  # not marked, or marked with category=None: no wrapper, no warning at run time
    return message, _category(getattr(function, "__func__", function))


def _category(wrapper: object) -> type[Warning]:
    """The warning class the wrapper holds (the decorator's ``category``), else ``DeprecationWarning``."""
    for cell in getattr(wrapper, "__closure__", None) or ():
        try:
            value = cell.cell_contents
        except ValueError:  # an empty cell
            continue
        if isinstance(value, type) and issubclass(value, Warning):
            return value
    return DeprecationWarning


def undeprecated(function: F) -> F:
    """``function`` without its ``@deprecated`` wrapper (a bound method bound again), or ``function`` itself."""
    if deprecation(function) is None:
        return function
    if isinstance(function, types.MethodType):
        return types.MethodType(function.__func__.__wrapped__, function.__self__)  # type: ignore[attr-defined, return-value]
    return function.__wrapped__  # type: ignore[attr-defined, no-any-return]


def member_undeprecated(owner: object, name: str) -> Any:
    """``owner.name`` without its ``@deprecated`` wrapper: what a generated twin's deprecated member calls."""
    return undeprecated(getattr(owner, name))


def warning_first(method: F, marked: tuple[str, type[Warning]]) -> F:
    """``method`` (a twin's member) warning as ``marked`` says in its caller's line before it runs."""
    message, category = marked

    def deprecated(*args: Any, **kwargs: Any) -> Any:
        warnings.warn(message, category, stacklevel=2)
        return method(*args, **kwargs)

    for attribute in ("__name__", "__qualname__", "__doc__", "__module__"):
        setattr(deprecated, attribute, getattr(method, attribute, None))
    deprecated.__deprecated__ = message  # type: ignore[attr-defined]
    return deprecated  # type: ignore[return-value]
