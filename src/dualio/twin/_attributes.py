"""A plain attribute of an async class as its generated twin shows it, on the class and on an instance.

``MAX_KEYS = 1000`` or ``default_port: int = 7379`` in an async class is both a class attribute and the default
of an instance attribute that ``__init__`` or a method may set (``connected = False``, then
``self.connected = True`` in ``__aenter__``). Read on the twin class (``Client.MAX_KEYS``) it is the async
class's value; read on a twin (``client.connected``) it is the async object's, in the calling thread, mapped as
a property read is; assigned on a twin, it is set on the async object (a twin given is unwrapped). Generated
code writes ``default_port: _support.Attribute[int] = _support.Attribute(AsyncClient)`` for an annotated
attribute and ``MAX_KEYS = _support.attribute_like(AsyncClient, AsyncClient.MAX_KEYS)`` for one without
annotation (its type inferred from the value). An attribute whose annotation names a twinned class (read as
the twin, passed as the async object) stays a property of the twin, as does a field of a frozen dataclass.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar, overload

from ._runtime import Twin, get_attribute, set_attribute

__all__ = ("Attribute", "attribute_like")

T = TypeVar("T")


class Attribute(Generic[T]):
    """The descriptor; ``async_cls`` is the async class whose attribute of the same name it shows."""

    __slots__ = ("async_cls", "name")

    def __init__(self, async_cls: type) -> None:
        self.async_cls = async_cls
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, twin: None, owner: type[Any]) -> T: ...

    @overload
    def __get__(self, twin: Twin[Any], owner: type[Any] | None = None) -> T: ...

    def __get__(self, twin: Twin[Any] | None, owner: type[Any] | None = None) -> T:
        if twin is None:
            return getattr(self.async_cls, self.name)  # type: ignore[no-any-return]
        return get_attribute(twin, self.name)  # type: ignore[no-any-return]

    def __set__(self, twin: Twin[Any], value: T) -> None:
        set_attribute(twin, self.name, value)


def attribute_like(async_cls: type, value: T) -> Attribute[T]:
    """An :class:`Attribute` typed as ``value`` (the async class's own value, read when the module loads)."""
    return Attribute(async_cls)
