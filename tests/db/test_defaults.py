"""The production defaults reach every connection, on both faces; options override them."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import text

from dualio.db import Database

from .models import Notebook


def settings(db: Database, names: list[str]) -> tuple[list[str], list[str]]:
    """Read ``names`` (SHOW or PRAGMA statements) on the sync face and on the async face."""

    def read(uow: Notebook) -> list[str]:
        return [str(uow.session.execute(text(name)).scalar()) for name in names]

    sync_values = db.transaction(Notebook, read)
    async_values = asyncio.run(db.atransaction(Notebook, read))
    return sync_values, async_values


def test_postgresql_timeouts_on_both_faces(dualio_postgres_url: str) -> None:
    names = ["SHOW statement_timeout", "SHOW idle_in_transaction_session_timeout"]
    default = Database(dualio_postgres_url)
    assert settings(default, names) == (["30s", "1min"], ["30s", "1min"])
    default.dispose()
    tuned = Database(
        dualio_postgres_url.replace("postgresql", "postgresql+asyncpg"),
        statement_timeout=2.5,
        idle_in_transaction_timeout=None,
    )
    assert settings(tuned, names) == (["2500ms", "0"], ["2500ms", "0"])
    tuned.dispose()


def test_sqlite_pragmas_on_both_faces(tmp_path: Path) -> None:
    names = ["PRAGMA journal_mode", "PRAGMA foreign_keys", "PRAGMA busy_timeout"]
    for url in (f"sqlite:///{tmp_path / 'a.db'}", f"sqlite+aiosqlite:///{tmp_path / 'b.db'}"):
        db = Database(url, busy_timeout=2)
        assert settings(db, names) == (["wal", "1", "2000"], ["wal", "1", "2000"])
        db.dispose()


def test_pool_options_reach_the_engine(dualio_postgres_url: str) -> None:
    db = Database(dualio_postgres_url, pool_size=3, max_overflow=1, pool_timeout=4, pool_recycle=60)
    pool = db.sync_engine.pool
    assert (pool.size(), pool._max_overflow, pool._timeout, pool._recycle, pool._pre_ping) == (  # type: ignore[attr-defined]
        3,
        1,
        4,
        60,
        True,
    )
    db.dispose()
