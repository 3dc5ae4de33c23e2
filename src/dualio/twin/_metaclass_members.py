"""Members an async class gets from its metaclass (ormar's ``Author.objects``), read on its run-time twin class.

A metaclass's property or method is found on the class (``Author.objects``) but not on its instances, nor on
a subclass of another metaclass: the twin class, which is not built with the async class's metaclass (that would
run its class-building machinery again, pydantic's and ormar's among them), reads them through
:class:`MetaclassMembers` instead. Only public names that a metaclass outside the standard library defines are
read (not ``abc.ABCMeta.register``, nor what ``type`` has).
"""

from __future__ import annotations

import inspect
import sys
from typing import Any

from . import _runtime

__all__ = ("MetaclassMembers", "metaclass_members")


def metaclass_members(async_cls: type) -> frozenset[str]:
    """The public names the metaclass of ``async_cls`` defines in its classes outside the standard library
    (a name a standard-library metaclass defines too, as pydantic's ``register`` overrides ``ABCMeta``'s, is
    left out)."""
    own: set[str] = set()
    standard: set[str] = set()
    for klass in inspect.getmro(type(async_cls)):
        names = {name for name in vars(klass) if not name.startswith("_")}
        if klass.__module__.partition(".")[0] in sys.stdlib_module_names or klass.__module__ == "builtins":
            standard |= names
        else:
            own |= names
    return frozenset(own - standard)


class MetaclassMembers(type):
    """The metaclass of a run-time twin class whose async class's metaclass has public members of its own.

    Reading such a member on the twin class (``SyncAuthor.objects``) reads it on the async class, in the calling
    thread, and maps the value as a class-level call's result is mapped: an async object (ormar's ``QuerySet``)
    comes back as its twin, pinned to the portal of ``use_portal``, else the default portal.
    """

    _dualio_async_class_: type
    _dualio_metaclass_members_: frozenset[str]

    def __getattr__(cls, name: str) -> Any:
        if name in type.__getattribute__(cls, "_dualio_metaclass_members_"):
            return _runtime.class_attribute(type.__getattribute__(cls, "_dualio_async_class_"), name)
        raise AttributeError(f"type object {cls.__qualname__!r} has no attribute {name!r}")

    def __dir__(cls) -> list[str]:
        return sorted(set(super().__dir__()) | type.__getattribute__(cls, "_dualio_metaclass_members_"))
