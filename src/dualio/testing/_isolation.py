"""Per-test isolation: every session of a ``Database`` joins an outer transaction that is rolled back afterwards.

Inside ``rolled_back(db)``, units of work on both faces run as usual (their commits become savepoint releases)
and nothing they write survives the block. The async face is bound to a connection on the default portal's loop,
so run async test bodies there (``dualio.run``, or the ``face`` fixture) rather than in a loop of their own.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncTransaction

import dualio
from dualio.db import Database


async def _begin_async(db: Database) -> tuple[AsyncConnection, AsyncTransaction]:
    engine = await db.async_engine()
    connection = await engine.connect()
    transaction = await connection.begin()
    return connection, transaction


async def _end_async(connection: AsyncConnection, transaction: AsyncTransaction) -> None:
    try:
        await transaction.rollback()
    finally:
        await connection.close()


@contextmanager
def rolled_back(db: Database) -> Iterator[Database]:
    """Bind ``db``'s sync and async faces to outer transactions; roll them back (and unbind) at the end.

    Not reentrant, and not for tests that need real commits seen by other connections (concurrency tests):
    give those a database of their own.
    """
    if db._sync_bind is not None or db._async_bind is not None:
        raise RuntimeError(f"{db!r} is already inside rolled_back(); it does not nest")
    connection = db.sync_engine.connect()
    transaction = connection.begin()
    async_parts: tuple[AsyncConnection, AsyncTransaction] | None = None
    try:
        if db.target.async_driver == "greenlet":
            async_parts = dualio.run(_begin_async(db))
            db._async_bind = async_parts[0]
        db._sync_bind = connection
        yield db
    finally:
        db._sync_bind = None
        db._async_bind = None
        try:
            if async_parts is not None:
                dualio.run(_end_async(*async_parts))
        finally:
            transaction.rollback()
            connection.close()
