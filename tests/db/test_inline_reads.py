"""Thread-driven SQLite: a short read marked ``@reads`` runs on the loop's thread when it cannot wait for a lock,
and in the unit's worker thread otherwise, with the same result either way.

Where a statement ran is observed with SQLAlchemy's ``before_cursor_execute`` event, which fires in the thread that
runs it.
"""

from __future__ import annotations

import asyncio
import contextvars
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.orm import aliased

from dualio.db import Database, Repository, UnitOfWork, reads

from .conftest import fresh_schema
from .models import Note

LOOP = "loop"
WORKER = "worker"

_visited: contextvars.ContextVar[str] = contextvars.ContextVar("visited", default="")


class Notes(Repository[Note]):
    @reads
    def slow_count(self) -> int:
        """A read that runs long: every pair of notes, three times over."""
        a, b, c = aliased(Note), aliased(Note), aliased(Note)
        return int(self.session.scalar(select(func.count()).select_from(a).join(b, text("1")).join(c, text("1"))) or 0)

    @reads
    def marked_but_writes(self, title: str) -> Note:
        """Marked as a read by mistake: it writes."""
        self.session.execute(text("UPDATE notes SET rank = rank + 1 WHERE title = :title"), {"title": title})
        return self.get_one(where={"title": title})

    @reads
    def remembering(self) -> int:
        _visited.set("inside")
        return self.count()

    def get(self, id: Any, *, options: Any = ()) -> Note:  # an override, not marked: it hops
        return super().get(id, options=options)


class Store(UnitOfWork):
    notes: Notes
    plain: Repository[Note]


@reads
def count_notes(uow: Store) -> int:
    return uow.plain.count()


@pytest.fixture
def open_db(tmp_path: Path) -> Iterator[Callable[..., Database]]:
    """Make a Database on a fresh file with the schema and the given options; each is disposed after the test."""
    made: list[Database] = []

    def open_db(**options: Any) -> Database:
        made.append(fresh_schema(Database(f"sqlite:///{tmp_path / f'inline-{len(made)}.db'}", **options)))
        return made[-1]

    yield open_db
    for db in made:
        db.dispose()


@pytest.fixture
def db(open_db: Callable[..., Database]) -> Database:
    db = open_db(busy_timeout=2)
    with db.unit_of_work(Store) as uow:
        uow.plain.add_many([Note(title=f"note {i}") for i in range(1, 201)])
    return db


def count_in_an_async_unit(db: Database) -> int:
    """Count the notes in one async unit of work, on a new event loop in this thread."""

    async def read() -> int:
        async with db.async_unit_of_work(Store) as uow:
            count: int = await uow.plain.count()
            return count

    return asyncio.run(read())


def record_selects(db: Database) -> list[str]:
    """Where each SELECT on ``db`` runs from now on: ``LOOP`` (this thread, which runs the test's loop) or
    ``WORKER`` (any other thread)."""
    places: list[str] = []
    loop_thread = threading.get_ident()

    def record(_connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            places.append(LOOP if threading.get_ident() == loop_thread else WORKER)

    event.listen(db.sync_engine, "before_cursor_execute", record)
    return places


@pytest.fixture
def where(db: Database) -> list[str]:
    return record_selects(db)


def test_the_generic_reads_run_on_the_loop(db: Database, where: list[str]) -> None:
    async def read() -> tuple[str, int, bool, list[str]]:
        async with db.async_unit_of_work(Store) as uow:
            note = await uow.plain.get(3)
            count = await uow.plain.count()
            exists = await uow.plain.exists(where={"title": "note 7"})
            page = await uow.plain.page(limit=2)
            return note.title, count, exists, [n.title for n in page.items]

    assert asyncio.run(read()) == ("note 3", 200, True, ["note 1", "note 2"])
    assert where == [LOOP] * 4


def test_an_override_that_is_not_marked_hops(db: Database, where: list[str]) -> None:
    async def read() -> str:
        async with db.async_unit_of_work(Store) as uow:
            note: Note = await uow.notes.get(3)  # Notes.get overrides the marked one without the mark
            return note.title

    assert asyncio.run(read()) == "note 3"
    assert where == [WORKER]


def test_a_budget_of_zero_turns_reads_in_place_off(open_db: Callable[..., Database]) -> None:
    db = open_db(sqlite_inline_budget=0)
    places = record_selects(db)
    assert count_in_an_async_unit(db) == 0
    assert places == [WORKER]


def test_a_use_case_marked_reads_runs_in_place_through_run(db: Database, where: list[str]) -> None:
    async def read() -> int:
        async with db.async_unit_of_work(Store) as uow:
            return await uow.run(count_notes)

    assert asyncio.run(read()) == 200
    assert where == [LOOP]


def test_a_read_past_its_budget_is_interrupted_and_run_again_in_the_thread(db: Database, where: list[str]) -> None:
    async def read() -> int:
        async with db.async_unit_of_work(Store) as uow:
            count: int = await uow.notes.slow_count()
            return count

    assert asyncio.run(read()) == 200**3
    assert where == [LOOP, WORKER]


def test_a_marked_function_that_writes_is_stopped_before_the_write_and_run_in_the_thread(
    db: Database, where: list[str]
) -> None:
    async def bump() -> int:
        async with db.async_unit_of_work(Store) as uow:
            note: Note = await uow.notes.marked_but_writes("note 5")
            return note.rank

    assert asyncio.run(bump()) == 1  # written once: the attempt in place stopped before its UPDATE
    assert where == [WORKER]  # the UPDATE was refused before it ran; the thread ran the whole method again
    with db.unit_of_work(Store) as uow:
        assert uow.plain.get(5).rank == 1


def test_reads_hop_once_the_unit_has_written_or_has_changes_to_flush(db: Database, where: list[str]) -> None:
    async def work() -> None:
        async with db.async_unit_of_work(Store) as uow:
            await uow.plain.count()  # in place
            uow.sync.session.add(Note(title="pending"))  # autoflush would write: the next read hops
            await uow.plain.count()
            await uow.plain.count()  # flushed: the transaction has written

    asyncio.run(work())
    assert where == [LOOP, WORKER, WORKER]


def test_a_read_hops_when_another_unit_of_this_process_holds_the_write_turn(db: Database, where: list[str]) -> None:
    began, finish = threading.Event(), threading.Event()

    def writer() -> None:
        with db.unit_of_work(Store) as uow:
            uow.plain.add(Note(title="from the writer"))
            began.set()
            finish.wait(10)

    thread = threading.Thread(target=writer)
    thread.start()
    began.wait(10)
    # Released from another thread: had the read waited for the turn on the loop, it would then run there.
    threading.Timer(0.2, finish.set).start()

    async def read() -> int:
        async with db.async_unit_of_work(Store) as uow:
            return await uow.plain.count()

    assert asyncio.run(read()) == 201  # it began after the writer committed
    thread.join()
    assert where == [WORKER]


def test_a_read_hops_when_another_process_holds_the_write_lock(open_db: Callable[..., Database]) -> None:
    db = open_db(busy_timeout=30)
    places = record_selects(db)
    assert db.sync_engine.url.database is not None
    other = sqlite3.connect(db.sync_engine.url.database, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # not through dualio: no in-process turn to see
    # Released from another thread: had BEGIN waited on the loop, it would then succeed there.
    threading.Timer(0.2, other.rollback).start()
    try:
        assert count_in_an_async_unit(db) == 0
        assert places == [WORKER]  # refused at once in place, waited for in the thread
    finally:
        other.close()


def test_deferred_reads_run_in_place_beside_a_writer(open_db: Callable[..., Database]) -> None:
    db = open_db(sqlite_begin="deferred")
    places = record_selects(db)
    assert db.sync_engine.url.database is not None
    other = sqlite3.connect(db.sync_engine.url.database, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # a writer holds the lock: WAL readers go on
    try:
        assert count_in_an_async_unit(db) == 0
        assert places == [LOOP]
    finally:
        other.close()


def test_a_read_hops_when_the_pool_has_no_connection_to_give(open_db: Callable[..., Database]) -> None:
    db = open_db(pool_size=1, max_overflow=0)
    held = db.sync_engine.connect()  # the only connection, held by sync code
    held.exec_driver_sql("SELECT 1")
    places = record_selects(db)
    # Given back from another thread: had the checkout waited on the loop, the read would then run there.
    threading.Timer(0.2, held.close).start()
    assert count_in_an_async_unit(db) == 0
    assert places == [WORKER]


def test_a_task_reading_in_place_in_a_loop_lets_other_tasks_run(open_db: Callable[..., Database]) -> None:
    db = open_db(sqlite_inline_budget=1e-9)  # spent by any read: each one yields once after it
    places = record_selects(db)

    async def main() -> int:
        ticks = 0

        async def heartbeat() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0)

        beating = asyncio.create_task(heartbeat())
        await asyncio.sleep(0)
        start = ticks
        async with db.async_unit_of_work(Store) as uow:
            for _ in range(20):
                await uow.plain.exists()
        beating.cancel()
        return ticks - start

    assert asyncio.run(main()) >= 20
    assert places == [LOOP] * 20  # too short for SQLite's progress handler to be asked: all ran in place


def test_a_read_in_place_runs_in_a_copy_of_the_context(db: Database, where: list[str]) -> None:
    async def read() -> tuple[int, str]:
        async with db.async_unit_of_work(Store) as uow:
            count = await uow.notes.remembering()
            return count, _visited.get()

    assert asyncio.run(read()) == (200, "")  # as in the thread: what the call set stays in its copy
    assert where == [LOOP]


@pytest.mark.parametrize("budget", [-0.001, 1.5, float("nan"), "2ms", True])
def test_a_bad_budget_is_refused_with_its_rule(budget: object) -> None:
    with pytest.raises(ValueError, match="sqlite_inline_budget="):
        Database("sqlite://", sqlite_inline_budget=budget)


def test_reads_marks_only_callables() -> None:
    with pytest.raises(TypeError, match="@reads marks a function"):
        reads(42)  # type: ignore[type-var]


def test_reads_run_in_place_on_a_uvloop_loop_too(db: Database, where: list[str]) -> None:
    uvloop = pytest.importorskip("uvloop")

    async def read() -> int:
        async with db.async_unit_of_work(Store) as uow:
            return await uow.plain.count()

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        assert runner.run(read()) == 200
    assert where == [LOOP]


def test_readers_in_place_and_writers_in_threads_share_the_database(db: Database, where: list[str]) -> None:
    """Many tasks read (mostly in place) while others write through their threads and sync code writes from
    another thread: every write lands once, every read sees a consistent count, nothing waits for ever."""
    sync_titles = [f"sync {i}" for i in range(20)]

    def sync_writer() -> None:
        for title in sync_titles:
            with db.unit_of_work(Store) as uow:
                uow.plain.add(Note(title=title))

    async def reader(seen: list[int]) -> None:
        for _ in range(30):
            async with db.async_unit_of_work(Store) as uow:
                count = await uow.plain.count()
                listed = await uow.plain.list(limit=5, order_by="id")
            seen.append(count)
            assert [note.id for note in listed] == [1, 2, 3, 4, 5]

    async def writer(number: int) -> None:
        for i in range(10):
            async with db.async_unit_of_work(Store) as uow:
                await uow.plain.add(Note(title=f"task {number} note {i}"))

    async def main() -> list[int]:
        seen: list[int] = []
        thread = threading.Thread(target=sync_writer)
        thread.start()
        await asyncio.wait_for(
            asyncio.gather(*(reader(seen) for _ in range(8)), *(writer(n) for n in range(4))), timeout=120
        )
        await asyncio.to_thread(thread.join)
        return seen

    seen = asyncio.run(main())
    assert len(seen) == 8 * 30
    assert all(200 <= count <= 200 + 20 + 40 for count in seen)
    assert LOOP in where  # some reads ran in place (others hopped while a writer held the turn)
    with db.unit_of_work(Store) as uow:
        assert uow.plain.count() == 200 + 20 + 40
