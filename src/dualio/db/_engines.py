"""From one database URL and a few production options to a sync engine and async engines.

PostgreSQL: psycopg 3 for both faces (``postgresql://``), or asyncpg for the async face when the URL names it
(``postgresql+asyncpg://``). Every connection gets a ``statement_timeout`` and an
``idle_in_transaction_session_timeout``.

SQLite: sqlite3 for the sync face. The async face runs the same sync session in a worker thread, one hop per
repository call (``thread`` driver), unless the URL names aiosqlite (``sqlite+aiosqlite://``), which hops once
per statement. Connections use WAL (files), foreign keys on, a busy timeout, and SQLAlchemy's own ``BEGIN`` so
that savepoints work; transactions begin IMMEDIATE (taking the write lock up front, waiting for it) unless
``sqlite_begin="deferred"``. ``sqlite://`` is an in-memory database shared by both faces of one ``Database``.
"""

from __future__ import annotations

import itertools
import math
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import QueuePool

from . import _sqlite

Backend = Literal["postgresql", "sqlite"]
AsyncDriverKind = Literal["greenlet", "thread"]

_memory_names = itertools.count()


_OWN_ENGINE_ARGUMENTS = frozenset(
    {"pool_size", "max_overflow", "pool_timeout", "pool_recycle", "pool_pre_ping", "echo", "poolclass", "creator"}
)


@dataclass(frozen=True)
class Options:
    """Engine options; each has a production default and can be overridden in ``Database(url, ...)``."""

    pool_size: int = 5
    max_overflow: int = 10
    pool_timeout: float = 30.0
    pool_recycle: float = 1800.0
    pool_pre_ping: bool = True
    statement_timeout: float | None = 30.0
    idle_in_transaction_timeout: float | None = 60.0
    busy_timeout: float = 5.0
    sqlite_begin: Literal["immediate", "deferred"] = "immediate"
    sqlite_inline_budget: float = 0.002
    echo: bool = False
    engine_options: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("pool_size", "max_overflow"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name}= must be a non-negative int, got {value!r}")
        for name in (
            "pool_timeout",
            "pool_recycle",
            "busy_timeout",
            "sqlite_inline_budget",
            "statement_timeout",
            "idle_in_transaction_timeout",
        ):
            value = getattr(self, name)
            if value is None and name.endswith("timeout") and name not in ("pool_timeout", "busy_timeout"):
                continue
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
                raise ValueError(f"{name}= must be a finite, non-negative number of seconds, got {value!r}")
        if self.sqlite_inline_budget > 1:
            raise ValueError(
                f"sqlite_inline_budget= is how long a read may hold the event loop, at most 1 s (a few ms is usual; 0 "
                f"turns reads in place off), got {self.sqlite_inline_budget!r}"
            )
        if self.sqlite_begin not in ("immediate", "deferred"):
            raise ValueError(f"sqlite_begin= is 'immediate' or 'deferred', got {self.sqlite_begin!r}")
        if not isinstance(self.engine_options, dict):
            raise TypeError(f"engine_options= takes a dict, got {type(self.engine_options).__name__}")
        clashes = sorted(set(self.engine_options) & _OWN_ENGINE_ARGUMENTS)
        if clashes:
            raise ValueError(
                f"engine_options= must not set {', '.join(clashes)}: Database sets it; pass pool_size=, "
                "max_overflow=, pool_timeout=, pool_recycle=, pool_pre_ping= or echo= to Database itself "
                "(connect_args in engine_options are merged with dualio's own)"
            )


@dataclass(frozen=True)
class Target:
    """Where a ``Database`` points and how each face reaches it."""

    backend: Backend
    sync_url: URL
    async_url: URL | None  # None: the async face runs the sync engine in worker threads
    memory: bool

    @property
    def async_driver(self) -> AsyncDriverKind:
        return "thread" if self.async_url is None else "greenlet"


def parse_url(url: object) -> Target:
    """Read a database URL; raise ``ValueError`` (or ``TypeError``) saying what is supported when it is not."""
    parsed: URL
    if isinstance(url, URL):
        parsed = url
    elif isinstance(url, str) and url.strip():
        try:
            parsed = make_url(url.strip())
        except ArgumentError:
            raise ValueError(f"{url!r} is not a database URL; expected postgresql://... or sqlite:///path") from None
    else:
        raise TypeError(f"Database() takes a URL string such as 'sqlite:///app.db', got {url!r}")
    backend, _, driver = parsed.drivername.partition("+")
    if backend in ("postgresql", "postgres"):
        if driver not in ("", "psycopg", "asyncpg"):
            raise ValueError(
                f"PostgreSQL driver {driver!r} is not supported; use postgresql:// (psycopg 3) or +asyncpg"
            )
        sync_url = parsed.set(drivername="postgresql+psycopg")
        async_url = parsed.set(drivername="postgresql+asyncpg" if driver == "asyncpg" else "postgresql+psycopg")
        return Target("postgresql", sync_url, async_url, memory=False)
    if backend == "sqlite":
        if driver not in ("", "pysqlite", "aiosqlite"):
            raise ValueError(f"SQLite driver {driver!r} is not supported; use sqlite:///path or sqlite+aiosqlite:///")
        memory = parsed.database in (None, "", ":memory:")
        if memory and driver == "aiosqlite":
            raise ValueError("an in-memory database cannot be shared with aiosqlite; use sqlite:// (no driver)")
        sync_url = parsed.set(drivername="sqlite+pysqlite")
        aiosqlite_url = parsed.set(drivername="sqlite+aiosqlite") if driver == "aiosqlite" else None
        return Target("sqlite", sync_url, aiosqlite_url, memory=memory)
    raise ValueError(f"dualio.db supports PostgreSQL and SQLite; {parsed.drivername!r} is neither")


def _postgres_options(options: Options) -> str:
    settings = {
        "statement_timeout": options.statement_timeout,
        "idle_in_transaction_session_timeout": options.idle_in_transaction_timeout,
    }
    return " ".join(f"-c {name}={int(seconds * 1000)}" for name, seconds in settings.items() if seconds is not None)


def _common_arguments(options: Options) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split ``engine_options`` into engine arguments (with ``echo``) and extra driver ``connect_args``."""
    common = {"echo": options.echo, **options.engine_options}
    extra_connect_args: dict[str, Any] = dict(common.pop("connect_args", None) or {})
    return common, extra_connect_args


def _pool_arguments(options: Options) -> dict[str, Any]:
    return {
        "pool_size": options.pool_size,
        "max_overflow": options.max_overflow,
        "pool_timeout": options.pool_timeout,
        "pool_recycle": options.pool_recycle,
        "pool_pre_ping": options.pool_pre_ping,
    }


def _configure_sqlite(engine: Engine, options: Options, *, file: str | None) -> None:
    take_turns = options.sqlite_begin == "immediate"
    event.listen(
        engine, "connect", _sqlite.on_connect(file=file, busy_timeout=options.busy_timeout, take_turns=take_turns)
    )
    event.listen(
        engine, "begin", _sqlite.on_begin(f"BEGIN {options.sqlite_begin.upper()}", busy_timeout=options.busy_timeout)
    )
    event.listen(engine, "before_cursor_execute", _sqlite.note_writes)


def make_sync_engine(target: Target, options: Options) -> tuple[Engine, sqlite3.Connection | None]:
    """Create the sync engine; for in-memory SQLite also return the connection that keeps the database alive."""
    common, extra_connect_args = _common_arguments(options)
    if target.backend == "postgresql":
        engine = create_engine(
            target.sync_url,
            connect_args={"options": _postgres_options(options), **extra_connect_args},
            **_pool_arguments(options),
            **common,
        )
        return engine, None
    if target.memory:
        # One named in-memory database shared by this Database's connections; the keeper holds it open. One
        # connection at a time (pool of one) avoids shared-cache table locks: units of work take turns.
        uri = f"file:dualio-memory-{next(_memory_names)}?mode=memory&cache=shared"
        keeper = sqlite3.connect(uri, uri=True, check_same_thread=False)

        def connect() -> sqlite3.Connection:
            return sqlite3.connect(uri, uri=True, check_same_thread=False, timeout=options.busy_timeout)

        engine = create_engine(
            "sqlite+pysqlite://",
            creator=connect,
            poolclass=QueuePool,
            pool_size=1,
            max_overflow=0,
            pool_timeout=options.pool_timeout,
            **common,
        )
        _configure_sqlite(engine, options, file=None)
        return engine, keeper
    engine = create_engine(
        target.sync_url,
        connect_args={
            "check_same_thread": False,
            "timeout": options.busy_timeout,
            "factory": _sqlite.TurnTakingConnection,
            **extra_connect_args,
        },
        poolclass=QueuePool,
        **_pool_arguments(options),
        **common,
    )
    _configure_sqlite(engine, options, file=str(Path(target.sync_url.database or "").resolve()))
    return engine, None


def make_async_engine(target: Target, options: Options) -> AsyncEngine:
    """Create an async engine (call once per event loop); only for targets with an async URL."""
    assert target.async_url is not None
    common, extra_connect_args = _common_arguments(options)
    if target.backend == "postgresql":
        if target.async_url.drivername.endswith("asyncpg"):
            settings = {
                name: str(int(seconds * 1000))
                for name, seconds in (
                    ("statement_timeout", options.statement_timeout),
                    ("idle_in_transaction_session_timeout", options.idle_in_transaction_timeout),
                )
                if seconds is not None
            }
            connect_args: dict[str, Any] = {"server_settings": settings, **extra_connect_args}
        else:
            connect_args = {"options": _postgres_options(options), **extra_connect_args}
        return create_async_engine(target.async_url, connect_args=connect_args, **_pool_arguments(options), **common)
    engine = create_async_engine(
        target.async_url,
        connect_args={"timeout": options.busy_timeout, **extra_connect_args},
        **_pool_arguments(options),
        **common,
    )
    _configure_sqlite(engine.sync_engine, options, file=str(Path(target.async_url.database or "").resolve()))
    return engine
