"""SQLite connection set-up: pragmas, SQLAlchemy's own BEGIN, and writers taking turns inside the process.

Transactions begin IMMEDIATE by default: the write lock up front. A deferred transaction that has read and then
writes cannot wait for the lock: SQLite refuses the upgrade at once ("database is locked") when another writer
committed meanwhile (Django 5.1 and Rails 7.1 chose IMMEDIATE for the same reason). Waiting for the lock is
SQLite's busy handler, which sleeps in steps of up to 100 ms: with many writers in one process, the lock is
handed on slowly. So within a process, connections to one database file also take turns on a ``threading.Lock``
(held from BEGIN to COMMIT or ROLLBACK): the next writer starts the moment the last one ends. Other processes
still meet the busy timeout.

Each connection also records whether its open transaction may have written (any statement but a ``SELECT`` since
``BEGIN``): ending a transaction that has not is quick work without I/O, which the async face does on the loop
instead of hopping to its worker thread for it (see ``ends_without_io``).
"""

from __future__ import annotations

import re
import sqlite3
import threading
from typing import Any

from sqlalchemy.orm import Session

from . import _inline
from ._vector import register_sqlite_functions

_turn_locks: dict[str, threading.Lock] = {}
_WROTE = "dualio_sqlite_wrote"  # key in Connection.info: False from BEGIN until a statement that may write
_READ_ONLY = re.compile(r"\s*SELECT\b", re.IGNORECASE)
_registry_lock = threading.Lock()


def _turn_lock(database: str) -> threading.Lock:
    with _registry_lock:
        return _turn_locks.setdefault(database, threading.Lock())


class TurnTakingConnection(sqlite3.Connection):
    """A sqlite3 connection that holds its database's in-process writer lock from BEGIN to COMMIT/ROLLBACK."""

    _turn: threading.Lock | None = None
    _turn_timeout: float = 5.0
    _holding_turn = False

    def take_turn(self) -> None:
        """Wait (up to the busy timeout) for this database's other connections in the process to end theirs."""
        if self._turn is not None and not self._holding_turn:
            # On timeout, go on anyway: BEGIN IMMEDIATE then waits on SQLite's own lock and reports a clear error.
            self._holding_turn = self._turn.acquire(timeout=self._turn_timeout)

    def try_turn(self) -> bool:
        """Take this database's turn if it is free, without waiting; return whether this connection holds it."""
        if self._turn is not None and not self._holding_turn:
            self._holding_turn = self._turn.acquire(blocking=False)
        return self._turn is None or self._holding_turn

    def _end_turn(self) -> None:
        if self._holding_turn:
            self._holding_turn = False
            assert self._turn is not None
            self._turn.release()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._end_turn()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._end_turn()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._end_turn()


def on_connect(*, file: str | None, busy_timeout: float, take_turns: bool) -> Any:
    """Return the ``connect`` event handler for SQLite connections (``file`` None: in memory)."""

    def set_up(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself (see on_begin)
        cursor = dbapi_connection.cursor()
        try:
            if file is not None:
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        finally:
            cursor.close()
        register_sqlite_functions(dbapi_connection)
        if isinstance(dbapi_connection, sqlite3.Connection):  # not aiosqlite's adapter
            dbapi_connection.set_progress_handler(_inline.past_budget, _inline.PROGRESS_STEPS)
        if take_turns and file is not None and isinstance(dbapi_connection, TurnTakingConnection):
            dbapi_connection._turn = _turn_lock(file)
            dbapi_connection._turn_timeout = busy_timeout

    return set_up


def on_begin(statement: str, *, busy_timeout: float) -> Any:
    """Return the ``begin`` event handler: take this process's turn, then emit ``statement`` (``BEGIN ...``).

    For a read run in place on the loop's thread (see ``_inline``), nothing may wait: the turn is only taken if
    free, and ``BEGIN`` runs with the busy timeout at zero; either failing aborts the attempt.
    """
    restore_busy_timeout = f"PRAGMA busy_timeout={int(busy_timeout * 1000)}"
    deferred = statement.upper().endswith("DEFERRED")

    def begin(connection: Any) -> None:
        dbapi_connection = connection.connection.dbapi_connection
        connection.info[_WROTE] = None  # the last transaction's flag must not judge this BEGIN
        if not _inline.in_place():
            if isinstance(dbapi_connection, TurnTakingConnection):
                dbapi_connection.take_turn()
            connection.exec_driver_sql(statement)
        else:
            _begin_without_waiting(connection, dbapi_connection, statement, deferred, restore_busy_timeout)
        connection.info[_WROTE] = False

    return begin


def _begin_without_waiting(
    connection: Any, dbapi_connection: Any, statement: str, deferred: bool, restore_busy_timeout: str
) -> None:
    if isinstance(dbapi_connection, TurnTakingConnection) and not dbapi_connection.try_turn():
        _inline.abort()
        raise _inline.Aborted("another connection of this process holds the write turn")
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA busy_timeout=0")
        try:
            connection.exec_driver_sql(statement)
            if deferred:  # take the read snapshot now, while a lock that is held makes it fail rather than wait
                cursor.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
        except BaseException:  # locked, most likely; whatever it was, the worker thread tries again and reports it
            _inline.abort()
            raise
        finally:
            cursor.execute(restore_busy_timeout)
    finally:
        cursor.close()


def note_writes(connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
    """``before_cursor_execute`` handler: mark the open transaction as written unless ``statement`` is a SELECT.

    Conservative: ``WITH``, ``PRAGMA`` and the like count as writes.
    """
    info = connection.info
    if info.get(_WROTE) is False and _READ_ONLY.match(statement) is None:
        if _inline.in_place():  # a function marked @reads that writes: run it in its worker thread instead
            _inline.abort()
            raise _inline.Aborted(f"not a SELECT: {statement[:40]!r}")
        info[_WROTE] = True


def ends_without_io(session: Session) -> bool:
    """Whether ending ``session`` (commit or rollback, then close) needs no database I/O.

    True when nothing waits to be flushed and its transaction has run only SELECTs since BEGIN (then COMMIT just
    releases locks, without waiting). When unsure (a connection not set up by dualio), False.
    """
    if session.new or session.deleted or session.dirty:
        return False  # committing would flush them first
    transaction = session.get_transaction()
    if transaction is None:
        return True
    connections = getattr(transaction, "_connections", None)  # SQLAlchemy's record of the transaction's connections
    if not isinstance(connections, dict):
        return False
    return all(entry[0].info.get(_WROTE) is False for entry in connections.values())
