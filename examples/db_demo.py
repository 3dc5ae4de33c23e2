"""dualio.db in one script: one declaration, a sync face and an async face, on SQLite or embedded PostgreSQL.

    python examples/db_demo.py              # SQLite in a temporary directory
    python examples/db_demo.py --postgres   # an embedded PostgreSQL with pgvector (pgserver), started and stopped

Each step prints one line and checks what it claims; the script exits with status 1 if a check fails.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from dualio.db import Database, Repository, UnitOfWork, Vector, Versioned, fulltext, hnsw_index
from dualio.errors import ConflictError

DIMENSIONS = 16


class Base(DeclarativeBase):
    pass


class Note(Versioned, Base):
    __tablename__ = "demo_notes"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200), unique=True)
    body: Mapped[str] = mapped_column(default="")
    embedding: Mapped[list[float] | None] = mapped_column(Vector(DIMENSIONS))
    __table_args__ = (hnsw_index("demo_notes_embedding", "embedding"),)


class Keyword(Base):
    __tablename__ = "demo_keywords"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)


fulltext(Note, "title", "body")


class NoteRepository(Repository[Note]):
    def titled(self, prefix: str) -> list[Note]:
        return self.list(Note.title.startswith(prefix), order_by="title")


class Notebook(UnitOfWork):
    notes: NoteRepository
    keywords: Repository[Keyword]


def embed(text: str) -> list[float]:
    """A toy embedding: character trigrams hashed into a few dimensions (a real app calls a model)."""
    vector = [0.0] * DIMENSIONS
    for i in range(len(text) - 2):
        vector[hashlib.blake2b(text[i : i + 3].lower().encode(), digest_size=1).digest()[0] % DIMENSIONS] += 1.0
    return vector


def add_note(uow: Notebook, title: str, body: str) -> Note:
    """The one implementation of a use case, written against the sync face and run on both."""
    for word in {w.strip(".,").lower() for w in body.split() if len(w) > 6}:
        uow.keywords.get_or_create({"name": word})
    return uow.notes.add(Note(title=title, body=body, embedding=embed(f"{title} {body}")))


failures: list[str] = []


def report(step: str, line: str, ok: bool) -> None:
    print(f"{step:<10} {line}" + ("" if ok else "   <-- FAILED"))
    if not ok:
        failures.append(step)


async def api_requests(db: Database, count: int) -> list[int]:
    """What FastAPI handlers would do: many concurrent units of work on the async face."""

    async def handler(i: int) -> int:
        async with db.async_unit_of_work(Notebook) as uow:
            note = await uow.run(add_note, f"api note {i:03}", f"Written concurrently by request number {i}.")
            return note.id

    return await asyncio.gather(*(handler(i) for i in range(count)))


def demo(db: Database) -> None:
    Base.metadata.drop_all(db.sync_engine)
    Base.metadata.create_all(db.sync_engine)

    with db.unit_of_work(Notebook) as uow:  # a CLI, a notebook cell, a Celery task
        add_note(uow, "Event loops", "Coroutines, schedulers and cancellation in asyncio.")
        add_note(uow, "Databases", "PostgreSQL transactions, savepoints and isolation levels.")
        add_note(uow, "Bread", "Flour, water, patience and a hot oven.")
    with db.unit_of_work(Notebook) as uow:
        count = uow.notes.count()
    report("sync", f"3 notes added through the sync face; the table holds {count}", count == 3)

    start = time.perf_counter()
    ids = asyncio.run(api_requests(db, 50))
    elapsed = (time.perf_counter() - start) * 1000
    report("async", f"50 concurrent units of work on the async face in {elapsed:.0f} ms", len(set(ids)) == 50)

    note = db.transaction(Notebook, add_note, "Twice", "The same use case, sync face.")
    other = asyncio.run(db.atransaction(Notebook, add_note, "Twice more", "The same use case, async face."))
    report("one code", f"add_note ran on both faces: ids {note.id} and {other.id}", other.id != note.id)

    try:
        with db.unit_of_work(Notebook) as uow:
            add_note(uow, "Never saved", "This unit fails after writing.")
            raise RuntimeError("something went wrong")
    except RuntimeError:
        pass
    with db.unit_of_work(Notebook) as uow:
        lost = uow.notes.exists(where={"title": "Never saved"})
    report("rollback", "a unit that raised left nothing behind", not lost)

    # An edit form read the note at some version; meanwhile someone else saved it. Saving the form must not
    # silently overwrite their change.
    with db.unit_of_work(Notebook) as uow:
        read_version = uow.notes.get(note.id).version
    db.transaction(Notebook, lambda uow: uow.notes.update(note.id, {"body": "Edited by someone else."}))
    try:
        with db.unit_of_work(Notebook) as uow:
            uow.notes.update(note.id, {"body": "Edited from the stale form."}, expected_version=read_version)
        conflict = "no conflict"
    except ConflictError:
        conflict = "ConflictError"
    with db.unit_of_work(Notebook) as uow:
        kept = uow.notes.get(note.id).body == "Edited by someone else."
    report(
        "versions",
        f"saving a stale edit raised {conflict}; the other edit was kept",
        conflict == "ConflictError" and kept,
    )

    with db.unit_of_work(Notebook) as uow:
        found = [n.title for n, _ in uow.notes.search("savepoints transactions")]
        nearest = [n.title for n, _ in uow.notes.nearest(embed("Coroutines and cancellation"), 1)]
        page = uow.notes.page(order_by="title", limit=20)
        keywords = uow.keywords.count()
    report("search", f"full text 'savepoints transactions' -> {found}", found == ["Databases"])
    report("nearest", f"nearest to 'Coroutines and cancellation' -> {nearest}", nearest == ["Event loops"])
    report("pages", f"first keyset page: {len(page.items)} notes, more: {page.next_cursor is not None}", True)
    report("keywords", f"{keywords} distinct keywords, each created once by get_or_create", keywords > 0)


@contextmanager
def database(postgres: bool) -> Iterator[Database]:
    if postgres:
        from dualio.testing import embedded_postgres

        with embedded_postgres() as url:
            db = Database(url)
            try:
                yield db
            finally:
                db.dispose()
        return
    with tempfile.TemporaryDirectory() as directory:
        db = Database(f"sqlite:///{Path(directory) / 'notes.db'}")
        try:
            yield db
        finally:
            db.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", action="store_true", help="use an embedded PostgreSQL instead of SQLite")
    args = parser.parse_args()
    with database(args.postgres) as db:
        print(f"database   {db.backend}")
        demo(db)
    if failures:
        print(f"{len(failures)} step(s) failed: {', '.join(failures)}")
        return 1
    print("all steps behaved as described")
    return 0


if __name__ == "__main__":
    sys.exit(main())
