"""The calls of a held ``with`` block's body run in the task that holds it (``_hosting``, since stop 27).

As the lines of an ``async with`` body run in the task that entered it: a library that keys its state by task
(databases: one connection per ``asyncio.current_task()``) or by context variable (tortoise's
``in_transaction()``) sees the body inside its block. Before, each call of the body ran in a task of its own, in
a copy of the caller's context: a databases transaction's body was autocommitted on another connection, with no
error (review 16a). A call's timeout cancels only that call; nested blocks share the task; calls from other
threads keep tasks of their own.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import databases
import pytest

import dualio
from dualio.twin import sync_class, unwrap, use_portal

scope: contextvars.ContextVar[str] = contextvars.ContextVar("scope", default="none")


class AsyncScope:
    """Sets ``scope`` in ``__aenter__`` and resets it with its token in ``__aexit__``; records the tasks."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.tasks: list[str] = []

    async def __aenter__(self) -> AsyncScope:
        self._token = scope.set(self.name)
        self.tasks.append(f"enter {id(asyncio.current_task())}")
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        scope.reset(self._token)
        self.tasks.append(f"exit {id(asyncio.current_task())}")


async def where() -> tuple[int, str]:
    await asyncio.sleep(0)
    return id(asyncio.current_task()), scope.get()


async def slow() -> None:
    await asyncio.sleep(10)


def test_the_body_s_calls_run_in_the_holding_task_and_its_context(portal: dualio.Portal) -> None:
    with portal.enter(AsyncScope("outer")) as outer:
        first = portal.run(where())
        second = portal.run(where())
    holder = int(outer.tasks[0].split()[1])
    assert first == second == (holder, "outer")
    assert outer.tasks == [f"enter {holder}", f"exit {holder}"]
    after = portal.run(where())
    assert after[0] != holder
    assert after[1] == "none"  # the block's variable was reset by its own token, in its own context


def test_a_nested_block_is_held_by_the_same_task(portal: dualio.Portal) -> None:
    with portal.enter(AsyncScope("outer")) as outer:
        with portal.enter(AsyncScope("inner")) as inner:
            in_inner = portal.run(where())
        in_outer = portal.run(where())
    holder = int(outer.tasks[0].split()[1])
    assert inner.tasks == [f"enter {holder}", f"exit {holder}"]
    assert in_inner == (holder, "inner")
    assert in_outer == (holder, "outer")


def test_a_call_s_timeout_cancels_that_call_only(portal: dualio.Portal) -> None:
    with portal.enter(AsyncScope("outer")) as outer:
        with pytest.raises(TimeoutError, match=r"slow did not finish within 0\.05 s; it was cancelled"):
            portal.run(slow(), timeout=0.05)
        still = portal.run(where())  # the block is still held, by the same task
    holder = int(outer.tasks[0].split()[1])
    assert still == (holder, "outer")
    assert outer.tasks[-1] == f"exit {holder}"


def test_an_error_of_a_call_reaches_the_caller_and_the_block_goes_on(portal: dualio.Portal) -> None:
    async def fail() -> None:
        raise LookupError("not there")

    with portal.enter(AsyncScope("outer")) as outer:
        with pytest.raises(LookupError, match="not there"):
            portal.run(fail())
        assert portal.run(where())[1] == "outer"
    assert len(outer.tasks) == 2


def test_calls_of_other_threads_keep_tasks_of_their_own(portal: dualio.Portal) -> None:
    seen: list[tuple[int, str]] = []
    with portal.enter(AsyncScope("outer")) as outer:
        thread = threading.Thread(target=lambda: seen.append(portal.run(where())))
        thread.start()
        thread.join()
        mine = portal.run(where())
    holder = int(outer.tasks[0].split()[1])
    assert mine == (holder, "outer")
    assert seen[0][0] != holder
    assert seen[0][1] == "none"


def test_submit_in_the_body_runs_in_a_task_of_its_own(portal: dualio.Portal) -> None:
    with portal.enter(AsyncScope("outer")) as outer:
        submitted = portal.submit(where()).result(timeout=5)
    holder = int(outer.tasks[0].split()[1])
    assert submitted[0] != holder
    assert submitted[1] == "none"  # a copy of your thread's context, not the block's


# A real library that keys its connection by task: encode/databases on SQLite (aiosqlite).


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Any]:
    database_class = sync_class(databases.Database)
    with database_class(f"sqlite+aiosqlite:///{tmp_path / 'notes.db'}") as db:
        db.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, title TEXT UNIQUE)")
        yield db


def titles(db: Any) -> list[str]:
    return [row[0] for row in db.fetch_all("SELECT title FROM notes ORDER BY id")]


def test_a_databases_transaction_rolls_back_the_body_on_an_error(database: Any) -> None:
    with pytest.raises(LookupError), database.transaction():  # noqa: PT012  # the body is what is tested
        database.execute("INSERT INTO notes (title) VALUES ('lost')")
        raise LookupError("the body fails")
    assert titles(database) == []  # before stop 27: ['lost'], autocommitted on another task's connection
    with database.transaction():
        database.execute("INSERT INTO notes (title) VALUES ('kept')")
        database.execute("INSERT INTO notes (title) VALUES ('kept too')")
    assert titles(database) == ["kept", "kept too"]


def test_a_failing_statement_rolls_back_the_statements_before_it(database: Any) -> None:
    database.execute("INSERT INTO notes (title) VALUES ('first')")
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"), database.transaction():  # noqa: PT012
        database.execute("INSERT INTO notes (title) VALUES ('second')")
        database.execute("INSERT INTO notes (title) VALUES ('first')")  # the last call: merged with __aexit__
    assert titles(database) == ["first"]


def test_a_databases_transaction_entered_with_force_rollback(database: Any) -> None:
    with database.transaction(force_rollback=True):
        database.execute("INSERT INTO notes (title) VALUES ('draft')")
        assert titles(database) == ["draft"]  # seen inside: the same connection
    assert titles(database) == []


def test_the_twin_of_a_connection_s_transaction_on_a_lending_portal(tmp_path: Path) -> None:
    with dualio.Portal("lending-tx", lend_loop=True) as portal, use_portal(portal):
        db = sync_class(databases.Database)(f"sqlite+aiosqlite:///{tmp_path / 'lent.db'}")
        with db:
            db.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, title TEXT)")
            with pytest.raises(KeyError), db.transaction():  # noqa: PT012  # the body is what is tested
                db.execute("INSERT INTO notes (title) VALUES ('lost')")
                raise KeyError("rolled back")
            assert db.fetch_all("SELECT * FROM notes") == []


async def swallows_its_cancellation() -> str:
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        return "went on"
    return "slept"


def test_a_call_that_swallows_its_timeout_leaves_the_block_uncancelled(portal: dualio.Portal) -> None:
    with portal.enter(AsyncScope("outer")) as outer:
        with pytest.raises(TimeoutError, match=r"swallows_its_cancellation did not finish within 0\.05 s"):
            portal.run(swallows_its_cancellation(), timeout=0.05)
        assert portal.run(slept_briefly()) == "slept"  # not cancelled by the earlier call's leftover request
    assert outer.tasks[-1].startswith("exit")


async def slept_briefly() -> str:
    await asyncio.sleep(0.01)
    return "slept"


def test_a_nested_block_left_open_at_shutdown_exits_both_blocks() -> None:
    outer, inner = AsyncScope("outer"), AsyncScope("inner")
    portal = dualio.Portal("nested-shutdown")
    outer_block = portal.enter(outer)
    outer_block.__enter__()
    with portal.enter(AsyncScope("first inner")):
        pass  # a nested block that ends leaves the outer one registered as its task's block to stop
    assert len(portal._holders) == 1
    inner_block = portal.enter(inner)
    inner_block.__enter__()  # held by the outer block's task
    portal.shutdown()  # both blocks left open: their __aexit__ runs, innermost first
    assert [event.split()[0] for event in inner.tasks] == ["enter", "exit"]
    assert [event.split()[0] for event in outer.tasks] == ["enter", "exit"]
    assert not portal._holders


def test_a_block_held_in_a_context_takes_no_calls_made_in_that_context_by_another_thread(
    portal: dualio.Portal,
) -> None:
    left_open: list[Any] = []

    def enter_and_end() -> None:
        block = portal.enter(AsyncScope("abandoned"))
        left_open.append((block, block.__enter__(), contextvars.copy_context()))

    thread = threading.Thread(target=enter_and_end)
    thread.start()
    thread.join()
    block, scope_object, its_context = left_open[0]
    holder = int(scope_object.tasks[0].split()[1])
    # This thread runs a copy of the holding thread's context (as asyncio.to_thread or a pool would): the block is
    # in it, but its calls are not the holding thread's, so they run in tasks of their own.
    assert its_context.run(portal.run, where())[0] != holder
    block.__exit__(None, None, None)  # any thread may end it
    assert scope_object.tasks[-1] == f"exit {holder}"


def test_a_pool_thread_routes_no_request_into_another_requests_block(portal: dualio.Portal) -> None:
    # Review 20c (FastAPI): a sync `yield` dependency's `with` is entered in one pool job and ended in another,
    # and the pool thread serves other requests meanwhile, each job in a copy of its request's context. Keyed by
    # thread, the other requests' calls ran in the held block's task, and their own blocks were taken for nested
    # ones (exits refused, wrong results, hung requests).
    request_one, request_two = contextvars.copy_context(), contextvars.copy_context()
    first = portal.enter(AsyncScope("request one"))
    entered_one = request_one.run(first.__enter__)  # the dependency's start, in request one's job
    holder_one = int(entered_one.tasks[0].split()[1])
    assert request_one.run(portal.run, where())[0] == holder_one  # request one's body: in its block, as before
    assert request_two.run(portal.run, where())[0] != holder_one  # request two, same thread: not in it
    second = portal.enter(AsyncScope("request two"))
    entered_two = request_two.run(second.__enter__)
    holder_two = int(entered_two.tasks[0].split()[1])
    assert holder_two != holder_one  # request two's block is its own, not nested in request one's
    request_one.run(first.__exit__, None, None, None)  # request one ends first: not refused
    assert entered_one.tasks[-1] == f"exit {holder_one}"
    assert request_two.run(portal.run, where())[0] == holder_two
    request_two.run(second.__exit__, None, None, None)
    assert entered_two.tasks[-1] == f"exit {holder_two}"


# Review 17a: blocks ended out of order, the thread's context variables, a task group failing mid-call.

tenant: contextvars.ContextVar[str] = contextvars.ContextVar("tenant", default="none")


async def sleeps_long() -> str:
    await asyncio.sleep(10)
    return "slept"


async def tenant_and_scope() -> tuple[str, str]:
    return tenant.get(), scope.get()


def test_ending_an_outer_block_before_an_inner_one_is_refused_not_hung(portal: dualio.Portal) -> None:
    outer_block, inner_block = portal.enter(AsyncScope("outer")), portal.enter(AsyncScope("inner"))
    outer_block.__enter__()
    inner_block.__enter__()  # held by the outer block's task, inside it
    with pytest.raises(RuntimeError, match=r"cannot end before the with block of AsyncScope entered inside it"):
        outer_block.__exit__(None, None, None)  # before: hung forever
    assert portal.run(where())[1] == "inner"  # both still held
    inner_block.__exit__(None, None, None)
    outer_block.__exit__(None, None, None)
    assert not portal._holders


def test_context_variables_the_thread_sets_in_the_block_reach_its_calls(portal: dualio.Portal) -> None:
    def in_a_fresh_context() -> None:  # the thread's variables as a new request would have them
        tenant.set("before")
        with portal.enter(AsyncScope("outer")):
            assert portal.run(tenant_and_scope()) == ("before", "outer")
            token = tenant.set("acme")  # a request id, a tenant: set by the thread inside the block
            assert portal.run(tenant_and_scope()) == ("acme", "outer")  # before: ("before", "outer")
            tenant.reset(token)
            assert portal.run(tenant_and_scope()) == ("before", "outer")  # set back: handed over again
            scope.set("thread's own")  # the thread sets the block's variable too: the thread's value wins
            assert portal.run(tenant_and_scope()) == ("before", "thread's own")
        assert portal.run(tenant_and_scope()) == ("before", "thread's own")

    contextvars.copy_context().run(in_a_fresh_context)


class AsyncFailingGroup:
    """An ``asyncio.TaskGroup`` entered by ``__aenter__`` whose child fails while the body's call runs."""

    async def __aenter__(self) -> AsyncFailingGroup:
        self._group = asyncio.TaskGroup()
        await self._group.__aenter__()
        self._group.create_task(self._fail_soon())
        return self

    async def _fail_soon(self) -> None:
        await asyncio.sleep(0.05)
        raise ValueError("child failed")

    async def __aexit__(self, *exc_info: Any) -> None:
        await self._group.__aexit__(*exc_info)


def test_a_call_cancelled_with_its_block_says_so_and_the_block_s_end_raises_the_group(
    portal: dualio.Portal,
) -> None:
    with pytest.raises(ExceptionGroup) as group, portal.enter(AsyncFailingGroup()):  # noqa: PT012  # its end raises
        with pytest.raises(concurrent.futures.CancelledError) as cancelled:
            portal.run(sleeps_long())  # before: the ExceptionGroup, raised a second time by the block's end
        assert "the with block of AsyncFailingGroup whose task ran it was cancelled" in str(cancelled.value.__notes__)
    assert group.group_contains(ValueError, match="child failed")


def test_twins_ended_out_of_order_are_refused_and_stay_open(portal: dualio.Portal) -> None:
    scope_class = sync_class(AsyncScope)
    with use_portal(portal):
        outer, inner = scope_class("outer"), scope_class("inner")
    outer.__enter__()
    inner.__enter__()
    with pytest.raises(RuntimeError, match="end the inner block first"):
        outer.__exit__(None, None, None)
    inner.__exit__(None, None, None)
    outer.__exit__(None, None, None)
    assert [event.split()[0] for event in unwrap(outer).tasks] == ["enter", "exit"]
