"""Objects that stand for one thing of this process, to be shared, never copied: portals and twins.

A portal owns an event loop and its thread; a twin stands for one async object on such a loop. A copy would
share what it stands for but not its state (a copied twin closed left the original open; shutting a copied portal
down waited for a loop it could not stop). So ``copy.copy`` gives the object itself, and
``copy.deepcopy`` and ``pickle`` raise a ``TypeError`` that says why and what to do instead.
"""

from __future__ import annotations

from typing import NoReturn, Self, SupportsIndex

__all__ = ("SharedOnly",)


class SharedOnly:
    """Base of objects that are shared, not copied (see the module docstring)."""

    __slots__ = ()

    def __copy__(self) -> Self:
        return self

    def __deepcopy__(self, memo: object) -> NoReturn:
        raise TypeError(self._dualio_why_not_copied("deep-copied"))

    def __reduce_ex__(self, protocol: SupportsIndex) -> NoReturn:
        raise TypeError(self._dualio_why_not_copied("pickled"))

    def _dualio_why_not_copied(self, how: str) -> str:
        """The message: what the object is, that it cannot be ``how`` (deep-copied, pickled), what to do."""
        raise NotImplementedError
