"""The async face on its own: event loops, cancellation, async callbacks, the declaration's repositories."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import event, text
from sqlalchemy.orm import Session

import dualio
from dualio.db import AsyncRepository, Database

from .conftest import fresh_schema
from .models import Note, Notebook, add_note


@pytest.fixture(params=["sqlite", "sqlite+aiosqlite", "postgresql", "postgresql+asyncpg"])
def own_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A database with real commits, on each async driver; disposed after the test."""
    if request.param.startswith("sqlite"):
        url = f"{request.param}:///{tmp_path / 'loops.db'}"
    else:
        url = request.getfixturevalue("dualio_postgres_url").replace("postgresql", request.param, 1)
    db = fresh_schema(Database(url))
    yield db
    fresh_schema(db)  # leave no committed rows: the PostgreSQL database is the one the other tests share
    db.dispose()


async def add_and_count(db: Database, title: str) -> int:
    async with db.async_unit_of_work(Notebook) as uow:
        await uow.notes.add(Note(title=title))
        return await uow.notes.count()


def test_two_asyncio_runs_in_a_row(own_db: Database) -> None:
    assert asyncio.run(add_and_count(own_db, "first")) == 1
    assert asyncio.run(add_and_count(own_db, "second")) == 2
    assert len(own_db._loop_engines) == 0  # each loop's engine was disposed when its loop shut down


def test_many_short_threads_each_with_its_own_loop(own_db: Database) -> None:
    counts: list[int] = []
    errors: list[BaseException] = []

    def streamlit_like_rerun(i: int) -> None:
        try:
            counts.append(asyncio.run(add_and_count(own_db, f"thread-{i}")))
        except BaseException as error:
            errors.append(error)

    for batch in range(3):
        threads = [threading.Thread(target=streamlit_like_rerun, args=(batch * 4 + i,)) for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    assert len(counts) == 12
    assert asyncio.run(add_and_count(own_db, "last")) == 13
    assert len(own_db._loop_engines) == 0


def test_the_portal_and_asyncio_run_side_by_side(own_db: Database) -> None:
    assert dualio.run(add_and_count(own_db, "portal-1")) == 1
    assert asyncio.run(add_and_count(own_db, "run")) == 2
    assert dualio.run(add_and_count(own_db, "portal-2")) == 3  # the portal loop's engine is still the same
    own_db.dispose()  # disposes the portal loop's engine on the portal loop
    assert len(own_db._loop_engines) == 0
    assert dualio.run(add_and_count(own_db, "after-dispose")) == 4


def test_cancellation_mid_unit_rolls_back_and_returns_the_connection(own_db: Database) -> None:
    async def slow_unit(started: asyncio.Event) -> None:
        async with own_db.async_unit_of_work(Notebook) as uow:
            await uow.notes.add(Note(title="cancelled"))
            started.set()
            await asyncio.sleep(30)

    async def scenario() -> tuple[int, int]:
        started = asyncio.Event()
        task = asyncio.create_task(slow_unit(started))
        await started.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return await count_notes_and_connections_out(own_db)

    count, checked_out = dualio.run(scenario())
    assert count == 0
    assert checked_out == 0


async def count_notes_and_connections_out(db: Database) -> tuple[int, int]:
    async with db.async_unit_of_work(Notebook) as uow:
        count = await uow.notes.count()
    engine = (await db.async_engine()).sync_engine if db.target.async_driver == "greenlet" else db.sync_engine
    return count, engine.pool.checkedout()  # type: ignore[attr-defined]


# A statement that takes a few tenths of a second on each database.
_SLOW_STATEMENT = {
    "postgresql": "SELECT pg_sleep(0.3)",
    "sqlite": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000) SELECT max(x) FROM c",
}


def test_cancellation_during_the_commit_lets_the_commit_finish(own_db: Database) -> None:
    # The task is cancelled while its unit commits (in the worker thread, or during a greenlet's I/O): the commit
    # still finishes, its on_commit callbacks run, the connection goes back, and then the task is cancelled.
    slow_statement = text(_SLOW_STATEMENT[own_db.sync_engine.dialect.name])
    events: list[str] = []

    async def unit(committing: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()

        def slow_commit(session: Session) -> None:
            loop.call_soon_threadsafe(committing.set)
            session.execute(slow_statement)

        async with own_db.async_unit_of_work(Notebook) as uow:
            await uow.notes.add(Note(title="kept"))
            event.listen(uow.sync.session, "before_commit", slow_commit)
            uow.on_commit(lambda: events.append("on_commit ran"))

    async def scenario() -> tuple[int, int]:
        committing = asyncio.Event()
        task = asyncio.create_task(unit(committing))
        await committing.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return await count_notes_and_connections_out(own_db)

    count, checked_out = dualio.run(scenario())
    assert count == 1
    assert events == ["on_commit ran"]
    assert checked_out == 0


def test_async_on_commit_callbacks_are_awaited(own_db: Database) -> None:
    events: list[str] = []

    async def publish() -> None:
        await asyncio.sleep(0)
        events.append("published")

    async def scenario() -> None:
        async with own_db.async_unit_of_work(Notebook) as uow:
            await uow.notes.add(Note(title="evt"))
            uow.on_commit(publish)
            uow.on_commit(lambda: events.append("sync callback"))
            assert events == []

    asyncio.run(scenario())
    assert events == ["published", "sync callback"]


def test_async_face_gives_repositories_run_and_the_sync_face(own_db: Database) -> None:
    async def scenario() -> None:
        async with own_db.async_unit_of_work(Notebook) as uow:
            assert isinstance(uow.notes, AsyncRepository)
            assert uow.notes is uow.notes
            note = await uow.run(add_note, "typed", rank=2)
            assert note.rank == 2
            assert isinstance(uow.sync, Notebook)
            assert (await uow.notes.by_title("typed")) is note
            with pytest.raises(AttributeError, match="session is not a repository"):
                _ = uow.session
            with pytest.raises(TypeError, match="run\\(\\) takes a function"):
                await uow.run("add_note")  # type: ignore[arg-type]

    asyncio.run(scenario())


def test_vectors_and_full_text_on_every_async_driver(own_db: Database) -> None:
    async def scenario() -> tuple[list[str], list[str]]:
        async with own_db.async_unit_of_work(Notebook) as uow:
            await uow.passages.add_many(
                [{"text": "a", "embedding": [1.0, 0.0, 0.0]}, {"text": "b", "embedding": [0.0, 1.0, 0.0]}]
            )
            await uow.notes.add(Note(title="Event loops", body="asyncio and uvloop"))
            nearest = [p.text for p, _ in await uow.passages.nearest([1.0, 0.1, 0.0], 2)]
            found = [n.title for n, _ in await uow.notes.search("uvloop")]
            return nearest, found

    assert asyncio.run(scenario()) == (["a", "b"], ["Event loops"])
