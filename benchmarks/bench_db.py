"""CRUD through dualio.db's two faces against the same work in raw SQLAlchemy, on SQLite and embedded PostgreSQL.

Claims measured (issue 3, section 5): a whole unit of work (open a session, do one thing, commit, close) through
the sync face costs at most 1.10x the same cycle on a raw SQLAlchemy ``Session``, and through the async face at
most 1.10x a raw ``AsyncSession``; ``add_many`` of 10,000 rows reaches at least 0.9x the throughput of the raw
bulk ``INSERT ... RETURNING``; and on SQLite the async face costs at most 1.5x the sync face.

Operations, each a whole unit of work: get one row by primary key; a 50-row page by offset (``list(order_by=
"id", limit=50, offset=...)``); a 50-row page by keyset (``page(order_by="id", limit=50, after=cursor)``);
``add_many`` of ``--rows`` mappings (10,000), returning the objects.

Fairness: the raw contenders use the very engines of the dualio ``Database`` (``db.sync_engine`` and ``await
db.async_engine()``), so pool size, ``pool_pre_ping``, PostgreSQL's timeouts and SQLite's pragmas are identical by
construction; one extra row per backend shows a raw ``Session`` on an engine with SQLAlchemy's defaults. Every
contender runs once, its result checked, before anything is timed. Contenders of one operation run in interleaved
rounds (see _harness.py); async contenders run on one ``asyncio.Runner`` loop kept for the whole run.

Run: ``.venv/bin/python benchmarks/bench_db.py`` (``--quick`` for a smoke test, ``--backend sqlite`` for one).
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import os
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Awaitable, Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, String, Text, create_engine, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from _harness import Contender, Summary, Target, default_output, markdown_table, publish, report, run_interleaved
from dualio.db import Database, Repository, UnitOfWork

PACKAGES = ("dualio", "SQLAlchemy", "psycopg", "psycopg-binary", "aiosqlite", "greenlet", "pgserver")
PAGE = 50

RAW = "raw Session"
RAW_DEFAULTS = "raw Session, SQLAlchemy's default engine"
SYNC_FACE = "dualio sync face"
RAW_ASYNC = "raw AsyncSession"
ASYNC_FACE = "dualio async face"
RAW_AIOSQLITE = "raw AsyncSession (aiosqlite)"
ASYNC_FACE_THREAD = "dualio async face (thread driver, default)"
ASYNC_FACE_HOPPING = "dualio async face (thread driver, reads in place off)"
AIOSQLITE_FACE = "dualio async face (aiosqlite URL)"
ATRANSACTION = "dualio atransaction (one hop per unit)"
ORDERED = ", RETURNING in parameter order"
NO_RETURNING = ", no RETURNING"


# -- the schema ----------------------------------------------------------------------------------------------------


class Base(DeclarativeBase):
    pass


class Item(Base):
    """The rows read by the get and page operations (``--table-rows`` of them, ids 1..n)."""

    __tablename__ = "bench_item"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    price: Mapped[float]
    stock: Mapped[int]
    note: Mapped[str | None] = mapped_column(Text)


class BulkItem(Base):
    """The table ``add_many`` fills; emptied after every sample."""

    __tablename__ = "bench_bulk_item"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    price: Mapped[float]
    stock: Mapped[int]
    note: Mapped[str | None] = mapped_column(Text)


class Store(UnitOfWork):
    items: Repository[Item]
    bulk: Repository[BulkItem]


def item_values(number: int) -> dict[str, Any]:
    return {"name": f"item {number}", "price": number * 0.25, "stock": number % 97, "note": f"note {number}" * 3}


# -- one backend's contenders --------------------------------------------------------------------------------------

SyncCycle = Callable[[Any], object]
AsyncCycle = Callable[[Any], Awaitable[object]]


@dataclass
class Operation:
    """One measured operation: its contenders (name -> cycle), arguments, and how to check a result."""

    title: str
    unit: str  # "µs" per unit of work, or "ms" for add_many
    arguments: Sequence[Any]
    check: Callable[[Any, object], None]
    sync: dict[str, SyncCycle] = field(default_factory=dict)
    asynchronous: dict[str, AsyncCycle] = field(default_factory=dict)
    after_each: Callable[[], None] | None = None  # runs after every call, outside the clock (add_many cleanup)
    rows_per_call: int = 0


@dataclass
class Backend:
    name: str
    db: Database
    runner: asyncio.Runner
    aiosqlite: Database | None  # SQLite only: the same file through aiosqlite
    defaults_engine: Engine  # SQLAlchemy's defaults, for the extra row
    hopping: Database | None = None  # SQLite only: the same file, every async call in the worker thread


def clock_sync(
    cycle: SyncCycle, arguments: Sequence[Any], after_each: Callable[[], None] | None, cpu: list[float]
) -> Callable[[], float]:
    """Time a batch: return wall seconds per unit, and append the process's CPU seconds per unit to ``cpu``."""

    def measure() -> float:
        perf_counter, process_time = time.perf_counter, time.process_time
        wall = used = 0.0
        for argument in arguments:
            start, start_cpu = perf_counter(), process_time()
            cycle(argument)
            wall += perf_counter() - start
            used += process_time() - start_cpu
            if after_each is not None:
                after_each()
        cpu.append(used / len(arguments))
        return wall / len(arguments)

    return measure


def clock_async(
    runner: asyncio.Runner,
    cycle: AsyncCycle,
    arguments: Sequence[Any],
    after_each: Callable[[], None] | None,
    cpu: list[float],
) -> Callable[[], float]:
    """As ``clock_sync``, inside the loop; CPU time counts every thread of the process (the workers too)."""

    async def batch() -> float:
        perf_counter, process_time = time.perf_counter, time.process_time
        wall = used = 0.0
        for argument in arguments:
            start, start_cpu = perf_counter(), process_time()
            await cycle(argument)
            wall += perf_counter() - start
            used += process_time() - start_cpu
            if after_each is not None:
                await asyncio.to_thread(after_each)
        cpu.append(used / len(arguments))
        return wall / len(arguments)

    return lambda: runner.run(batch())


def contenders(backend: Backend, operation: Operation, cpu: dict[str, list[float]]) -> list[Contender]:
    """Check every contender's result once (untimed), then return them ready to be timed.

    Each contender's CPU time per unit (one value per sample) goes to ``cpu[name]``.
    """
    result: list[Contender] = []
    probe = operation.arguments[len(operation.arguments) // 2]
    after_each = operation.after_each
    for name, cycle in operation.sync.items():
        operation.check(probe, cycle(probe))
        if after_each is not None:
            after_each()
        cpu[name] = []
        result.append(Contender(name, clock_sync(cycle, operation.arguments, after_each, cpu[name])))
    for name, async_cycle in operation.asynchronous.items():
        operation.check(probe, backend.runner.run(_awaited(async_cycle, probe)))
        if after_each is not None:
            after_each()
        cpu[name] = []
        result.append(
            Contender(name, clock_async(backend.runner, async_cycle, operation.arguments, after_each, cpu[name]))
        )
    return result


async def _awaited(cycle: AsyncCycle, argument: Any) -> object:
    return await cycle(argument)


def expect(condition: bool, failure: str) -> None:
    """Stop the run if a contender's result is wrong (not an ``assert``: it must hold under ``python -O`` too)."""
    if not condition:
        raise RuntimeError(f"wrong result: {failure}")


# -- the operations ------------------------------------------------------------------------------------------------


def get_operation(backend: Backend, table_rows: int, calls: int) -> Operation:
    db = backend.db
    engine = db.sync_engine
    keys = [(i * 7919) % table_rows + 1 for i in range(calls)]

    def check(key: Any, row: object) -> None:
        expect(isinstance(row, Item) and row.id == key and row.name == f"item {key}", f"get({key}) gave {row!r}")

    def raw(key: int, engine: Engine = engine) -> object:
        with Session(engine, expire_on_commit=False) as session:
            row = session.get(Item, key)
            session.commit()
        return row

    def face(key: int) -> object:
        with db.unit_of_work(Store) as uow:
            return uow.items.get(key)

    op = Operation("get by id", "µs", keys, check)
    op.sync = {RAW: raw, SYNC_FACE: face, RAW_DEFAULTS: lambda key: raw(key, backend.defaults_engine)}
    op.asynchronous = async_variants(backend, get_async_raw, lambda uow, key: uow.items.get(key))
    if backend.aiosqlite is None:
        return op

    def in_unit(uow: Store, key: int) -> Item:
        return uow.items.get(key)

    op.asynchronous[ATRANSACTION] = lambda key: db.atransaction(Store, in_unit, key)
    return op


async def get_async_raw(session: AsyncSession, key: int) -> object:
    return await session.get(Item, key)


def async_variants(
    backend: Backend,
    raw_step: Callable[[AsyncSession, Any], Awaitable[object]],
    face_step: Callable[[Any, Any], Awaitable[object]],
) -> dict[str, AsyncCycle]:
    """The async contenders of one operation: raw ``AsyncSession`` and dualio's async face(s)."""
    runner = backend.runner

    def raw_cycle(db: Database) -> AsyncCycle:
        engine = runner.run(db.async_engine())

        async def cycle(argument: Any) -> object:
            async with AsyncSession(engine, expire_on_commit=False) as session:
                result = await raw_step(session, argument)
                await session.commit()
            return result

        return cycle

    def face_cycle(db: Database) -> AsyncCycle:
        async def cycle(argument: Any) -> object:
            async with db.async_unit_of_work(Store) as uow:
                return await face_step(uow, argument)

        return cycle

    if backend.aiosqlite is None or backend.hopping is None:
        return {RAW_ASYNC: raw_cycle(backend.db), ASYNC_FACE: face_cycle(backend.db)}
    return {
        RAW_AIOSQLITE: raw_cycle(backend.aiosqlite),
        ASYNC_FACE_THREAD: face_cycle(backend.db),
        ASYNC_FACE_HOPPING: face_cycle(backend.hopping),
        AIOSQLITE_FACE: face_cycle(backend.aiosqlite),
    }


def offset_page_operation(backend: Backend, table_rows: int, calls: int) -> Operation:
    db = backend.db
    pages = max(1, table_rows // PAGE - 1)
    offsets = [((i * 37) % pages) * PAGE for i in range(calls)]

    def check(offset: Any, rows: object) -> None:
        ids = [row.id for row in rows] if isinstance(rows, list) else rows
        expect(ids == list(range(offset + 1, offset + PAGE + 1)), f"page at offset {offset} gave {ids!r}")

    def statement(offset: int) -> Any:
        return select(Item).order_by(Item.id.asc()).limit(PAGE).offset(offset)

    def raw(offset: int) -> object:
        with Session(db.sync_engine, expire_on_commit=False) as session:
            rows = list(session.scalars(statement(offset)))
            session.commit()
        return rows

    def face(offset: int) -> object:
        with db.unit_of_work(Store) as uow:
            return uow.items.list(order_by="id", limit=PAGE, offset=offset)

    async def raw_step(session: AsyncSession, offset: int) -> object:
        return list(await session.scalars(statement(offset)))

    op = Operation(f"{PAGE}-row page by offset", "µs", offsets, check)
    op.sync = {RAW: raw, SYNC_FACE: face}
    op.asynchronous = async_variants(
        backend, raw_step, lambda uow, offset: uow.items.list(order_by="id", limit=PAGE, offset=offset)
    )
    if backend.aiosqlite is None:
        return op

    def in_unit(uow: Store, offset: int) -> list[Item]:
        return uow.items.list(order_by="id", limit=PAGE, offset=offset)

    op.asynchronous[ATRANSACTION] = lambda offset: db.atransaction(Store, in_unit, offset)
    return op


def keyset_page_operation(backend: Backend, table_rows: int, calls: int) -> Operation:
    """Pages that start after row ``50 * k`` (k >= 1): dualio gets the cursor its own ``page()`` returned there."""
    db = backend.db
    cursors: dict[int, str] = {}
    with db.unit_of_work(Store) as uow:
        page = uow.items.page(order_by="id", limit=PAGE)
        while page.next_cursor is not None and len(cursors) < table_rows // PAGE - 1:
            cursors[page.items[-1].id] = page.next_cursor
            page = uow.items.page(order_by="id", limit=PAGE, after=page.next_cursor)
    positions = sorted(cursors)
    after_ids = [positions[(i * 37) % len(positions)] for i in range(calls)]

    def check(after_id: Any, page: object) -> None:
        items = getattr(page, "items", page)
        ids = [row.id for row in items] if isinstance(items, list) else items
        expect(ids == list(range(after_id + 1, after_id + PAGE + 1)), f"page after {after_id} gave {ids!r}")

    def statement(after_id: int) -> Any:
        # The same work as Repository.page: one row more than the page, to know whether there is a next page.
        return select(Item).where(Item.id > after_id).order_by(Item.id.asc()).limit(PAGE + 1)

    def raw(after_id: int) -> object:
        with Session(db.sync_engine, expire_on_commit=False) as session:
            rows = list(session.scalars(statement(after_id)))[:PAGE]
            session.commit()
        return rows

    def face(after_id: int) -> object:
        with db.unit_of_work(Store) as uow:
            return uow.items.page(order_by="id", limit=PAGE, after=cursors[after_id])

    async def raw_step(session: AsyncSession, after_id: int) -> object:
        return list(await session.scalars(statement(after_id)))[:PAGE]

    op = Operation(f"{PAGE}-row page by keyset", "µs", after_ids, check)
    op.sync = {RAW: raw, SYNC_FACE: face}
    op.asynchronous = async_variants(
        backend, raw_step, lambda uow, after_id: uow.items.page(order_by="id", limit=PAGE, after=cursors[after_id])
    )
    if backend.aiosqlite is None:
        return op

    def in_unit(uow: Store, after_id: int) -> object:
        return uow.items.page(order_by="id", limit=PAGE, after=cursors[after_id])

    op.asynchronous[ATRANSACTION] = lambda after_id: db.atransaction(Store, in_unit, after_id)
    return op


def add_many_operation(backend: Backend, rows: int, calls: int) -> Operation:
    db = backend.db
    batch = [item_values(number) for number in range(rows)]
    names = [values["name"] for values in batch]
    returning = insert(BulkItem).returning(BulkItem)
    ordered = insert(BulkItem).returning(BulkItem, sort_by_parameter_order=True)

    def count() -> int:
        with db.sync_engine.connect() as connection:
            return int(connection.scalar(select(func.count()).select_from(BulkItem)) or 0)

    def check(_: Any, result: object) -> None:
        stored = count()
        expect(stored == rows, f"add_many stored {stored} rows, not {rows}")
        if result is None:  # no RETURNING
            return
        expect(isinstance(result, list), f"add_many returned {type(result).__name__}, not a list")
        returned: list[Any] = result if isinstance(result, list) else []
        expect(sorted(row.name for row in returned) == sorted(names), "add_many did not return the rows it inserted")
        expect(all(row.id is not None for row in returned), "add_many returned rows without their ids")

    def empty() -> None:
        with db.sync_engine.begin() as connection:
            if backend.aiosqlite is None:
                connection.execute(text(f"TRUNCATE {BulkItem.__tablename__} RESTART IDENTITY"))
            else:
                connection.execute(text(f"DELETE FROM {BulkItem.__tablename__}"))
        if backend.aiosqlite is not None:  # every sample starts from an empty write-ahead log
            sqlite_outside_transaction(db.sync_engine, "PRAGMA wal_checkpoint(TRUNCATE)")

    def raw(statement: Any) -> SyncCycle:
        def cycle(_: int) -> object:
            with Session(db.sync_engine, expire_on_commit=False) as session:
                result = list(session.scalars(statement, batch))
                session.commit()
            return result

        return cycle

    def raw_plain(_: int) -> object:
        with Session(db.sync_engine, expire_on_commit=False) as session:
            session.execute(insert(BulkItem), batch)
            session.commit()
        return None

    def face(_: int) -> object:
        with db.unit_of_work(Store) as uow:
            return uow.bulk.add_many(batch)

    op = Operation(f"add_many of {rows:,} rows", "ms", list(range(calls)), check, after_each=empty, rows_per_call=rows)
    op.sync = {RAW: raw(returning), RAW + ORDERED: raw(ordered), RAW + NO_RETURNING: raw_plain, SYNC_FACE: face}

    async def raw_step(session: AsyncSession, _: int) -> object:
        return list(await session.scalars(returning, batch))

    async def raw_ordered_step(session: AsyncSession, _: int) -> object:
        return list(await session.scalars(ordered, batch))

    async def raw_plain_step(session: AsyncSession, _: int) -> object:
        await session.execute(insert(BulkItem), batch)
        return None

    variants = async_variants(backend, raw_step, lambda uow, _: uow.bulk.add_many(batch))
    raw_name = RAW_ASYNC if backend.aiosqlite is None else RAW_AIOSQLITE
    extra_ordered = async_variants(backend, raw_ordered_step, lambda uow, _: uow.bulk.add_many(batch))
    extra_plain = async_variants(backend, raw_plain_step, lambda uow, _: uow.bulk.add_many(batch))
    op.asynchronous = {
        raw_name: variants[raw_name],
        raw_name + ORDERED: extra_ordered[raw_name],
        raw_name + NO_RETURNING: extra_plain[raw_name],
        **{name: cycle for name, cycle in variants.items() if name != raw_name},
    }
    if backend.aiosqlite is None:
        return op

    def in_unit(uow: Store) -> list[BulkItem]:
        return uow.bulk.add_many(batch)

    op.asynchronous[ATRANSACTION] = lambda _: db.atransaction(Store, in_unit)
    return op


# -- targets and tables --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Measured:
    backend: str
    operation: Operation
    summaries: dict[str, Summary]
    cpu: dict[str, float]  # median CPU seconds per unit (this process, all threads), over the recorded rounds


def counterpart(name: str, sqlite: bool) -> str | None:
    """The raw contender a dualio (or extra) row is compared with, or None for the raw rows themselves."""
    raw_async = RAW_AIOSQLITE if sqlite else RAW_ASYNC
    if name in (SYNC_FACE, RAW_DEFAULTS):
        return RAW
    if name in (ASYNC_FACE, ASYNC_FACE_THREAD, ASYNC_FACE_HOPPING, AIOSQLITE_FACE, ATRANSACTION):
        return raw_async
    return None


def table(measured: Measured) -> str:
    summaries = measured.summaries
    operation = measured.operation
    sqlite = measured.backend == "SQLite"
    scale = 1e3 if operation.unit == "ms" else 1e6
    bulk = operation.rows_per_call > 0
    headers = ["contender", f"median {operation.unit}", f"min {operation.unit}", f"p90 {operation.unit}"]
    headers += ["rows/s"] if bulk else []
    headers += ["vs raw Session", "vs its raw counterpart", f"CPU {operation.unit}", "CPU vs counterpart"]
    raw = summaries[RAW].median
    rows = []
    for name, summary in summaries.items():
        cells = [f"{value * scale:.1f}" for value in (summary.median, summary.min, summary.quantile(0.9))]
        if bulk:
            cells.append(f"{operation.rows_per_call / summary.median:,.0f}")
        other = counterpart(name, sqlite)
        cells.append(f"{summary.median / raw:.2f}x")
        cells.append("" if other is None else f"{summary.median / summaries[other].median:.2f}x")
        cells.append(f"{measured.cpu[name] * scale:.1f}")
        cells.append("" if other is None else f"{measured.cpu[name] / measured.cpu[other]:.2f}x")
        rows.append([name, *cells])
    return markdown_table(headers, rows)


def evaluate(measured: Measured) -> list[Target]:
    summaries = measured.summaries
    operation = measured.operation
    prefix = f"{measured.backend}, {operation.title}:"
    sqlite = measured.backend == "SQLite"

    def ratio(name: str, other: str) -> float:
        return summaries[name].median / summaries[other].median

    def face_target(face: str, raw: str) -> Target:
        if operation.rows_per_call:
            return Target(f"{prefix} {face} >= 0.9x the throughput of {raw}", ratio(raw, face), 0.9)
        return Target(f"{prefix} {face} <= 1.10x {raw}", ratio(face, raw), 1.10, at_most=True)

    targets = [face_target(SYNC_FACE, RAW)]
    if not sqlite:
        return [*targets, face_target(ASYNC_FACE, RAW_ASYNC)]
    return [
        *targets,
        face_target(ASYNC_FACE_THREAD, RAW_AIOSQLITE),
        face_target(AIOSQLITE_FACE, RAW_AIOSQLITE),
        Target(f"{prefix} {ASYNC_FACE_THREAD} <= 1.5x {SYNC_FACE}", ratio(ASYNC_FACE_THREAD, SYNC_FACE), 1.5, True),
    ]


# -- set-up --------------------------------------------------------------------------------------------------------


def load(db: Database, table_rows: int) -> None:
    Base.metadata.create_all(db.sync_engine)
    with Session(db.sync_engine) as session:
        session.execute(insert(Item), [{"id": n, **item_values(n)} for n in range(1, table_rows + 1)])
        session.commit()
    if db.backend == "postgresql":
        with db.sync_engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")
    else:
        sqlite_outside_transaction(db.sync_engine, "ANALYZE")
        sqlite_outside_transaction(db.sync_engine, "PRAGMA wal_checkpoint(TRUNCATE)")


def sqlite_outside_transaction(engine: Engine, statement: str) -> None:
    """Run a statement on a pooled SQLite connection outside any transaction (a checkpoint refuses to run in one)."""
    connection = engine.raw_connection()
    try:
        connection.cursor().execute(statement).fetchall()
    finally:
        connection.close()


def start_postgres(stack: ExitStack) -> str:
    """Start an embedded PostgreSQL (pgserver) in a temporary directory; return its URL. Stopped by ``stack``."""
    if "XDG_RUNTIME_DIR" not in os.environ:  # platformdirs (used by pgserver) warns when it is unset
        # pgserver keeps a lock file there until the interpreter exits: remove the directory at exit, after it.
        runtime = tempfile.mkdtemp(prefix="dualio-bench-run-")
        atexit.register(shutil.rmtree, runtime, ignore_errors=True)
        os.environ["XDG_RUNTIME_DIR"] = runtime
    directory = stack.enter_context(tempfile.TemporaryDirectory(prefix="dualio-bench-pg-"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pgserver.postgres_server import get_server

        server = get_server(directory, cleanup_mode="stop")
    stack.callback(server.cleanup)
    uri: str = server.get_uri()
    return uri


def open_backend(stack: ExitStack, name: str, table_rows: int) -> Backend:
    runner = asyncio.Runner()
    if name == "postgresql":
        url = start_postgres(stack)
        db = Database(url)
        stack.callback(db.dispose)
        defaults = create_engine(db.target.sync_url)
        stack.callback(defaults.dispose)
        load(db, table_rows)
        stack.enter_context(runner)  # closed first: its loop's async engines are disposed on it
        return Backend("PostgreSQL", db, runner, None, defaults)
    directory = stack.enter_context(tempfile.TemporaryDirectory(prefix="dualio-bench-sqlite-"))
    path = os.path.join(directory, "bench.db")
    db = Database(f"sqlite:///{path}")
    stack.callback(db.dispose)
    aiosqlite = Database(f"sqlite+aiosqlite:///{path}")
    stack.callback(aiosqlite.dispose)
    hopping = Database(f"sqlite:///{path}", sqlite_inline_budget=0)
    stack.callback(hopping.dispose)
    defaults = create_engine(f"sqlite:///{path}")
    stack.callback(defaults.dispose)
    load(db, table_rows)
    stack.enter_context(runner)
    return Backend("SQLite", db, runner, aiosqlite, defaults, hopping)


def load_average_note(before: tuple[float, float, float]) -> str:
    """Say how busy the machine was (1-minute load average before and after the run, against the core count)."""
    after = os.getloadavg()
    return (
        f"Machine load (1-minute load average, {os.cpu_count()} cores): {before[0]:.1f} at the start, "
        f"{after[0]:.1f} at the end."
    )


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=None, help="recorded rounds (default 11; 1 with --quick)")
    parser.add_argument(
        "--calls", type=int, default=None, help="units of work per get/page batch (default 200; 10 with --quick)"
    )
    parser.add_argument("--rows", type=int, default=None, help="rows per add_many (default 10000; 200 with --quick)")
    parser.add_argument("--add-many-calls", type=int, default=1, help="add_many units per sample (default 1)")
    parser.add_argument(
        "--table-rows", type=int, default=None, help="rows read by get/page (default 10000; 500 with --quick)"
    )
    parser.add_argument("--backend", choices=("all", "sqlite", "postgresql"), default="all")
    parser.add_argument("--quick", action="store_true", help="small numbers for a smoke test; writes no file")
    parser.add_argument("--output", default=None, help="Markdown file to write (default results/db.md)")
    parser.add_argument(
        "--gc-off", action="store_true", help="disable the cyclic garbage collector while measuring (its share)"
    )
    args = parser.parse_args()
    args.rounds = args.rounds or (1 if args.quick else 11)
    args.calls = args.calls or (10 if args.quick else 200)
    args.rows = args.rows or (200 if args.quick else 10_000)
    args.table_rows = args.table_rows or (500 if args.quick else 10_000)
    if args.table_rows < 3 * PAGE:
        parser.error(f"--table-rows must be at least {3 * PAGE}")
    return args


def main() -> None:
    args = parse_arguments()
    load_before = os.getloadavg()
    backends = ["sqlite", "postgresql"] if args.backend == "all" else [args.backend]
    results: list[Measured] = []
    for backend_name in backends:
        with ExitStack() as stack:
            backend = open_backend(stack, backend_name, args.table_rows)
            operations = [
                get_operation(backend, args.table_rows, args.calls),
                offset_page_operation(backend, args.table_rows, args.calls),
                keyset_page_operation(backend, args.table_rows, args.calls),
                add_many_operation(backend, args.rows, args.add_many_calls),
            ]
            for operation in operations:
                print(f"{backend.name}: {operation.title}", file=sys.stderr, flush=True)
                cpu: dict[str, list[float]] = {}
                summaries = run_interleaved(contenders(backend, operation, cpu), args.rounds, gc_off=args.gc_off)
                cpu_median = {name: statistics.median(values[-args.rounds :]) for name, values in cpu.items()}
                results.append(Measured(backend.name, operation, summaries, cpu_median))
    intro = (
        f"Whole units of work (open a session, do the operation, commit, close) through dualio.db's faces and "
        f"through raw SQLAlchemy on the same engines; {args.rounds} interleaved rounds per operation after one "
        f"warm-up round; a get/page sample is the mean over {args.calls} units, an add_many sample one unit of "
        f"{args.rows:,} rows (the table is emptied after each, off the clock). Ratios are of medians: "
        f"'vs raw Session' is times the raw sync Session's time; 'vs its raw counterpart' compares a dualio face "
        f"with the raw session of its own mode (raw AsyncSession for the async faces). 'CPU' is the CPU time of this "
        f"process (every thread) per unit, median over rounds: it leaves out the database server's work and the "
        f"time spent waiting for a core, so it shows the client-side cost even on a busy machine."
        + (" **The cyclic garbage collector was disabled while measuring (`--gc-off`).**" if args.gc_off else "")
        + f" {load_average_note(load_before)}"
    )
    tables = []
    targets: list[Target] = []
    for measured in results:
        tables.append(f"### {measured.backend}: {measured.operation.title}\n\n{table(measured)}")
        targets += evaluate(measured)
    text_ = report("dualio.db against raw SQLAlchemy", intro, "\n\n".join(tables), targets, PACKAGES)
    publish(text_, default_output("db.md", args.quick, args.output))


if __name__ == "__main__":
    main()
