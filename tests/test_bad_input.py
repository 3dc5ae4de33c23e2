"""Behaviour 12: bad input gets a TypeError saying what was passed and what is expected."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import math
import re
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

import dualio
from tests.helpers import double, noop

run_untyped: Callable[..., Any] = dualio.run  # the calls below are wrong on purpose; mypy rejects them statically


@pytest.mark.parametrize("api", [dualio.run, dualio.submit])
def test_non_awaitable_is_refused(api: Callable[..., Any]) -> None:
    with pytest.raises(TypeError, match=r"expects an awaitable or an async function, got int 42"):
        api(42)


@pytest.mark.parametrize("api", [dualio.run, dualio.submit])
def test_sync_function_is_refused_without_being_called(api: Callable[..., Any]) -> None:
    calls: list[int] = []

    def record(value: int) -> int:
        calls.append(value)
        return value

    with pytest.raises(TypeError, match=r"got sync function .*record.*call a sync function directly"):
        api(record, 1)
    assert calls == []


def test_coroutine_already_awaited_is_refused() -> None:
    coro = double(2)
    assert dualio.run(coro) == 4
    with pytest.raises(TypeError, match=r"coroutine 'double' was already started or awaited"):
        run_untyped(coro)


@pytest.mark.parametrize("timeout", [-1, -0.001, math.nan])
@pytest.mark.parametrize("api", [dualio.run, dualio.submit])
def test_negative_or_nan_timeout_is_refused(api: Callable[..., Any], timeout: float) -> None:
    coro = noop()
    with pytest.raises(TypeError, match=r"timeout must be a non-negative number of seconds"):
        api(coro, timeout=timeout)
    # the refused coroutine was closed: no "never awaited" warning (filterwarnings=error would catch it)
    assert inspect.getcoroutinestate(coro) == inspect.CORO_CLOSED


@pytest.mark.parametrize("timeout", ["1", True, [1]])
def test_timeout_of_wrong_type_is_refused(timeout: object) -> None:
    with pytest.raises(dualio.InvalidTimeoutError, match=r"timeout must be None or a number of seconds"):
        run_untyped(noop, timeout=timeout)


def test_invalid_timeout_is_also_a_value_error() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        dualio.run(noop, timeout=-5)


def test_infinite_timeout_means_no_limit() -> None:
    assert dualio.run(double, 4, timeout=math.inf) == 8


def test_arguments_with_a_coroutine_object_are_refused() -> None:
    with pytest.raises(TypeError, match="extra positional arguments were given with a coroutine object"):
        run_untyped(double(1), 2)


def test_async_generator_gets_a_hint_to_use_iterate() -> None:
    async def numbers() -> AsyncIterator[int]:
        yield 1

    with pytest.raises(TypeError, match=r"use dualio\.iterate\(\)"):
        run_untyped(numbers())


def test_async_context_manager_gets_a_hint_to_use_enter() -> None:
    class Resource:
        async def __aenter__(self) -> None:
            return None

        async def __aexit__(self, *exc: object) -> None:
            return None

    with pytest.raises(TypeError, match=r"use dualio\.enter\(\)"):
        run_untyped(Resource())


@pytest.mark.parametrize("api", [dualio.run, dualio.submit])
def test_contextlib_async_context_managers_and_their_functions_get_hints(api: Callable[..., Any]) -> None:
    """``@asynccontextmanager`` objects are callable (review 22c: contextlib's own TypeError came out)."""

    @contextlib.asynccontextmanager
    async def session() -> AsyncIterator[int]:
        yield 1

    async def numbers() -> AsyncIterator[int]:
        yield 1

    with pytest.raises(TypeError, match=r"got _AsyncGeneratorContextManager .*; .*use dualio\.enter\(\)$"):
        api(session())
    with pytest.raises(TypeError, match=r"got function '.*session', which makes async context managers; "):
        api(session)
    with pytest.raises(TypeError, match=r"got async generator function '.*numbers'; .*dualio\.iterate\(numbers"):
        api(numbers)


def test_callable_object_returning_non_awaitable_is_refused_after_the_call() -> None:
    class Counter:
        def __call__(self) -> int:
            return 3

    with pytest.raises(TypeError, match=r"returned int 3 \(it has already run, in this thread\)"):
        run_untyped(Counter())


def test_accepted_forms() -> None:
    class AsyncCallable:
        async def __call__(self, value: int) -> int:
            return value + 1

    loop_future_result = dualio.run(asyncio.sleep, 0, "awaited")
    assert loop_future_result == "awaited"
    assert dualio.run(functools.partial(double, 5)) == 10
    assert dualio.run(AsyncCallable(), 1) == 2
    # a lambda is a plain function: refused without being called, like any sync function
    with pytest.raises(TypeError, match="got sync function"):
        run_untyped(lambda: double(3))


def test_iterate_refuses_a_non_async_iterable() -> None:
    with pytest.raises(TypeError, match=r"iterate\(\) expects an async iterable .* got list"):
        dualio.iterate([1, 2])  # type: ignore[arg-type]


def test_enter_refuses_a_sync_context_manager_with_a_hint() -> None:
    class SyncOnly:
        def __enter__(self) -> None:
            return None

        def __exit__(self, *exc: object) -> None:
            return None

    with pytest.raises(TypeError, match=re.escape("it is a sync context manager: use it with a plain `with`")):
        dualio.enter(SyncOnly())  # type: ignore[arg-type]


def test_portal_settings_are_validated() -> None:
    with pytest.raises(ValueError, match="running_loop_policy must be one of"):
        dualio.Portal(running_loop_policy="ignore")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="loop_factory must be a callable"):
        dualio.Portal(loop_factory=42)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="drain_timeout"):
        dualio.Portal(drain_timeout=-1)
    with pytest.raises(TypeError, match="Portal name must be a str"):
        dualio.Portal(name=3)  # type: ignore[arg-type]


def test_loop_factory_that_returns_something_else_fails_start_clearly() -> None:
    portal = dualio.Portal(loop_factory=lambda: "not a loop")  # type: ignore[arg-type,return-value]
    with pytest.raises(TypeError, match="loop_factory must return an asyncio event loop"):
        portal.start()


def test_run_async_task_refuses_non_bool_fire_and_forget() -> None:
    coro = noop()
    with pytest.raises(TypeError, match="fire_and_forget must be a bool"):
        dualio.run_async_task(coro, None, "yes")  # type: ignore[call-overload]
    coro.close()


@pytest.mark.parametrize("api", [dualio.run, dualio.submit])
def test_a_future_of_another_loop_is_refused_with_advice(api: Callable[..., Any]) -> None:
    # Review 14b (zmq.asyncio): `dualio.run(sock.recv())` made the future on the caller's loop; asyncio then said
    # only "attached to a different loop".
    other = asyncio.new_event_loop()
    try:
        future = other.create_future()
        with pytest.raises(RuntimeError, match=r"future of another event loop .*async def call\(\)"):
            api(future)
    finally:
        other.close()


def test_a_future_of_the_portal_loop_is_awaited() -> None:
    async def make() -> asyncio.Future[int]:
        return asyncio.get_running_loop().create_future()

    future = dualio.run(make())
    dualio.default_portal().loop.call_soon_threadsafe(future.set_result, 5)
    assert dualio.run(future) == 5
