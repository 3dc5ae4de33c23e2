"""Databases for the db tests: SQLite (a file) and the embedded PostgreSQL, each test rolled back afterwards."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from dualio.db import Database
from dualio.testing import rolled_back

from .models import Base


def fresh_schema(db: Database) -> Database:
    Base.metadata.drop_all(db.sync_engine)
    Base.metadata.create_all(db.sync_engine)
    return db


@pytest.fixture(scope="session")
def sqlite_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    db = fresh_schema(Database(f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'notes.db'}"))
    yield db
    db.dispose()


@pytest.fixture(scope="session")
def postgresql_database(dualio_postgres_url: str) -> Iterator[Database]:
    db = fresh_schema(Database(dualio_postgres_url))
    yield db
    db.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest) -> Iterator[Database]:
    """Each backend, bound to an outer transaction that is rolled back after the test."""
    database: Database = request.getfixturevalue(f"{request.param}_database")
    with rolled_back(database):
        yield database


@pytest.fixture(params=["sqlite", "postgresql"])
def committing_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """Each backend with real commits (for concurrency tests): a fresh schema, disposed after the test."""
    if request.param == "sqlite":
        database = Database(f"sqlite:///{tmp_path / 'concurrent.db'}")
    else:
        database = Database(request.getfixturevalue("dualio_postgres_url"))
    yield fresh_schema(database)
    fresh_schema(database)  # leave no committed rows: the PostgreSQL database is the one the other tests share
    database.dispose()


@pytest.fixture
def own_postgres(dualio_postgres_url: str) -> Iterator[Callable[..., Database]]:
    """Make ``Database(dualio_postgres_url, **options)`` with a fresh schema; emptied and disposed after the test.

    For tests that commit for real: what they leave would otherwise be seen by the tests that share the server.
    """
    made: list[Database] = []

    def make(**options: Any) -> Database:
        made.append(fresh_schema(Database(dualio_postgres_url, **options)))
        return made[-1]

    yield make
    for database in made:
        fresh_schema(database)
        database.dispose()
