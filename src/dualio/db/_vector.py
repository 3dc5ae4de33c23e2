"""``Vector(dim)``: an embedding column that is pgvector on PostgreSQL and a float32 blob on SQLite.

On PostgreSQL the column is ``vector(dim)`` (the ``vector`` extension must exist: ``CREATE EXTENSION vector``), and
``hnsw_index`` declares an HNSW index for approximate nearest-neighbour search. On SQLite the vector is stored as
packed float32 and searched exactly, with distance functions that dualio registers on every connection.
``Repository.nearest()`` uses both.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence
from typing import Any, Literal

from sqlalchemy import Float, Index, LargeBinary, func
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeDecorator, TypeEngine

Metric = Literal["cosine", "l2"]
METRICS: tuple[Metric, ...] = ("cosine", "l2")
_PG_OPERATORS = {"cosine": "<=>", "l2": "<->"}
_PG_OPCLASSES = {"cosine": "vector_cosine_ops", "l2": "vector_l2_ops"}
SQLITE_FUNCTIONS = {"cosine": "dualio_cosine_distance", "l2": "dualio_l2_distance"}


class Vector(TypeDecorator[list[float]]):
    """A fixed-dimension vector of floats (an embedding); reads back as ``list[float]``.

    Values may be any sequence of numbers (a list, a tuple, a NumPy array) of exactly ``dim`` finite items;
    anything else is a ``ValueError`` naming the column's dimension.
    """

    impl = LargeBinary
    cache_ok = True

    def __init__(self, dim: int) -> None:
        if isinstance(dim, bool) or not isinstance(dim, int) or not 1 <= dim <= 16000:
            raise ValueError(f"Vector(dim) takes the number of dimensions, an int from 1 to 16000, got {dim!r}")
        super().__init__()
        self.dim = dim
        self._packer = struct.Struct(f"<{dim}f")

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            from pgvector.sqlalchemy import VECTOR

            return dialect.type_descriptor(VECTOR(self.dim))
        return dialect.type_descriptor(LargeBinary())

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        values = value if type(value) is _Checked and len(value) == self.dim else self.validate(value)
        if dialect.name == "postgresql":
            return values
        return self._packer.pack(*values)

    def process_result_value(self, value: Any, dialect: Dialect) -> list[float] | None:
        if value is None:
            return None
        if dialect.name == "postgresql":
            return value if type(value) is list else [float(x) for x in value]  # pgvector gives a list of floats
        return list(self._packer.unpack(value))

    def validate(self, value: object) -> list[float]:
        """Return ``value`` as a list of floats; raise ``ValueError`` if it is not a vector of this dimension."""
        if isinstance(value, str | bytes) or not hasattr(value, "__len__") or not hasattr(value, "__iter__"):
            raise ValueError(
                f"a Vector({self.dim}) value is a sequence of {self.dim} numbers, got {type(value).__name__}"
            )
        to_list = getattr(value, "tolist", None)  # a NumPy array: one C call instead of a float() per item
        try:
            values = _Checked(map(float, to_list() if callable(to_list) else value))
        except (TypeError, ValueError):
            raise ValueError(f"a Vector({self.dim}) value holds numbers only, got {_describe(value)}") from None
        if len(values) != self.dim:
            raise ValueError(f"a Vector({self.dim}) value needs {self.dim} numbers, got {len(values)}")
        # One sum instead of a test per item; a sum can overflow with finite items, so look closer before refusing.
        if not math.isfinite(sum(values)) and not all(math.isfinite(x) for x in values):
            raise ValueError(f"a Vector({self.dim}) value must hold finite numbers (no NaN or infinity)")
        return values


class _Checked(list[float]):
    """A vector ``Vector.validate`` has already checked (so a query vector is not converted twice)."""

    __slots__ = ()


def _describe(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def hnsw_index(name: str, column: Any, *, metric: Metric = "cosine", m: int = 16, ef_construction: int = 64) -> Index:
    """Declare an HNSW index on a ``Vector`` column, created on PostgreSQL only (SQLite searches exactly).

    Use one index per metric you search with; ``m`` and ``ef_construction`` are pgvector's build parameters.
    Put it in the model's ``__table_args__`` or call it after the model is defined.
    """
    if metric not in METRICS:
        raise ValueError(f"metric= must be one of {METRICS}, got {metric!r}")
    index = Index(
        name,
        column,
        postgresql_using="hnsw",
        postgresql_with={"m": m, "ef_construction": ef_construction},
        postgresql_ops={column.key if hasattr(column, "key") else str(column): _PG_OPCLASSES[metric]},
    )
    return index.ddl_if(dialect="postgresql")


def vector_column(model: type[Any], name: str | None) -> Any:
    """Return the ``Vector`` column attribute of ``model`` (the one named ``name`` when given)."""
    from sqlalchemy import inspect

    from . import _filters

    if name is not None:
        attribute = _filters.column(model, name, role="column=")
        if not isinstance(attribute.type, Vector):
            raise ValueError(f"{model.__name__}.{name} is not a Vector column")
        return attribute
    only = _ONLY_VECTOR_COLUMNS.get(model)
    if only is None:
        found = [attr.key for attr in inspect(model).column_attrs if isinstance(attr.columns[0].type, Vector)]
        if len(found) != 1:
            raise ValueError(
                f"{model.__name__} has {len(found)} Vector columns ({', '.join(found) or 'none'}); name one with "
                "column="
            )
        only = _ONLY_VECTOR_COLUMNS[model] = getattr(model, found[0])
    return only


_ONLY_VECTOR_COLUMNS: dict[type[Any], Any] = {}  # a model's one Vector column, looked up once


def distance(column: Any, query: Sequence[float], metric: Metric, dialect_name: str) -> ColumnElement[float]:
    """Return the SQL expression of the distance from ``column`` to ``query`` under ``metric``."""
    if metric not in METRICS:
        raise ValueError(f"metric= must be one of {METRICS}, got {metric!r}")
    vector_type: Vector = column.type
    literal = _bound(query, vector_type)
    if dialect_name == "postgresql":
        expression: ColumnElement[float] = column.op(_PG_OPERATORS[metric], return_type=Float)(literal)
        return expression
    return getattr(func, SQLITE_FUNCTIONS[metric])(column, literal, type_=Float)  # type: ignore[no-any-return]


def _bound(query: Sequence[float], vector_type: Vector) -> Any:
    from sqlalchemy import bindparam

    return bindparam(None, vector_type.validate(query), type_=vector_type)


# -- SQLite distance functions, registered on every SQLite connection ----------------------------------------


def _unpack(blob: bytes) -> tuple[float, ...]:
    return struct.unpack(f"<{len(blob) // 4}f", blob)


def _cosine_distance(a: bytes | None, b: bytes | None) -> float | None:
    if a is None or b is None:
        return None
    x, y = _unpack(a), _unpack(b)
    dot = math.fsum(p * q for p, q in zip(x, y, strict=True))
    norms = math.sqrt(math.fsum(p * p for p in x)) * math.sqrt(math.fsum(q * q for q in y))
    return 1.0 - dot / norms if norms else None


def _l2_distance(a: bytes | None, b: bytes | None) -> float | None:
    if a is None or b is None:
        return None
    return math.dist(_unpack(a), _unpack(b))


def register_sqlite_functions(dbapi_connection: Any) -> None:
    """Register the vector distance functions on a sqlite3 (or aiosqlite-adapted) connection."""
    dbapi_connection.create_function(SQLITE_FUNCTIONS["cosine"], 2, _cosine_distance, deterministic=True)
    dbapi_connection.create_function(SQLITE_FUNCTIONS["l2"], 2, _l2_distance, deterministic=True)
