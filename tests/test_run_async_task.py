"""``run_async_task``: the ``sincpro_async_worker`` signature, so its users switch by changing an import."""

from __future__ import annotations

import concurrent.futures
import inspect

import pytest

import dualio
from tests.helpers import Boom, Flags, double, fail_after_await, sleep_then_cleanup


def test_signature_matches_sincpro_async_worker() -> None:
    parameters = inspect.signature(dualio.run_async_task).parameters
    assert list(parameters) == ["task", "timeout", "fire_and_forget"]
    assert parameters["timeout"].default is None
    assert parameters["fire_and_forget"].default is False


def test_blocking_by_default() -> None:
    assert dualio.run_async_task(double(4)) == 8
    assert dualio.run_async_task(double(4), 5.0) == 8


def test_fire_and_forget_returns_a_concurrent_future() -> None:
    future = dualio.run_async_task(double(5), fire_and_forget=True)
    assert isinstance(future, concurrent.futures.Future)
    assert future.result(timeout=5) == 10
    positional = dualio.run_async_task(double(6), None, True)
    assert positional.result(timeout=5) == 12


def test_timeout_cancels_in_both_modes() -> None:
    flags = Flags()
    with pytest.raises(TimeoutError):
        dualio.run_async_task(sleep_then_cleanup(flags), timeout=0.05)
    assert flags.cleaned_up.is_set()
    future = dualio.run_async_task(sleep_then_cleanup(Flags()), timeout=0.05, fire_and_forget=True)
    assert isinstance(future.exception(timeout=5), TimeoutError)


def test_exceptions_propagate() -> None:
    with pytest.raises(Boom):
        dualio.run_async_task(fail_after_await())
