"""``with twin.m(...) as x:``: the call and ``__aenter__`` of its result run in one round trip, as ``async with``.

Round trips are counted with the portal's ``tasks_completed``: each blocking call is one task on the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import gc
import sys
from collections.abc import AsyncIterator, Generator
from contextlib import asynccontextmanager
from typing import Any

import pytest

import dualio
from dualio.twin import _entering, _runtime, set_timeout, sync_class, timeout, unwrap, use_portal
from dualio.twin.examples.store import Store

_state: contextvars.ContextVar[str] = contextvars.ContextVar("state", default="unset")


class AsyncLease:
    """What ``AsyncPool.acquire()`` returns: awaitable (a bare slot) and an async context manager (a lease)."""

    def __init__(self, pool: AsyncPool) -> None:
        self.pool = pool

    def __await__(self) -> Generator[Any, None, str]:
        return self._bare().__await__()

    async def _bare(self) -> str:
        return "bare slot"

    async def __aenter__(self) -> str:
        self.pool.leased += 1
        _state.set("entered")  # set in __aenter__, read back in __aexit__: one context for both halves
        if self.pool.fail_enter:
            raise RuntimeError("no slot free")
        return f"lease {self.pool.leased}"

    async def __aexit__(self, exc_type: type[BaseException] | None, *rest: object) -> bool:
        self.pool.released.append((_state.get(), exc_type))
        return exc_type is KeyError  # suppresses a KeyError raised in the block


class AsyncPool:
    def __init__(self) -> None:
        self.leased = 0
        self.released: list[tuple[str, type[BaseException] | None]] = []
        self.fail_enter = False
        self.enter_delay = 0.0

    def acquire(self) -> AsyncLease:
        return AsyncLease(self)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[str]:
        await asyncio.sleep(self.enter_delay)
        yield "session"
        self.released.append(("session", None))

    async def open_session(self) -> Any:
        return self.session()

    async def number(self) -> int:
        return 7


Pool: Any = sync_class(AsyncPool)


@pytest.fixture
def pool(portal: dualio.Portal) -> Any:
    with use_portal(portal):
        return Pool()


def trips(portal: dualio.Portal) -> int:
    return portal.statistics().tasks_completed


def test_this_interpreter_is_understood() -> None:
    assert _entering._WITH_CODE, f"no with instruction learnt on {sys.version}: nothing would be merged"


def test_an_awaitable_context_manager_is_entered_in_one_round_trip(pool: Any, portal: dualio.Portal) -> None:
    before = trips(portal)
    with pool.acquire() as lease:
        assert lease == "lease 1"  # entered like `async with pool.acquire() as lease`, not awaited
        assert trips(portal) == before + 1
    assert trips(portal) == before + 2
    assert unwrap_pool(pool).released == [("entered", None)]


def test_the_same_result_used_any_other_way_is_awaited(pool: Any, portal: dualio.Portal) -> None:
    assert pool.acquire() == "bare slot"  # like `await pool.acquire()`
    lease = pool.acquire()
    assert lease == "bare slot"
    assert unwrap_pool(pool).leased == 0


def test_an_asynccontextmanager_method_costs_two_round_trips_not_three(
    kv: Store, pool: Any, portal: dualio.Portal
) -> None:
    before = trips(portal)
    with pool.session() as session:
        assert session == "session"
        assert trips(portal) == before + 1
    assert trips(portal) == before + 2
    with kv.transaction() as cursor:  # generated and run-time twins alike
        assert cursor.fetch(1) == [("a", b"1")]
    assert trips(portal) == before + 5  # call+enter, fetch, exit
    manager = kv.transaction()  # not entered at once: the ordinary path, one more round trip
    with manager as cursor:
        assert cursor.store is kv
    assert trips(portal) == before + 8


def test_an_async_method_returning_a_context_manager_is_entered_in_the_same_round_trip(
    pool: Any, portal: dualio.Portal
) -> None:
    before = trips(portal)
    with pool.open_session() as session:
        assert session == "session"
        assert trips(portal) == before + 1
    assert unwrap_pool(pool).released == [("session", None)]


def test_a_result_that_is_not_a_context_manager_behaves_as_before(pool: Any) -> None:
    with pytest.raises((TypeError, AttributeError)), pool.number():  # `with 7:`: the with statement's own error
        pass


def test_an_error_in_aenter_reaches_the_with_line_and_aexit_does_not_run(pool: Any) -> None:
    unwrap_pool(pool).fail_enter = True
    with pytest.raises(RuntimeError, match="no slot free"), pool.acquire():
        pytest.fail("the block must not run")
    assert unwrap_pool(pool).released == []


def test_an_error_in_the_block_reaches_aexit_which_may_suppress_it(pool: Any) -> None:
    def raise_inside(error: Exception) -> None:
        with pool.acquire():
            raise error

    raise_inside(KeyError("suppressed by __aexit__"))
    with pytest.raises(ValueError, match="kept"):
        raise_inside(ValueError("kept"))
    assert unwrap_pool(pool).released == [("entered", KeyError), ("entered", ValueError)]


def test_the_call_and_aenter_share_the_timeout_in_force(pool: Any) -> None:
    unwrap_pool(pool).enter_delay = 5.0
    with timeout(0.1, pool), pytest.raises(TimeoutError), pool.session():
        pytest.fail("the block must not run")
    unwrap_pool(pool).enter_delay = 0.0
    assert pool.number() == 7  # the twin still works after the cancelled enter


def test_calls_not_written_straight_into_with_are_not_merged(pool: Any, portal: dualio.Portal) -> None:
    def helper() -> Any:
        return pool.acquire()  # returned, not entered: awaited

    assert helper() == "bare slot"
    entered = len(helper.__name__) > 0  # a condition the compiler cannot fold away
    before = trips(portal)
    with pool.session() if entered else contextlib.nullcontext() as session:  # a jump between the call and with
        assert session == "session"
    assert trips(portal) == before + 3


def unwrap_pool(pool: Any) -> AsyncPool:
    result: AsyncPool = unwrap(pool)
    return result


def test_a_merged_result_dropped_without_being_entered_is_exited_all_the_same(pool: Any) -> None:
    merged = _runtime._call_and_enter(pool, AsyncPool.acquire, (), {}, sys._getframe())  # `with pool.acquire()`
    assert isinstance(merged, _entering.EnteredResult)
    del merged  # as if C code between the call and the `with` had dropped it
    gc.collect()
    assert pool.number() == 7  # queued after the abandoned __aexit__, so that ran first
    async_pool = unwrap_pool(pool)
    assert async_pool.leased == 1
    assert [exc_type for _seen, exc_type in async_pool.released] == [None]


def test_a_call_made_by_c_code_inside_a_with_line_leaves_no_lease_open(pool: Any) -> None:
    with pytest.raises(TypeError), list(map(Pool.acquire, [pool])):  # type: ignore[attr-defined]  # list: no with
        pytest.fail("the block must not run")  # list() called the method and returned something `with` refuses
    gc.collect()
    assert pool.number() == 7
    async_pool = unwrap_pool(pool)  # merged (3.13: entered, then exited when dropped) or not (3.11, 3.12)
    assert async_pool.leased == len(async_pool.released)


def test_the_ordinary_path_limits_each_half_by_the_twins_timeout(pool: Any) -> None:
    unwrap_pool(pool).enter_delay = 5.0
    set_timeout(pool, 0.1)
    manager = pool.session()  # not entered at once: a context manager mapped from the @asynccontextmanager
    with pytest.raises(TimeoutError):
        manager.__enter__()
    set_timeout(pool, None)
    unwrap_pool(pool).enter_delay = 0.0
    assert pool.number() == 7


def test_a_merged_call_on_its_own_loop_raises_deadlock_error_naming_the_twin_method(
    pool: Any, portal: dualio.Portal
) -> None:
    async def enters_the_twin_from_the_loop() -> None:
        with pool.acquire():
            pass

    async def calls_the_twin_from_the_loop() -> None:
        pool.acquire()

    # The same error, naming the same call, as an unmerged twin call made there.
    for made_there in (enters_the_twin_from_the_loop, calls_the_twin_from_the_loop):
        with pytest.raises(dualio.DeadlockError, match=r"^Pool\.acquire\(\) was called on the event-loop thread"):
            portal.run(made_there, timeout=5)
    assert unwrap_pool(pool).leased == 0
