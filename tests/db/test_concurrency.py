"""Concurrency with real commits on real databases: lost updates, racing get_or_create, retried conflicts."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

from sqlalchemy import text

import dualio
from dualio.db import Database, Retry
from dualio.errors import ConflictError

from .models import Keyword, Note, Notebook

OwnPostgres = Callable[..., Database]


def in_threads(count: int, work: Callable[[int], object]) -> tuple[list[object], list[BaseException]]:
    """Run ``work(i)`` in ``count`` threads released together; return the results and the errors."""
    barrier = threading.Barrier(count)
    results: list[object] = []
    errors: list[BaseException] = []

    def target(i: int) -> None:
        barrier.wait()
        try:
            results.append(work(i))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


def test_two_units_updating_one_row_lose_no_update(committing_db: Database) -> None:
    db = committing_db
    with db.unit_of_work(Notebook) as uow:
        note_id = uow.notes.add(Note(title="contended", body="0")).id
    # On PostgreSQL both units read version 1 before either writes. SQLite units begin IMMEDIATE: the second waits
    # for the first to commit before it reads, so both read-modify-writes succeed, one after the other.
    both_read = threading.Barrier(2 if db.backend == "postgresql" else 1)

    def update(i: int) -> str:
        with db.unit_of_work(Notebook) as uow:
            note = uow.notes.get(note_id)
            both_read.wait()
            uow.notes.update(note, {"body": f"{note.body}+writer-{i}"})
        return f"writer-{i}"

    results, errors = in_threads(2, update)
    with db.unit_of_work(Notebook) as uow:
        final = uow.notes.get(note_id)
    if db.backend == "postgresql":
        assert len(results) == 1
        assert len(errors) == 1
        assert isinstance(errors[0], ConflictError)  # the second UPDATE waited, then matched version 1 no more
        assert final.body == f"0+{results[0]}"  # the winner's write, not overwritten
        assert final.version == 2
    else:
        assert errors == []
        assert final.body.count("+writer-") == 2  # both updates, serialized: none lost
        assert final.version == 3


def test_twenty_concurrent_get_or_create_make_one_row(committing_db: Database) -> None:
    db = committing_db

    async def get_or_create() -> tuple[int, bool]:
        async with db.async_unit_of_work(Notebook) as uow:
            keyword, created = await uow.keywords.get_or_create({"name": "race"}, {"uses": 1})
            return keyword.id, created

    async def race() -> list[tuple[int, bool]]:
        return await asyncio.gather(*(get_or_create() for _ in range(20)))

    outcomes = dualio.run(race())
    assert len({keyword_id for keyword_id, _ in outcomes}) == 1
    assert sum(created for _, created in outcomes) == 1
    with db.unit_of_work(Notebook) as uow:
        assert uow.keywords.count() == 1


def test_twenty_threads_get_or_create_on_the_sync_face(committing_db: Database) -> None:
    db = committing_db

    def get_or_create(_: int) -> tuple[int, bool]:
        keyword, created = db.transaction(
            Notebook, lambda uow: uow.keywords.get_or_create({"name": "threads"}), retry=Retry(attempts=5)
        )
        return keyword.id, created

    results, errors = in_threads(20, get_or_create)
    assert errors == []
    outcomes = [outcome for outcome in results if isinstance(outcome, tuple)]
    assert len(outcomes) == 20
    assert len({keyword_id for keyword_id, _ in outcomes}) == 1
    assert sum(created for _, created in outcomes) == 1


def test_serialization_failures_are_retried_until_both_increments_land(own_postgres: OwnPostgres) -> None:
    db = own_postgres(engine_options={"isolation_level": "SERIALIZABLE"})
    with db.unit_of_work(Notebook) as uow:
        keyword_id = uow.keywords.add(Keyword(name="counter", uses=0)).id
    attempts: list[int] = []
    first_round = threading.Barrier(2)

    def increment(uow: Notebook) -> None:
        keyword = uow.keywords.get(keyword_id)
        attempts.append(1)
        if len(attempts) <= 2:
            first_round.wait()  # both read the same snapshot before either writes: one must fail with 40001
        uow.keywords.update(keyword, {"uses": keyword.uses + 1})

    _, errors = in_threads(2, lambda _: db.transaction(Notebook, increment, retry=Retry(attempts=5)))
    assert errors == []
    assert len(attempts) >= 3  # at least one unit ran again
    with db.unit_of_work(Notebook) as uow:
        assert uow.keywords.get(keyword_id).uses == 2


def test_a_dropped_connection_is_retried(own_postgres: OwnPostgres) -> None:
    db = own_postgres(pool_pre_ping=False)
    attempts: list[int] = []

    def write(uow: Notebook) -> None:
        attempts.append(1)
        if len(attempts) == 1:
            pid = uow.session.execute(text("select pg_backend_pid()")).scalar_one()
            with db.sync_engine.connect() as killer:
                killer.execute(text("select pg_terminate_backend(:pid)"), {"pid": pid})
                killer.commit()
        uow.notes.add(Note(title="after-reconnect"))

    db.transaction(Notebook, write, retry=Retry(attempts=3, base_delay=0))
    assert len(attempts) == 2
    with db.unit_of_work(Notebook) as uow:
        assert [n.title for n in uow.notes.list()] == ["after-reconnect"]


def test_twenty_concurrent_upserts_of_one_key_make_one_row(committing_db: Database) -> None:
    db = committing_db

    async def upsert(i: int) -> int:
        async with db.async_unit_of_work(Notebook) as uow:
            keyword = await uow.keywords.upsert({"name": "hot", "uses": i}, conflict=["name"])
            return int(keyword.id)

    async def race() -> list[int]:
        return await asyncio.gather(*(upsert(i) for i in range(20)))

    ids = dualio.run(race())
    assert len(set(ids)) == 1
    with db.unit_of_work(Notebook) as uow:
        assert uow.keywords.count() == 1
        assert 0 <= uow.keywords.get(ids[0]).uses < 20


def test_a_lost_race_in_a_read_modify_write_is_retried(own_postgres: OwnPostgres) -> None:
    db = own_postgres()
    with db.unit_of_work(Notebook) as uow:
        keyword_id = uow.keywords.add(Keyword(name="versioned-counter")).id
        note_id = uow.notes.add(Note(title="counter", rank=0)).id
    attempts: list[int] = []
    first_round = threading.Barrier(2)

    def increment(uow: Notebook) -> None:
        note = uow.notes.get(note_id)
        attempts.append(1)
        if len(attempts) <= 2:
            first_round.wait()  # both read version 1; the second writer gets ConflictError and runs again
        uow.notes.update(note, {"rank": note.rank + 1})

    _, errors = in_threads(2, lambda _: db.transaction(Notebook, increment, retry=Retry(attempts=3)))
    assert errors == []
    assert len(attempts) == 3
    with db.unit_of_work(Notebook) as uow:
        assert uow.notes.get(note_id).rank == 2
        assert uow.keywords.get(keyword_id).name == "versioned-counter"
