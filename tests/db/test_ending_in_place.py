"""Thread-driven SQLite: a unit of work that has only read ends on the loop; one that may have written ends in its
worker thread. Either way it commits, returns its connection and releases the write lock."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text

from dualio.db import Database

from .conftest import fresh_schema
from .models import Note, Notebook


@pytest.fixture
def thread_db(tmp_path: Path) -> Iterator[Database]:
    # A short busy timeout: a write lock left held would fail the next writer fast instead of after 5 s.
    db = fresh_schema(Database(f"sqlite:///{tmp_path / 'in-place.db'}", busy_timeout=0.5))
    with db.unit_of_work(Notebook) as uow:
        uow.notes.add(Note(title="existing"))
    yield db
    db.dispose()


@pytest.fixture
def commit_threads(thread_db: Database) -> Iterator[list[str]]:
    """The name of the thread that ran each COMMIT on ``thread_db``'s connections, in order."""
    names: list[str] = []

    def record(_connection: Any) -> None:
        names.append(threading.current_thread().name)

    event.listen(thread_db.sync_engine, "commit", record)
    yield names
    event.remove(thread_db.sync_engine, "commit", record)


def assert_released(db: Database) -> None:
    """The unit's connection is back in the pool and its write lock free: a sync writer gets on at once."""
    assert db.sync_engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    with db.unit_of_work(Notebook) as uow:
        uow.notes.add(Note(title="next writer"))


def test_a_unit_that_only_read_ends_on_the_loop(thread_db: Database, commit_threads: list[str]) -> None:
    called: list[str] = []

    async def read() -> tuple[int, str]:
        async with thread_db.async_unit_of_work(Notebook) as uow:
            uow.on_commit(lambda: called.append("on_commit"))
            count = await uow.notes.count()
            note = await uow.notes.get_one(where={"title": "existing"})
        return count, note.title

    assert asyncio.run(read()) == (1, "existing")
    assert commit_threads == [threading.current_thread().name]  # the loop's thread: no hop to end the unit
    assert called == ["on_commit"]
    assert_released(thread_db)


def test_a_unit_that_ran_nothing_ends_on_the_loop(thread_db: Database, commit_threads: list[str]) -> None:
    async def nothing() -> None:
        async with thread_db.async_unit_of_work(Notebook):
            pass

    asyncio.run(nothing())
    assert commit_threads == []  # no transaction began, so there was nothing to commit
    assert_released(thread_db)


def _add(uow: Notebook) -> None:
    uow.notes.add(Note(title="added"))


def _pending(uow: Notebook) -> None:
    uow.session.add(Note(title="added"))  # not flushed: the commit flushes it


def _text_insert(uow: Notebook) -> None:
    uow.session.execute(text("INSERT INTO notes (title, body, rank, version) VALUES ('added', '', 0, 1)"))


def _insert_then_read(uow: Notebook) -> None:
    _text_insert(uow)
    uow.notes.count()


def _indented_lowercase_insert(uow: Notebook) -> None:
    uow.session.execute(text("\n   insert into notes (title, body, rank, version) values ('added', '', 0, 1)"))


@pytest.mark.parametrize(
    "write", [_add, _pending, _text_insert, _insert_then_read, _indented_lowercase_insert], ids=lambda f: f.__name__
)
def test_a_unit_that_wrote_commits_in_its_worker_thread(
    thread_db: Database, commit_threads: list[str], write: Callable[[Notebook], None]
) -> None:
    async def unit() -> None:
        async with thread_db.async_unit_of_work(Notebook) as uow:
            await uow.notes.count()
            await uow.run(write)

    asyncio.run(unit())
    assert len(commit_threads) == 1
    assert commit_threads[0].startswith("dualio-db-")
    with thread_db.unit_of_work(Notebook) as uow:
        assert uow.notes.count(where={"title": "added"}) == 1
    assert_released(thread_db)


def test_a_write_the_row_count_does_not_show_still_commits_in_the_worker(
    thread_db: Database, commit_threads: list[str]
) -> None:
    # PRAGMA user_version changes the file but no row: the check is by statement, not by rows changed.
    async def unit() -> None:
        async with thread_db.async_unit_of_work(Notebook) as uow:
            await uow.run(lambda u: u.session.execute(text("PRAGMA user_version = 7")))

    asyncio.run(unit())
    assert commit_threads[0].startswith("dualio-db-")
    with thread_db.sync_engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA user_version").scalar() == 7


def test_a_read_only_unit_that_fails_still_rolls_back_and_releases(thread_db: Database) -> None:
    async def failing() -> None:
        async with thread_db.async_unit_of_work(Notebook) as uow:
            await uow.notes.count()
            raise LookupError("boom")

    with pytest.raises(LookupError, match="boom"):
        asyncio.run(failing())
    assert_released(thread_db)
