"""Full-text search over a model's text columns: PostgreSQL ``tsvector`` ranking, SQLite FTS5.

Declare it once after the model: ``fulltext(Note, "title", "body")``. On PostgreSQL that adds a GIN index on
``to_tsvector(language, title || ' ' || body)`` and searches with ``websearch_to_tsquery`` ranked by
``ts_rank``. On SQLite it creates an FTS5 table kept in step with the model's table by triggers (both made with
the table by ``metadata.create_all`` or a migration) and ranks by ``bm25``. ``Repository.search(text)`` uses it.

The query text is what people type in a search box, on both databases: words (all must match), ``"a phrase"``,
``-word`` to exclude, ``or`` between alternatives. It is never SQL, and never FTS5 syntax either: it is parsed and
bound.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import DDL, Float, Index, Table, event, func, literal_column, text
from sqlalchemy import table as table_clause
from sqlalchemy.sql.elements import ColumnElement

from . import _filters

_INFO_KEY = "dualio_fulltext"
_TOKENS = re.compile(r'(-?)"([^"]*)"|(\S+)')


@dataclass(frozen=True)
class FullText:
    """The full-text configuration of one table."""

    table: Table
    columns: tuple[str, ...]
    language: str

    @property
    def fts_table(self) -> str:
        return f"{self.table.name}_fts"

    def document(self) -> ColumnElement[Any]:
        """The PostgreSQL ``tsvector`` of the searched columns."""
        joined = func.concat_ws(" ", *(self.table.c[name] for name in self.columns))
        return func.to_tsvector(literal_column(f"'{self.language}'::regconfig"), joined)


def fulltext(model: type[Any], *columns: str, language: str = "english") -> FullText:
    """Make ``columns`` of ``model`` searchable with ``Repository.search()``; call once, after the model.

    ``language`` is a PostgreSQL text-search configuration (``english``, ``simple``, ...; SQLite uses FTS5's
    ``unicode61`` tokenizer). On SQLite the model needs an integer primary key (FTS5's rowid).
    """
    if not columns:
        raise ValueError("fulltext() needs the names of the text columns to search")
    for name in columns:
        _filters.column(model, name, role="fulltext()")
    if not re.fullmatch(r"[a-z_]+", language):
        raise ValueError(f"language= is a text-search configuration name such as 'english', got {language!r}")
    table: Table = model.__table__
    if _INFO_KEY in table.info:
        raise ValueError(f"fulltext() was already declared for {table.name}")
    config = FullText(table, tuple(table.c[getattr(model, n).key].name for n in columns), language)
    table.info[_INFO_KEY] = config
    Index(f"{table.name}_fulltext", config.document(), postgresql_using="gin").ddl_if(dialect="postgresql")
    for statement in _sqlite_ddl(config):
        ddl = DDL(statement)  # type: ignore[no-untyped-call]
        event.listen(table, "after_create", ddl.execute_if(dialect="sqlite"))
    drop = DDL(f"DROP TABLE IF EXISTS {config.fts_table}")  # type: ignore[no-untyped-call]
    event.listen(table, "before_drop", drop.execute_if(dialect="sqlite"))
    return config


def _sqlite_ddl(config: FullText) -> list[str]:
    (key,) = [column.name for column in config.table.primary_key.columns]
    table, fts, cols = config.table.name, config.fts_table, ", ".join(config.columns)
    new = ", ".join(f"new.{c}" for c in config.columns)
    old = ", ".join(f"old.{c}" for c in config.columns)
    return [
        f"CREATE VIRTUAL TABLE {fts} USING fts5({cols}, content='{table}', content_rowid='{key}')",
        f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {table} BEGIN "
        f"INSERT INTO {fts}(rowid, {cols}) VALUES (new.{key}, {new}); END",
        f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {table} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.{key}, {old}); END",
        f"CREATE TRIGGER {fts}_au AFTER UPDATE ON {table} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.{key}, {old}); "
        f"INSERT INTO {fts}(rowid, {cols}) VALUES (new.{key}, {new}); END",
    ]


def config_of(model: type[Any]) -> FullText:
    """Return the full-text configuration of ``model``; ``ValueError`` if ``fulltext()`` was not declared."""
    config: FullText | None = model.__table__.info.get(_INFO_KEY)
    if config is None:
        raise ValueError(f"{model.__name__} is not searchable: declare fulltext({model.__name__}, 'column', ...)")
    return config


def fts5_query(query: str) -> str:
    """Translate search-box text into an FTS5 query where every term is a quoted string (so never FTS5 syntax)."""
    groups: list[list[str]] = [[]]
    excluded: list[str] = []
    for match in _TOKENS.finditer(query):
        negated, phrase, word = match.group(1), match.group(2), match.group(3)
        if word is not None and word.lower() == "or":
            groups.append([])
            continue
        if word is not None and word.startswith("-") and len(word) > 1:
            negated, word = "-", word[1:]
        term = phrase if phrase is not None else word
        terms = re.findall(r"\w+", term or "")
        if not terms:
            continue
        quoted = '"' + " ".join(terms) + '"'
        (excluded if negated else groups[-1]).append(quoted)
    alternatives = [" AND ".join(group) for group in groups if group]
    if not alternatives:
        return ""
    expression = " OR ".join(f"({a})" for a in alternatives)
    for term in excluded:
        expression = f"({expression}) NOT {term}"
    return expression


def search_parts(config: FullText, query: str, dialect: str) -> tuple[Any, ColumnElement[float], Any | None] | None:
    """Return ``(condition, score, join)`` for a search (higher score is better; ``join`` is SQLite's FTS table),
    or None when the text holds nothing to search for (only punctuation, or only exclusions)."""
    if dialect == "postgresql":
        tsquery = func.websearch_to_tsquery(literal_column(f"'{config.language}'::regconfig"), query)
        document = config.document()
        return document.op("@@")(tsquery), func.ts_rank(document, tsquery, type_=Float), None
    expression = fts5_query(query)
    if not expression:
        return None
    (key,) = list(config.table.primary_key.columns)
    fts = table_clause(config.fts_table)
    condition = text(f"{config.fts_table} MATCH :dualio_fts_query").bindparams(dualio_fts_query=expression)
    score = -literal_column(f"bm25({config.fts_table})", type_=Float)
    join = (fts, key == literal_column(f"{config.fts_table}.rowid"))
    return condition, score, join
