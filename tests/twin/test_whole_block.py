"""``with twin.m() as x: y = x.n()``: a block whose body is one method call runs in one round trip.

The call, ``__aenter__``, ``x.n()`` and ``__aexit__`` all run on the loop in the ``with`` line's round trip
(``dualio.twin._whole_block``). Round trips are counted with the portal's ``tasks_submitted``.
"""

from __future__ import annotations

import concurrent.futures
import sys
from types import FrameType
from typing import Any

import pytest

import dualio
from dualio.twin import _registry, _whole_block, timeout, unwrap
from dualio.twin.examples._async_counter import AsyncCounter
from dualio.twin.examples.counter import Counter

from .test_leaving import AsyncReader, box, exits, trips

__all__ = ("box",)  # the fixture, imported for pytest


def test_this_interpreter_is_understood() -> None:
    assert len(_whole_block._SHAPES) == 4, f"not every body shape was learnt on {sys.version}"


def test_one_call_stored_or_dropped_is_one_round_trip(box: Any, portal: dualio.Portal) -> None:
    before = trips(portal)
    with box.open() as reader:
        data = reader.read()
    assert data == "payload"
    assert trips(portal) == before + 1
    with box.open() as reader:
        reader.read()
    assert trips(portal) == before + 2
    with box.open(label="a keyword call: another call instruction on some interpreters") as reader:
        reader.read()
    assert trips(portal) == before + 3
    assert exits(box) == [("inside", None)] * 3  # each __aexit__ once, in its block's context
    assert not _whole_block.speculated


def test_a_call_on_another_object_than_the_one_entered_is_not_run_ahead(box: Any, portal: dualio.Portal) -> None:
    with box.open() as spare:
        spare.seen_block()
        spare.seen_block()
    reads, before = unwrap(box).reads, trips(portal)
    with box.open() as reader:
        data = spare.read()  # the same method, on another reader: only this one may run
    assert data == "payload"
    assert unwrap(box).reads == reads + 1
    assert trips(portal) == before + 2  # read() and __aexit__ merged (``_leaving``), not the whole block
    assert reader is not spare


def test_the_call_runs_in_the_callers_context_and_aexit_in_the_blocks(box: Any) -> None:
    with box.open() as reader:
        seen = reader.seen_block()
    assert seen == "outside"  # as its own call would see it: the block's variable is not in the caller's context
    assert exits(box) == [("inside", None)]  # and _block.reset(token) in __aexit__ found its context


def test_an_error_of_the_call_comes_from_its_line_and_aexit_saw_it(box: Any, portal: dualio.Portal) -> None:
    before = trips(portal)
    with pytest.raises(ValueError, match="read failed") as raised, box.open() as reader:
        data = reader.fail()
    assert trips(portal) == before + 1
    assert exits(box) == [("inside", ValueError)]
    assert "data" not in locals()
    here = sys._getframe().f_code
    assert any(entry.frame.code.raw is here for entry in raised.traceback)


def test_aexit_may_suppress_the_calls_error(box: Any) -> None:
    unwrap(box).suppress = True
    with box.open() as reader:
        data = reader.fail()
    assert "data" not in locals()  # the with statement swallowed the error, as __aexit__ asked
    assert exits(box) == [("inside", ValueError)]


def test_an_error_of_aexit_comes_from_the_with_after_the_result_was_stored(box: Any) -> None:
    # (A closure variable's store, STORE_DEREF, is not a whole-block shape: test_leaving.py covers it.)
    unwrap(box).exit_error = RuntimeError("exit failed")
    stored = {}
    with pytest.raises(RuntimeError, match="exit failed") as raised, box.open() as reader:
        stored["data"] = reader.read()  # not a plain store either: the ordinary path
    assert stored == {"data": "payload"}
    with pytest.raises(RuntimeError, match="exit failed") as raised, box.open() as reader:
        value = reader.read()
    assert value == "payload"  # bound before __exit__ raised
    assert "__exit__" in [entry.name for entry in raised.traceback]


def test_a_timeout_in_the_block_comes_from_the_with_line_and_aexit_saw_the_cancellation(box: Any) -> None:
    with pytest.raises(TimeoutError), timeout(0.1), box.open() as reader:
        late = reader.wait()
    assert "late" not in locals()
    assert [exc_type.__name__ for _, exc_type in exits(box) if exc_type] == ["CancelledError"]
    assert box.number() == 7


def test_a_call_that_ends_cancelled_fails_as_on_the_ordinary_path(box: Any) -> None:
    def ordinary() -> None:
        with box.open() as reader:
            reader.seen_block()
            reader.cancelled_inside()

    def whole() -> None:
        with box.open() as reader:
            reader.cancelled_inside()

    for block in (ordinary, whole):  # the portal's error for a call that ended cancelled, from either path
        with pytest.raises(concurrent.futures.CancelledError):
            block()
    assert [exc_type is not None for _, exc_type in exits(box)] == [True, True]  # __aexit__ saw an error each time


def test_methods_that_are_not_async_def_and_values_with_no_twin_take_the_ordinary_path(
    box: Any, portal: dualio.Portal
) -> None:
    before = trips(portal)
    with box.open() as reader:
        label = reader.label()  # a sync method: run on the loop by call_sync, not ahead of time
    assert label == "reader"
    assert trips(portal) == before + 3
    with box.open_plain() as plain:
        shouted = plain.upper()  # a str: its method runs here, in the caller's thread
    assert shouted == "PLAIN"
    assert trips(portal) == before + 5
    assert exits(box)[-1] == ("plain", None)


def test_a_trace_function_or_a_namespace_that_could_run_code_takes_the_ordinary_path(
    box: Any, portal: dualio.Portal
) -> None:
    def tracer(frame: FrameType, event: str, arg: object) -> None:
        return None

    before = trips(portal)
    sys.settrace(tracer)
    try:
        with box.open() as reader:
            data = reader.read()
    finally:
        sys.settrace(None)
    assert data == "payload"
    assert trips(portal) == before + 3
    code = compile("with box.open() as reader:\n    data = reader.read()\n", "<module-level>", "exec")
    namespace: dict[str, Any] = {"box": box}
    exec(code, namespace)
    assert namespace["data"] == "payload"
    assert trips(portal) == before + 4  # module code with plain dicts: one round trip

    class Namespace(dict[str, Any]):
        pass

    custom = Namespace(box=box)
    exec(code, {}, custom)
    assert custom["data"] == "payload"
    assert trips(portal) == before + 7


def test_only_an_async_def_of_the_twins_class_is_run_ahead() -> None:
    assert _registry.twin_class_of(AsyncCounter) is Counter  # generated, registered at import
    assert _registry.async_method_of_twin(AsyncCounter, "add") is AsyncCounter.add
    assert _registry.async_method_of_twin(AsyncCounter, "total") is None  # a property
    assert _registry.async_method_of_twin(AsyncReader, "label") is None  # a sync method
    assert _registry.async_method_of_twin(AsyncReader, "missing") is None
    assert _registry.async_method_of_twin(str, "upper") is None  # no twin at all
