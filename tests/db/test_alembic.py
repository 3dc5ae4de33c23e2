"""The Alembic files of docs/db.md (2.9) migrate real databases: SQLite and a fresh PostgreSQL database.

The files are read from the guide itself (``alembic.ini``, ``migrations/env.py``, its async variant and the first
migration), so the guide and this test cannot drift apart. ``alembic upgrade head`` runs in-process, the way the
``alembic`` command runs it; the migrated schema must match the models (``alembic check``) and serve both faces.
"""

from __future__ import annotations

import asyncio
import io
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from alembic.util.exc import CommandError
from sqlalchemy import create_engine, inspect, text

from .test_db_docs import FILES, example_directory, fresh_postgres_database


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrated.db'}"
        return
    with fresh_postgres_database(request.getfixturevalue("dualio_postgres_url")) as url:
        yield url


def alembic_config(directory: Path, *, output: io.StringIO | None = None) -> Config:
    return Config(str(directory / "alembic.ini"), output_buffer=output)


def inspect_schema(url: str) -> tuple[set[str], set[str], str | None]:
    """Return the tables, the installed extensions (PostgreSQL) and the Alembic revision of a database."""
    sync_url = url.replace("sqlite+aiosqlite", "sqlite").replace("+asyncpg", "+psycopg")
    if sync_url.startswith("postgresql://"):
        sync_url = sync_url.replace("postgresql://", "postgresql+psycopg://", 1)
    engine = create_engine(sync_url)
    try:
        with engine.connect() as connection:
            tables = set(inspect(connection).get_table_names())
            extensions: set[str] = set()
            if engine.dialect.name == "postgresql":
                extensions = set(connection.execute(text("SELECT extname FROM pg_extension")).scalars())
            revision = None
            if "alembic_version" in tables:
                revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        engine.dispose()
    return tables, extensions, revision


def use_both_faces(directory: Path) -> list[str]:
    """Write through the tutorial's use case on both faces of the migrated database; return the titles."""
    notebook: Any = __import__("notebook")
    notebook.db.transaction(notebook.Notebook, notebook.add_note, "sync", "", "migrated")

    async def on_the_async_face() -> list[str]:
        await notebook.db.atransaction(notebook.Notebook, notebook.add_note, "async", "", "migrated")
        async with notebook.db.async_unit_of_work(notebook.Notebook) as uow:
            titles = [n.title for n in await uow.notes.list(order_by="title")]
        await notebook.db.adispose()
        return titles

    return asyncio.run(on_the_async_face())


def test_the_guide_has_the_alembic_files() -> None:
    assert {"alembic.ini", "migrations/env.py", "migrations/env_async.py"} <= set(FILES)
    assert any(path.startswith("migrations/versions/") for path in FILES)


def test_upgrade_check_use_and_downgrade(database_url: str, tmp_path: Path) -> None:
    with example_directory(tmp_path, database_url):
        config = alembic_config(tmp_path)
        command.upgrade(config, "head")
        tables, extensions, revision = inspect_schema(database_url)
        assert {"projects", "notes", "alembic_version"} <= tables
        assert revision == "0001"
        if database_url.startswith("postgresql"):
            assert "vector" in extensions  # the fresh database had none: the migration created it
        command.check(config)  # raises if the models and the migrated schema differ
        assert use_both_faces(tmp_path) == ["async", "sync"]
        command.downgrade(config, "base")
        tables, extensions, revision = inspect_schema(database_url)
        assert tables & {"projects", "notes"} == set()
        assert revision is None
        if database_url.startswith("postgresql"):
            assert "vector" in extensions  # left in place on purpose


def test_check_notices_a_model_the_migrations_lack(database_url: str, tmp_path: Path) -> None:
    with example_directory(tmp_path, database_url):
        config = alembic_config(tmp_path)
        command.upgrade(config, "head")
        notebook: Any = __import__("notebook")
        from sqlalchemy import Column, Integer, Table

        Table("tags", notebook.Base.metadata, Column("id", Integer, primary_key=True))
        with pytest.raises(CommandError, match="New upgrade operations detected"):
            command.check(config)


@pytest.mark.parametrize("driver", ["sqlite+aiosqlite", "postgresql", "postgresql+asyncpg"])
def test_async_env_py_migrates_through_the_async_driver(
    driver: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    def run(url: str) -> None:
        with example_directory(tmp_path, url):
            shutil.copy(tmp_path / "migrations" / "env_async.py", tmp_path / "migrations" / "env.py")
            config = alembic_config(tmp_path)
            command.upgrade(config, "head")
            tables, extensions, revision = inspect_schema(url)
            assert {"projects", "notes"} <= tables
            assert revision == "0001"
            assert ("vector" in extensions) == url.startswith("postgresql")
            command.check(config)
            command.downgrade(config, "base")
            assert inspect_schema(url)[0] & {"projects", "notes"} == set()

    if driver == "sqlite+aiosqlite":
        run(f"sqlite+aiosqlite:///{tmp_path / 'migrated.db'}")
        return
    with fresh_postgres_database(request.getfixturevalue("dualio_postgres_url")) as url:
        run(url.replace("postgresql", driver, 1))


def test_async_env_py_refuses_thread_driven_sqlite_clearly(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'migrated.db'}"
    with example_directory(tmp_path, url):
        shutil.copy(tmp_path / "migrations" / "env_async.py", tmp_path / "migrations" / "env.py")
        with pytest.raises(TypeError, match="runs the sync engine in threads"):
            command.upgrade(alembic_config(tmp_path), "head")


def test_offline_sql_creates_the_extension_on_postgresql_only(tmp_path: Path) -> None:
    scripts = {}
    for url in ("postgresql://app@db.invalid/notes", f"sqlite:///{tmp_path / 'never-opened.db'}"):
        output = io.StringIO()
        with example_directory(tmp_path, url):
            command.upgrade(alembic_config(tmp_path, output=output), "head", sql=True)
        scripts[url.partition(":")[0]] = output.getvalue()
    assert "CREATE EXTENSION IF NOT EXISTS vector" in scripts["postgresql"]
    assert "CREATE TABLE notes" in scripts["postgresql"]
    assert "vector" not in scripts["sqlite"]
    assert "CREATE TABLE notes" in scripts["sqlite"]
    assert not (tmp_path / "never-opened.db").exists()
    assert "notebook" not in sys.modules
