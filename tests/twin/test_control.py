"""Timeouts, cancellation, Ctrl-C, deadlock, closing and bad input: the portal's behaviour, through twins."""

from __future__ import annotations

import asyncio
import pickle
import signal
import threading
import time

import pytest

import dualio
from dualio import twin
from dualio.twin import TwinClosedError, sync_class, use_portal
from dualio.twin.examples._async_store import AsyncStore, StoreError
from dualio.twin.examples.store import Store

from .conftest import Flavour


def _wait_until(condition: object, what: str) -> None:
    deadline = time.monotonic() + 10
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.005)


# -- timeouts ------------------------------------------------------------------------------------------------


def test_a_per_instance_default_timeout_cancels_the_call_on_the_loop(kv: Store, portal: dualio.Portal) -> None:
    assert twin.get_timeout(kv) is None
    twin.set_timeout(kv, 0.05)
    assert twin.get_timeout(kv) == 0.05
    with pytest.raises(TimeoutError, match=r"did not finish within 0\.05 s; it was cancelled"):
        kv.sleep(30)
    assert kv.cleanups == 1  # cancelled on the loop, and its cleanup ran before the call returned
    assert kv.sleeping is False
    assert portal.statistics().tasks_pending == 0
    twin.set_timeout(kv, None)
    assert kv.sleep(0) == "slept"


def test_twins_returned_by_a_twin_start_with_its_timeout(kv: Store) -> None:
    twin.set_timeout(kv, 7.5)
    assert twin.get_timeout(kv.cursor()) == 7.5


def test_a_scoped_override_applies_inside_the_block_only(kv: Store) -> None:
    twin.set_timeout(kv, 30)
    with twin.timeout(0.05, kv), pytest.raises(TimeoutError):
        kv.sleep(30)
    assert kv.sleep(0) == "slept"  # the default again
    with twin.timeout(0.05), pytest.raises(TimeoutError):  # no twin named: every twin
        kv.sleep(30)
    twin.set_timeout(kv, 0.05)
    with twin.timeout(None, kv):  # lifts the default inside the block
        assert kv.sleep(0.1) == "slept"


def test_scoped_overrides_nest_and_belong_to_their_thread(kv: Store) -> None:
    seen: list[object] = []

    def other_thread() -> None:
        try:
            seen.append(kv.sleep(0.1))  # the override below belongs to the main thread's context
        except BaseException as exc:
            seen.append(exc)

    with twin.timeout(0.05, kv):
        with twin.timeout(None):  # innermost, and it applies to every twin: no limit here
            assert kv.sleep(0.1) == "slept"
        thread = threading.Thread(target=other_thread)
        thread.start()
        thread.join()
        with pytest.raises(TimeoutError):
            kv.sleep(30)
    assert seen == ["slept"]


def test_the_scoped_timeout_applies_to_iteration_items(kv: Store) -> None:
    kv.latency = 30  # every get() inside the cursor sleeps
    cursor = kv.cursor()
    with twin.timeout(0.05), pytest.raises(TimeoutError):
        list(cursor)  # the timeout in force when iteration starts limits each item
    kv.latency = 0


def test_bad_timeouts_are_refused(kv: Store) -> None:
    with pytest.raises(dualio.InvalidTimeoutError):
        twin.set_timeout(kv, -1)
    with pytest.raises(dualio.InvalidTimeoutError), twin.timeout("soon"):  # type: ignore[arg-type]
        pass
    with pytest.raises(TypeError, match="expects a sync twin"), twin.timeout(1, "kv"):  # type: ignore[arg-type]
        pass


# -- Ctrl-C, deadlock, portal shut down ----------------------------------------------------------------------


def test_ctrl_c_cancels_the_call_waits_for_its_cleanup_and_reraises(kv: Store, portal: dualio.Portal) -> None:
    assert threading.current_thread() is threading.main_thread()
    main = threading.main_thread().ident
    assert main is not None

    def interrupt() -> None:
        _wait_until(lambda: kv.sleeping, "the call to start")
        time.sleep(0.05)
        signal.pthread_kill(main, signal.SIGINT)

    interrupter = threading.Thread(target=interrupt)
    interrupter.start()
    with pytest.raises(KeyboardInterrupt):
        kv.sleep(30)
    interrupter.join()
    assert kv.cleanups == 1
    assert portal.statistics().tasks_pending == 0
    assert kv.get("a") == b"1"  # still usable


def test_a_twin_called_on_its_own_loop_raises_deadlock_error(kv: Store, portal: dualio.Portal) -> None:
    async def calls_the_twin_from_the_loop() -> None:
        kv.get("a")

    with pytest.raises(dualio.DeadlockError, match="would never return"):
        portal.run(calls_the_twin_from_the_loop, timeout=5)


def test_a_twin_called_inside_a_running_loop_follows_the_portal_policy(kv: Store, portal: dualio.Portal) -> None:
    async def inside_another_loop() -> bytes | None:
        return kv.get("a")  # blocks this loop: the portal's running-loop policy decides

    portal.running_loop_policy = "raise"
    with pytest.raises(dualio.BlockingCallError):
        asyncio.run(inside_another_loop())
    portal.running_loop_policy = "warn"
    with pytest.warns(dualio.BlockingCallWarning):
        asyncio.run(inside_another_loop())
    portal.running_loop_policy = "allow"
    assert asyncio.run(inside_another_loop()) == b"1"


def test_a_twin_stays_pinned_to_its_portal(flavour: Flavour, loop_factory: object) -> None:
    with dualio.Portal("pinned", loop_factory=loop_factory) as first:  # type: ignore[arg-type]
        with use_portal(first):
            pinned = flavour.Store("p")
        with dualio.Portal("other") as other, use_portal(other):
            assert pinned.set("k", b"v") is True  # still runs on `first`: AsyncStore refuses other loops
            assert pinned.loop is first.loop
        pinned.close()
    with pytest.raises(dualio.PortalClosedError), use_portal(first):
        flavour.Store("too late")


def test_a_twin_whose_portal_was_shut_down_raises_portal_closed_error(flavour: Flavour) -> None:
    portal = dualio.Portal("short-lived").start()
    with use_portal(portal):
        orphan = flavour.Store("orphan")
    portal.shutdown()
    with pytest.raises(dualio.PortalClosedError) as caught:
        orphan.get("a")
    (note,) = caught.value.__notes__
    assert note.startswith("AsyncStore.get: a twin runs on the portal it was made on for its whole life, and that")
    assert "make a new twin (construct its class again, or twin_of(obj)" in note


class _Pinger:
    async def ping(self) -> str:
        return "pong"


def test_twin_of_an_object_whose_twin_lost_its_portal_gives_a_new_twin() -> None:
    pinger = _Pinger()
    with dualio.Portal("first") as first, use_portal(first):
        old = twin.twin_of(pinger)
        assert old.ping() == "pong"
    with dualio.Portal("second") as second, use_portal(second):
        new = twin.twin_of(pinger)
        assert new is not old  # the dead twin is not given back
        assert twin.portal_of(new) is second
        assert new.ping() == "pong"
        assert twin.twin_of(pinger) is new  # one live twin per object, as ever


def test_a_call_cancelled_by_portal_shutdown_raises_portal_closed_error(flavour: Flavour) -> None:
    portal = dualio.Portal("shut-down-midway", drain_timeout=0.0).start()
    with use_portal(portal):
        doomed = flavour.Store("doomed")
    outcome: list[BaseException] = []

    def call() -> None:
        try:
            doomed.sleep(30)
        except BaseException as exc:
            outcome.append(exc)

    caller = threading.Thread(target=call)
    caller.start()
    _wait_until(lambda: doomed.sleeping, "the call to start")
    portal.shutdown()  # drains for 0 s, then cancels the task: its caller is told why
    caller.join(10)
    assert len(outcome) == 1
    assert isinstance(outcome[0], dualio.PortalClosedError)
    assert doomed.cleanups == 1  # the cancelled call ran its cleanup on the loop


def test_twins_are_created_on_the_default_portal_outside_use_portal(flavour: Flavour) -> None:
    with flavour.Store("default") as created:
        assert twin.portal_of(created) is dualio.default_portal()


# -- closing -------------------------------------------------------------------------------------------------


def test_close_closes_the_async_object_on_its_loop_and_later_calls_fail_clearly(kv: Store) -> None:
    kv.close()
    assert kv.closed is True  # AsyncStore.aclose ran (attribute reads still work)
    assert twin.is_closed(kv)
    kv.close()  # idempotent
    with pytest.raises(TwinClosedError, match=r"Store.get\(\) was called on a closed twin") as caught:
        kv.get("a")
    # Leaving a `with` block runs AsyncStore's own __aexit__ and leaves the twin open (review 17a: the message
    # said "or by leaving its `with` block" for every class).
    assert "(it was closed by close()); make a new one instead (construct Store, or get one" in str(caught.value)
    # twin_of() of the same object gives the same closed twin back; a restartable object is not closed (taskiq's
    # module-level broker, review 38b r04: the advice "get one the way you got this one" led back to this twin)
    assert "twin_of() of it included, stays closed" in str(caught.value)
    assert "(a broker's shutdown() and startup()), not close()" in str(caught.value)
    assert isinstance(caught.value, dualio.DualioError)
    assert isinstance(caught.value, RuntimeError)
    copy = pickle.loads(pickle.dumps(caught.value))
    assert type(copy) is TwinClosedError
    assert str(copy) == str(caught.value)
    for call in (kv.scan, kv.cursor, kv.__enter__):
        with pytest.raises(TwinClosedError):
            call()
    # A sync method runs, as on the closed async object, which decides (since stop 22: httpx's response.json()
    # works after close(); before, every method of a closed twin raised TwinClosedError).
    with pytest.raises(StoreError, match="store 'kv' is closed"):
        kv.size()


def test_a_with_block_on_a_twin_without_aenter_closes_it(kv: Store) -> None:
    cursor = kv.cursor()  # AsyncCursor has aclose() but no __aenter__: the twin's `with` closes it
    with cursor as entered:
        assert entered is cursor
    assert cursor.closed is True
    assert twin.is_closed(cursor)
    with pytest.raises(TwinClosedError):
        next(cursor)


class AsyncSocket:
    """A closer with keyword-only parameters and a result, as aiohttp's ``ClientWebSocketResponse.close``."""

    def __init__(self) -> None:
        self.closed_with: list[tuple[int, bytes]] = []
        self.fail_close = False

    async def send(self, data: str) -> str:
        return data

    async def close(self, *, code: int = 1000, message: bytes = b"") -> bool:
        if self.fail_close:
            raise ConnectionError("the peer went away")
        self.closed_with.append((code, message))
        return len(self.closed_with) == 1


class AsyncLatch:
    """No closer: closing runs ``__aexit__``."""

    async def wait(self) -> None:
        pass

    async def __aexit__(self, *exc_info: object) -> None:
        pass


def test_close_passes_its_arguments_to_the_async_closer_and_returns_its_result(portal: dualio.Portal) -> None:
    with use_portal(portal):
        socket = sync_class(AsyncSocket)()
    assert socket.close(code=4000, message=b"done") is True
    assert twin.unwrap(socket).closed_with == [(4000, b"done")]
    assert twin.is_closed(socket)
    assert socket.close(code=4001) is True  # idempotent: the closer does not run again; the first result again
    assert twin.unwrap(socket).closed_with == [(4000, b"done")]
    with pytest.raises(TwinClosedError, match=r"^Socket\.send\(\) was called on a closed twin") as caught:
        socket.send("late")
    assert "closed by close() or by leaving its `with` block" in str(caught.value)  # its `with` calls close()


def test_a_closer_that_raises_leaves_the_twin_open(portal: dualio.Portal) -> None:
    with use_portal(portal):
        socket = sync_class(AsyncSocket)()
    twin.unwrap(socket).fail_close = True
    with pytest.raises(ConnectionError, match="the peer went away"):
        socket.close(code=1001)
    assert not twin.is_closed(socket)  # as any error of an async method: the twin stays usable
    assert socket.send("still open") == "still open"
    twin.unwrap(socket).fail_close = False
    assert socket.close(code=1001) is True


def test_close_of_a_class_without_a_closer_takes_no_arguments(portal: dualio.Portal) -> None:
    with use_portal(portal):
        latch = sync_class(AsyncLatch)()
    with pytest.raises(TypeError, match=r"Latch\.close\(\) takes no arguments: AsyncLatch has no aclose\(\)"):
        latch.close(code=1)
    assert not twin.is_closed(latch)
    assert latch.close() is None
    assert twin.is_closed(latch)


class AsyncChannel:
    """A closer with a required parameter and no ``__aenter__``: the base's ``with`` cannot close it."""

    def __init__(self) -> None:
        self.closed_with: list[int] = []

    async def send(self, data: str) -> str:
        return data

    async def aclose(self, code: int, reason: str = "") -> None:
        self.closed_with.append(code)


def test_a_with_block_that_cannot_close_the_twin_says_what_to_do(portal: dualio.Portal) -> None:
    with use_portal(portal):
        channel = sync_class(AsyncChannel)()
    message = (
        r"^the with block of a Channel twin ended with it open, but AsyncChannel\.aclose\(\) needs arguments "
        r"\(code\) that a with block cannot give: call close\(code=\.\.\.\) before the block ends"
    )

    def use_and_fail() -> None:
        with channel:
            channel.send("one")
            raise LookupError("the block's own error")

    with pytest.raises(TypeError, match=message) as caught:
        use_and_fail()
    assert isinstance(caught.value.__context__, LookupError)  # the block's error is kept, not hidden
    assert not twin.is_closed(channel)
    assert twin.unwrap(channel).closed_with == []
    with channel:  # closed in the block: the block's end has nothing to do
        channel.close(4000)
    assert twin.unwrap(channel).closed_with == [4000]


class AsyncSlowSocket:
    """A closer that takes a while and counts its runs; it fails while ``fail`` is set."""

    def __init__(self) -> None:
        self.closes = 0
        self.fail = False

    async def send(self, data: str) -> str:
        return data

    async def aclose(self) -> int:
        await asyncio.sleep(0.05)
        if self.fail:
            self.fail = False
            raise ConnectionError("the first close failed")
        self.closes += 1
        return self.closes


@pytest.mark.parametrize("first_fails", [False, True], ids=["first-succeeds", "first-fails"])
def test_concurrent_closes_run_the_closer_once(portal: dualio.Portal, first_fails: bool) -> None:
    # Before, each thread's close() ran the closer: 4 threads, 4 closes, results [1, 2, 3, 4].
    with use_portal(portal):
        socket = sync_class(AsyncSlowSocket)()
    twin.unwrap(socket).fail = first_fails
    results: list[object] = []
    start = threading.Barrier(4)

    def close() -> None:
        start.wait()
        try:
            results.append(socket.close())
        except ConnectionError as exc:
            results.append(exc)

    threads = [threading.Thread(target=close) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert twin.unwrap(socket).closes == 1  # one close ran to its end; the others waited for it
    errors = [r for r in results if isinstance(r, ConnectionError)]
    assert len(errors) == (1 if first_fails else 0)  # a failed close: its caller sees the error, a waiter retries
    assert sorted(r for r in results if isinstance(r, int)) == [1, 1, 1] + ([] if first_fails else [1])


def test_with_on_a_closed_twin_is_refused(portal: dualio.Portal) -> None:
    with use_portal(portal):
        socket = sync_class(AsyncSocket)()
    socket.close()
    with pytest.raises(TwinClosedError, match=r"^Socket\.__enter__\(\) was called on a closed twin"), socket:
        pass


# -- bad input -----------------------------------------------------------------------------------------------


class NoAsyncMembers:
    def method(self) -> int:
        return 1


async def a_function() -> None:
    pass


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (42, "expects an async class, got int 42"),
        (a_function, "expects an async class, got function"),
        (NoAsyncMembers(), "pass the class itself"),
        (NoAsyncMembers, "has no async def method"),
        (int, "has no async def method"),
        (Store, "already a sync twin class"),
    ],
    ids=["int", "function", "instance", "sync-class", "builtin", "twin-class"],
)
def test_twinning_something_that_is_not_an_async_class_is_a_clear_type_error(bad: object, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        sync_class(bad)  # type: ignore[arg-type]


def test_sync_class_is_cached_and_validates_its_name() -> None:
    class AsyncThing:
        async def go(self) -> int:
            return 1

    with pytest.raises(TypeError, match="identifier"):
        sync_class(AsyncThing, name="not a name")
    thing_cls = sync_class(AsyncThing)
    assert thing_cls.__name__ == "Thing"
    assert sync_class(AsyncThing) is thing_cls
    assert sync_class(AsyncStore) is Store  # the generated twin is registered


def test_control_functions_refuse_what_is_not_a_twin(kv: Store) -> None:
    for function in (twin.get_timeout, twin.portal_of, twin.unwrap, twin.is_closed):
        with pytest.raises(TypeError, match="expects a sync twin"):
            function(object())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"expects a dualio\.Portal"), use_portal("default"):  # type: ignore[arg-type]
        pass


def test_a_failing_async_constructor_leaves_a_clear_error(flavour: Flavour) -> None:
    with pytest.raises(TypeError, match="unexpected keyword argument"):
        flavour.Store("x", colour="red")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        flavour.Store()  # type: ignore[call-arg]


def test_unwrap_gives_the_async_object_for_use_on_its_portal(kv: Store) -> None:
    async_store = twin.unwrap(kv)
    assert isinstance(async_store, AsyncStore)
    assert twin.portal_of(kv).run(async_store.get("a")) == b"1"
    assert asyncio.iscoroutinefunction(type(async_store).get)


class AsyncPool:
    """Closed with ``aclose()``, the name redis-py's documentation tells its users to call."""

    def __init__(self) -> None:
        self.closed = 0

    async def aclose(self) -> str:
        self.closed += 1
        return "closed"


def test_aclose_of_a_twin_is_its_close_not_the_async_method(portal: dualio.Portal) -> None:
    # Before, a run-time twin's aclose fell through to the async object: a coroutine, never awaited, nothing closed.
    with use_portal(portal):
        pool = sync_class(AsyncPool)()
    assert pool.aclose() == "closed"
    assert twin.is_closed(pool)
    assert twin.unwrap(pool).closed == 1
    assert pool.aclose() == "closed"  # idempotent, as close(): the first result again
    assert twin.unwrap(pool).closed == 1


def test_a_generated_twin_has_aclose_too() -> None:
    from dualio.twin.examples.store import Store

    assert Store.aclose is Store.close
