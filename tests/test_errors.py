"""The error family: one base, the matching builtin, picklable."""

from __future__ import annotations

import pickle

import pytest

import dualio
from dualio import errors

ERROR_BUILTINS: list[tuple[type[dualio.DualioError], type[BaseException]]] = [
    (dualio.DeadlockError, RuntimeError),
    (dualio.PortalClosedError, RuntimeError),
    (dualio.BlockingCallError, RuntimeError),
    (dualio.InvalidTimeoutError, TypeError),
    (dualio.InvalidTimeoutError, ValueError),
    (dualio.NotFoundError, LookupError),
    (dualio.ConflictError, RuntimeError),
    (dualio.IntegrityError, ValueError),
    (dualio.TransientDatabaseError, RuntimeError),
]


@pytest.mark.parametrize(("error", "builtin"), ERROR_BUILTINS)
def test_each_error_is_a_dualio_error_and_its_builtin(
    error: type[dualio.DualioError], builtin: type[BaseException]
) -> None:
    with pytest.raises(dualio.DualioError):
        raise error("message")
    with pytest.raises(builtin):
        raise error("message")


ERRORS: list[type[dualio.DualioError]] = [
    dualio.BlockingCallError,
    dualio.ConflictError,
    dualio.DeadlockError,
    dualio.IntegrityError,
    dualio.InvalidTimeoutError,
    dualio.NotFoundError,
    dualio.PortalClosedError,
    dualio.TransientDatabaseError,
]


@pytest.mark.parametrize("error", ERRORS)
def test_errors_round_trip_through_pickle(error: type[dualio.DualioError]) -> None:
    original = error("what went wrong and how to fix it")
    copy = pickle.loads(pickle.dumps(original))
    assert type(copy) is error
    assert str(copy) == str(original)


def test_blocking_call_warning_is_a_runtime_warning() -> None:
    assert issubclass(dualio.BlockingCallWarning, RuntimeWarning)
    assert issubclass(dualio.BlockingCallWarning, dualio.DualioWarning)


def test_errors_module_exports_every_class_it_defines() -> None:
    defined = {
        name for name, value in vars(errors).items() if isinstance(value, type) and value.__module__ == errors.__name__
    }
    assert defined == set(errors.__all__)
