"""``Repository[Model]``: the generic repository, written once against a sync ``Session``.

The same code serves both faces of a unit of work: the sync face calls it directly; the async face runs each call
through its driver (a greenlet over an ``AsyncSession``, or one thread hop on SQLite), so the I/O is truly async
and the behaviour is the same. ``_repository_async.py`` is generated from this class (``make generate``).
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar, Generic, TypeVar, get_args, get_origin

from sqlalchemy import ColumnElement, Select, bindparam, delete, func, inspect, select, tuple_
from sqlalchemy.orm import Session
from sqlalchemy.orm.interfaces import ORMOption

from dualio.errors import NotFoundError

from . import _filters
from ._bulk import ordered_insert
from ._inline import reads
from ._pagination import Page, decode_cursor, encode_cursor
from ._translate import translated
from ._vector import Metric
from ._versioning import check_expected_version, version_attribute

M = TypeVar("M")

_POPULATE = {"populate_existing": True}


# For this transaction only (set_config's third argument): made once, its value bound per call.
_SET_EF_SEARCH = select(func.set_config("hnsw.ef_search", bindparam("ef_search"), True))


class Repository(Generic[M]):
    """Data access for one mapped model, bound to the session of one unit of work.

    Subclass it to add queries of your own (``class NoteRepository(Repository[Note])``), or use
    ``Repository[Note]`` directly in a unit-of-work declaration. Methods take filters as ``where={"column":
    value}`` (checked against the model; values are always bound) and SQLAlchemy conditions as positional
    arguments (``Note.rank > 3``).

    Errors: ``NotFoundError`` when exactly one row was expected and none matched, ``ConflictError`` when a
    versioned row changed since it was read, ``IntegrityError`` when a constraint refused a write, ``ValueError``
    or ``TypeError`` for a bad argument (an unknown column name, a negative limit). Not safe to share between
    threads or tasks: a repository belongs to one unit of work, as its session does.
    """

    _declared_model: ClassVar[type[Any] | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for base in getattr(cls, "__orig_bases__", ()):
            if get_origin(base) is Repository:
                (model,) = get_args(base)
                if isinstance(model, type):
                    cls._declared_model = model

    def __init__(self, session: Session, model: type[M] | None = None) -> None:
        if model is None:
            model = type(self)._declared_model
        if model is None:
            raise TypeError(
                f"{type(self).__name__} does not know its model: subclass Repository[Model] or pass the model"
            )
        self.session = session
        self.model: type[M] = model

    # -- reading ---------------------------------------------------------------------------------------------

    @reads
    @translated
    def get(self, id: Any, *, options: Sequence[ORMOption] = ()) -> M:
        """Return the row with primary key ``id`` (a tuple for a composite key); raise ``NotFoundError`` if none."""
        row = self.session.get(self.model, id, options=options)
        if row is None:
            raise NotFoundError(f"no {self.model.__name__} with primary key {id!r}")
        result: M = row
        return result

    @reads
    @translated
    def get_one(
        self, *conditions: ColumnElement[bool], where: _filters.Where = None, options: Sequence[ORMOption] = ()
    ) -> M:
        """Return the one row matching the filters; raise ``NotFoundError`` if none, ``LookupError`` if several."""
        rows = self.session.scalars(self._select(conditions, where, options).limit(2)).all()
        if not rows:
            raise NotFoundError(f"no {self.model.__name__} matches {self._describe(conditions, where)}")
        if len(rows) > 1:
            raise LookupError(f"more than one {self.model.__name__} matches {self._describe(conditions, where)}")
        return rows[0]

    @reads
    @translated
    def get_or_none(
        self, *conditions: ColumnElement[bool], where: _filters.Where = None, options: Sequence[ORMOption] = ()
    ) -> M | None:
        """Return the one row matching the filters, or ``None``; raise ``LookupError`` if several match."""
        rows = self.session.scalars(self._select(conditions, where, options).limit(2)).all()
        if len(rows) > 1:
            raise LookupError(f"more than one {self.model.__name__} matches {self._describe(conditions, where)}")
        return rows[0] if rows else None

    @reads
    @translated
    def list(
        self,
        *conditions: ColumnElement[bool],
        where: _filters.Where = None,
        order_by: _filters.OrderBy = None,
        limit: int | None = None,
        offset: int = 0,
        options: Sequence[ORMOption] = (),
    ) -> builtins.list[M]:
        """Return the rows matching the filters, ordered, with offset pagination (``limit``, ``offset``)."""
        statement = self._select(conditions, where, options)
        statement = statement.order_by(*self._order_clauses(order_by))
        if limit is not None:
            statement = statement.limit(count_argument("limit", limit))
        if offset:
            statement = statement.offset(count_argument("offset", offset))
        return builtins.list(self.session.scalars(statement))

    @reads
    @translated
    def page(
        self,
        *conditions: ColumnElement[bool],
        where: _filters.Where = None,
        order_by: _filters.OrderBy = None,
        after: str | None = None,
        limit: int = 50,
        options: Sequence[ORMOption] = (),
    ) -> Page[M]:
        """Return one page of rows in keyset order, and the cursor of the next page.

        ``order_by`` names non-null columns, all ascending or all descending; the primary key is appended so that
        the order is total. Pass the returned ``next_cursor`` as ``after=`` for the next page.
        """
        keys, descending = _filters.keyset_order(self.model, order_by)
        statement = self._select(conditions, where, options)
        if after is not None:
            values = decode_cursor(after, len(keys))
            # One key compares as a column (a simpler statement, cheaper to build and to cache than a row value).
            position, bound = (keys[0], values[0]) if len(keys) == 1 else (tuple_(*keys), tuple_(*values))
            statement = statement.where(position < bound if descending else position > bound)
        statement = statement.order_by(*(key.desc() if descending else key.asc() for key in keys))
        size = count_argument("limit", limit)
        rows = builtins.list(self.session.scalars(statement.limit(size + 1)))
        if len(rows) <= size:
            return Page(items=rows, next_cursor=None)
        rows = rows[:size]
        last = rows[-1]
        return Page(items=rows, next_cursor=encode_cursor([getattr(last, key.key) for key in keys]))

    @reads
    @translated
    def count(self, *conditions: ColumnElement[bool], where: _filters.Where = None) -> int:
        """Return how many rows match the filters."""
        statement = select(func.count()).select_from(self.model)
        statement = statement.where(*_filters.conditions(self.model, conditions, where))
        return int(self.session.scalar(statement) or 0)

    @reads
    @translated
    def exists(self, *conditions: ColumnElement[bool], where: _filters.Where = None) -> bool:
        """Say whether any row matches the filters."""
        inner = select(1).select_from(self.model).where(*_filters.conditions(self.model, conditions, where))
        return bool(self.session.scalar(select(inner.exists())))

    # -- writing ---------------------------------------------------------------------------------------------

    @translated
    def add(self, row: M) -> M:
        """Add ``row`` and flush, so that its primary key and defaults are set; return it."""
        self._check_instance(row)
        self.session.add(row)
        self.session.flush()
        return row

    @translated
    def add_many(self, rows: Iterable[M] | Iterable[Mapping[str, Any]]) -> builtins.list[M]:
        """Insert many rows in bulk (batched ``INSERT ... RETURNING``) and return them in the order given.

        ``rows`` are all model instances or all mappings of column name to value. Mappings take the fast path
        (one statement per batch; no per-object flush bookkeeping).
        """
        items: builtins.list[Any] = builtins.list(rows)
        if not items:
            return []
        if all(type(item) is dict or isinstance(item, Mapping) for item in items):
            names = frozenset(_filters.column_names(self.model))
            for item in items:
                if not names.issuperset(item):
                    _filters.column(self.model, next(n for n in item if n not in names), role="add_many()")
            statement, in_given_order = ordered_insert(self.session, self.model, items)
            return in_given_order(builtins.list(self.session.scalars(statement, items)))
        for item in items:
            self._check_instance(item)
        self.session.add_all(items)
        self.session.flush()
        return items

    @translated
    def update(self, target: M | Any, values: Mapping[str, Any], *, expected_version: int | None = None) -> M:
        """Change the given columns of one row (an instance, or a primary key) and flush; return the row.

        On a versioned model the update is checked: if the row changed since it was read (or since
        ``expected_version``, when given), ``ConflictError`` is raised and nothing is written. An instance read
        in an earlier unit of work is looked up again here, and the row of this unit is changed and returned.
        """
        row = self._resolve(target)
        version = version_attribute(self.model)
        check_expected_version(self.model, row, expected_version)
        if not isinstance(values, Mapping):
            raise TypeError(f"update() takes a mapping of column name to new value, got {type(values).__name__}")
        for name, value in values.items():
            _filters.column(self.model, name, role="update()")
            if name == version:
                raise ValueError(f"{name!r} is the version column: dualio increments it, do not set it")
            setattr(row, name, value)
        self.session.flush()
        return row

    @translated
    def delete(self, target: M | Any) -> None:
        """Delete one row (an instance, or a primary key) and flush; ``NotFoundError`` if there is none."""
        row = self._resolve(target)
        self.session.delete(row)
        self.session.flush()

    @translated
    def delete_where(self, *conditions: ColumnElement[bool], where: _filters.Where = None) -> int:
        """Delete every row matching the filters and return how many; at least one filter is required.

        To empty the table on purpose, pass ``sqlalchemy.true()`` as the condition.
        """
        clauses = _filters.conditions(self.model, conditions, where)
        if not clauses:
            raise ValueError("delete_where() needs a filter; pass sqlalchemy.true() to delete every row")
        statement = delete(self.model).where(*clauses).execution_options(synchronize_session="fetch")
        result = self.session.execute(statement)
        return int(result.rowcount)  # type: ignore[attr-defined]

    @translated
    def upsert(
        self,
        values: Mapping[str, Any],
        *,
        conflict: Sequence[str] | None = None,
        update: Sequence[str] | None = None,
    ) -> M:
        """Insert a row, or update the existing one whose ``conflict`` columns match; return the row.

        One ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` statement (PostgreSQL and SQLite): race-safe, it
        never raises ``IntegrityError`` for the conflict it names. ``conflict`` defaults to the primary key and
        must be the columns of a unique constraint; ``update`` defaults to every other given column.
        """
        from ._dialects import upsert_statement

        statement = upsert_statement(self.session, self.model, values, conflict=conflict, update=update)
        row: M = self.session.scalars(statement.returning(self.model), execution_options=_POPULATE).one()
        return row

    @translated
    def get_or_create(self, lookup: Mapping[str, Any], defaults: Mapping[str, Any] | None = None) -> tuple[M, bool]:
        """Return ``(row, created)``: the row matching ``lookup``, inserted with ``defaults`` if there is none.

        Race-safe: ``INSERT ... ON CONFLICT DO NOTHING`` on the ``lookup`` columns (they must form a unique
        constraint), then a read if another unit of work inserted it first. Concurrent callers get the same row,
        exactly one of them with ``created=True``, and none gets an ``IntegrityError``.
        """
        from ._dialects import insert_if_absent_statement

        statement = insert_if_absent_statement(self.session, self.model, lookup, defaults or {})
        row = self.session.scalars(statement.returning(self.model), execution_options=_POPULATE).one_or_none()
        if row is not None:
            return row, True
        return self.get_one(where=lookup), False

    # -- search ----------------------------------------------------------------------------------------------

    @translated
    def nearest(
        self,
        vector: Sequence[float],
        k: int = 10,
        *,
        conditions: Sequence[ColumnElement[bool]] = (),
        where: _filters.Where = None,
        metric: Metric = "cosine",
        column: str | None = None,
        ef_search: int | None = None,
    ) -> builtins.list[tuple[M, float]]:
        """Return the ``k`` rows whose ``Vector`` column is nearest to ``vector``, with their distances, nearest first.

        ``metric`` is ``"cosine"`` (1 - cosine similarity) or ``"l2"`` (Euclidean). ``column`` names the vector
        column when the model has several. Filters narrow the candidates first. On PostgreSQL an HNSW index (see
        ``hnsw_index``) makes this approximate and fast; ``ef_search`` (default ``max(100, k)``) is set for this
        transaction only: higher is more exact and slower. On SQLite the search is exact.
        """
        from ._vector import distance, vector_column

        target = vector_column(self.model, column)
        size = count_argument("k", k)
        dialect = self.session.get_bind().dialect.name
        score = distance(target, vector, metric, dialect).label("distance")
        statement = select(self.model, score).where(*_filters.conditions(self.model, conditions, where))
        statement = statement.where(target.is_not(None)).order_by(score).limit(size)
        if dialect == "postgresql":
            search_width = max(100, size) if ef_search is None else count_argument("ef_search", ef_search)
            self.session.execute(_SET_EF_SEARCH, {"ef_search": str(search_width)})
        return [(row, float(d)) for row, d in self.session.execute(statement)]

    @translated
    def search(
        self,
        query: str,
        k: int = 20,
        *,
        conditions: Sequence[ColumnElement[bool]] = (),
        where: _filters.Where = None,
    ) -> builtins.list[tuple[M, float]]:
        """Return up to ``k`` rows matching the search-box text ``query``, best first, with their scores.

        Needs ``fulltext(Model, "column", ...)``. ``query`` takes words (all must match), ``"a phrase"``,
        ``-word`` and ``or``, on both databases; a blank query finds nothing. Scores are ``ts_rank`` on
        PostgreSQL and ``-bm25`` on SQLite: higher is better, comparable within one result only.
        """
        from ._fulltext import config_of, search_parts

        if not isinstance(query, str):
            raise TypeError(f"search() takes the query text as a str, got {type(query).__name__}")
        config = config_of(self.model)
        size = count_argument("k", k)
        parts = search_parts(config, query, self.session.get_bind().dialect.name)
        if parts is None or not re.search(r"\w", query):
            return []
        condition, score, join = parts
        labelled = score.label("score")
        statement = select(self.model, labelled)
        if join is not None:
            statement = statement.join(*join)
        statement = statement.where(condition, *_filters.conditions(self.model, conditions, where))
        statement = statement.order_by(labelled.desc()).limit(size)
        return [(row, float(s)) for row, s in self.session.execute(statement)]

    # -- helpers ---------------------------------------------------------------------------------------------

    def _select(
        self,
        conditions: Iterable[ColumnElement[bool]],
        where: _filters.Where,
        options: Sequence[ORMOption],
    ) -> Select[M]:
        statement: Select[M] = select(self.model).where(*_filters.conditions(self.model, conditions, where))
        if options:
            statement = statement.options(*options)
        return statement

    def _order_clauses(self, order_by: _filters.OrderBy) -> builtins.list[Any]:
        return [col.desc() if descending else col.asc() for col, descending in _filters.ordering(self.model, order_by)]

    def _resolve(self, target: M | Any) -> M:
        """Return the row of this unit's session that ``target`` (an instance or a primary key) stands for.

        An instance read by another (usually closed) unit is looked up again by its primary key; on a versioned
        model it must still be at the version it was read at, or ``ConflictError`` says it changed since.
        """
        if not isinstance(target, self.model):
            return self.get(target)
        state = inspect(target)
        identity = state.identity
        if state.session is self.session or identity is None:
            return target
        row = self.get(identity[0] if len(identity) == 1 else identity)
        version = version_attribute(self.model)
        if version is not None:
            check_expected_version(self.model, row, getattr(target, version))
        return row

    def _check_instance(self, row: object) -> None:
        if not isinstance(row, self.model):
            raise TypeError(f"{type(self).__name__} stores {self.model.__name__} rows, got {type(row).__name__}")

    def _describe(self, conditions: Sequence[ColumnElement[bool]], where: _filters.Where) -> str:
        parts = [str(condition) for condition in conditions] + [f"{k}={v!r}" for k, v in (where or {}).items()]
        return ", ".join(parts) or "no filter"


def count_argument(name: str, value: object) -> int:
    """Return ``value`` if it is a non-negative int; else raise ``ValueError`` naming the argument."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name}= must be a non-negative int, got {value!r}")
    return value
