"""Optimistic concurrency: a version column that SQLAlchemy checks and increments on every UPDATE and DELETE."""

from typing import Any

from sqlalchemy import inspect
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from dualio.errors import ConflictError


class Versioned:
    """Mix into a declarative model to give it a ``version`` column checked on every write.

    Each ``UPDATE``/``DELETE`` of the row carries ``WHERE version = <the version read>`` and increments it. If
    another unit of work changed the row first, the statement matches nothing and the repository raises
    ``ConflictError``: no update is lost, silently or otherwise. Put ``Versioned`` before the declarative base::

        class Note(Versioned, Base): ...
    """

    version: Mapped[int] = mapped_column(nullable=False, default=1)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]


def version_attribute(model: type[Any]) -> str | None:
    """Return the attribute name of ``model``'s version column, or None if it is not versioned."""
    mapper = inspect(model)
    column = mapper.version_id_col
    if column is None:
        return None
    key: str = mapper.get_property_by_column(column).key
    return key


def check_expected_version(model: type[Any], row: object, expected_version: int | None) -> None:
    """Raise ``ConflictError`` if ``expected_version`` is given and ``row`` is at another version."""
    if expected_version is None:
        return
    version = version_attribute(model)
    if version is None:
        raise TypeError(f"{model.__name__} has no version column; expected_version= needs one")
    current = getattr(row, version)
    if current != expected_version:
        raise ConflictError(
            f"{model.__name__} is at version {current}, not {expected_version}: it changed since it was read"
        )
