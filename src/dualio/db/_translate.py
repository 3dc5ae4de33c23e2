"""Translate SQLAlchemy and driver errors into dualio's errors (``raise ... from`` keeps the original)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import ParamSpec, TypeVar

from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import exc as orm_exc

from dualio.errors import ConflictError, DualioError, IntegrityError, TransientDatabaseError

P = ParamSpec("P")
T = TypeVar("T")

# SQLSTATEs after which running the whole unit of work again may succeed.
_TRANSIENT_SQLSTATES = frozenset({"40001", "40P01"})  # serialization_failure, deadlock_detected
_SQLITE_TRANSIENT_MESSAGES = ("database is locked", "database table is locked")
_SQLALCHEMY_ERRORS = (sa_exc.SQLAlchemyError, orm_exc.StaleDataError)


def _sqlstate(error: BaseException) -> str | None:
    """Return the SQLSTATE a driver error carries (psycopg and asyncpg both call it ``sqlstate``), or None."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        for attribute in ("sqlstate", "pgcode"):
            value = getattr(current, attribute, None)
            if isinstance(value, str):
                return value
        current = current.__cause__ or getattr(current, "orig", None)
    return None


def is_transient(error: BaseException) -> bool:
    """Say whether ``error`` is one after which the whole unit of work may be run again."""
    if isinstance(error, TransientDatabaseError | orm_exc.StaleDataError):
        return True
    if isinstance(error, ConflictError):
        # A row changed under this unit's own read-modify-write: running the unit again re-reads it. A conflict
        # with a version the caller read earlier (expected_version=, or a row from an older unit) stays an error.
        return isinstance(error.__cause__, orm_exc.StaleDataError)
    if isinstance(error, sa_exc.DBAPIError):
        if error.connection_invalidated:
            return True
        if _sqlstate(error) in _TRANSIENT_SQLSTATES:
            return True
        message = str(error.orig).lower()
        return any(text in message for text in _SQLITE_TRANSIENT_MESSAGES)
    return isinstance(error, sa_exc.DisconnectionError)


def translate(error: BaseException) -> BaseException | None:
    """Return the dualio error for a SQLAlchemy error, or None when there is none to give."""
    if isinstance(error, DualioError):
        return None  # already translated
    if isinstance(error, orm_exc.StaleDataError):
        return ConflictError(
            f"the row was changed or deleted by another unit of work since it was read ({error}); "
            "re-read it and try again"
        )
    if isinstance(error, sa_exc.IntegrityError):
        return IntegrityError(f"the database refused the write: {str(error.orig).strip()}")
    if isinstance(error, sa_exc.StatementError) and not isinstance(error, sa_exc.DBAPIError):
        original = error.orig
        if isinstance(original, ValueError | TypeError) and type(original) in (ValueError, TypeError):
            # A value refused before it reached the database (a column type's check): give the plain error back.
            return type(original)(*original.args)
    if is_transient(error) and not isinstance(error, TransientDatabaseError):
        return TransientDatabaseError(f"a transient database failure; running the unit again may succeed: {error}")
    return None


@contextmanager
def translating() -> Iterator[None]:
    """Re-raise SQLAlchemy errors raised in the block as dualio errors, chaining the original."""
    try:
        yield
    except _SQLALCHEMY_ERRORS as error:
        translated = translate(error)
        if translated is None:
            raise
        raise translated from error


def translated(method: Callable[P, T]) -> Callable[P, T]:
    """Decorate a repository method so that the errors it raises are dualio's."""

    @wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:  # not `with translating()`: this wraps every repository call, and a try costs nothing when all is well
            return method(*args, **kwargs)
        except _SQLALCHEMY_ERRORS as error:
            translated = translate(error)
            if translated is None:
                raise
            raise translated from error

    return wrapper
