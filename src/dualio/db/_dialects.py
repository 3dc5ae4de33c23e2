"""The statements whose SQL differs between PostgreSQL and SQLite: ``INSERT ... ON CONFLICT``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from . import _filters
from ._versioning import version_attribute

_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def _insert(session: Session, model: type[Any], values: Mapping[str, Any]) -> Any:
    dialect = session.get_bind().dialect.name
    try:
        make_insert = _INSERTS[dialect]
    except KeyError:
        raise NotImplementedError(f"upsert and get_or_create support PostgreSQL and SQLite, not {dialect}") from None
    if not isinstance(values, Mapping) or not values:
        raise ValueError(f"expected a non-empty mapping of column name to value, got {values!r}")
    for name in values:
        _filters.column(model, name, role="the values")
    return make_insert(model).values(dict(values))


def _conflict_columns(model: type[Any], names: Sequence[str] | None, *, role: str) -> list[str]:
    if names is None:
        return [pk.key for pk in _filters.primary_key(model)]
    if isinstance(names, str) or not names:
        raise ValueError(f"{role} takes a non-empty list of column names, got {names!r}")
    return [_filters.column(model, name, role=role).key for name in names]


def upsert_statement(
    session: Session,
    model: type[Any],
    values: Mapping[str, Any],
    *,
    conflict: Sequence[str] | None,
    update: Sequence[str] | None,
) -> Any:
    """Return ``INSERT ... ON CONFLICT (conflict) DO UPDATE SET (update)`` for ``values``."""
    statement = _insert(session, model, values)
    targets = _conflict_columns(model, conflict, role="conflict=")
    version = version_attribute(model)
    names = [n for n in values if n not in targets and n != version] if update is None else list(update)
    if not names:
        raise ValueError("upsert() has nothing to update on conflict: give values beyond the conflict columns")
    excluded = statement.excluded
    changes: dict[str, Any] = {name: excluded[_filters.column(model, name, role="update=").key] for name in names}
    if version is not None:
        changes[version] = getattr(model, version) + 1
    return statement.on_conflict_do_update(index_elements=targets, set_=changes)


def insert_if_absent_statement(
    session: Session, model: type[Any], lookup: Mapping[str, Any], defaults: Mapping[str, Any]
) -> Any:
    """Return ``INSERT ... ON CONFLICT (lookup columns) DO NOTHING`` for ``lookup`` plus ``defaults``."""
    if not isinstance(lookup, Mapping) or not lookup:
        raise ValueError(f"get_or_create() needs a non-empty lookup mapping, got {lookup!r}")
    if not isinstance(defaults, Mapping):
        raise TypeError(f"defaults= takes a mapping of column name to value, got {type(defaults).__name__}")
    statement = _insert(session, model, {**defaults, **lookup})
    targets = _conflict_columns(model, list(lookup), role="get_or_create() lookup")
    return statement.on_conflict_do_nothing(index_elements=targets)
