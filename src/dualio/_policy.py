"""What a blocking portal call does when its caller's thread is itself running an event loop.

The call still works (the portal's loop lives on another thread), but the caller's loop is frozen until it
returns. The policy decides whether that is allowed silently, warned about once per call site, or refused.
"""

from __future__ import annotations

import os
import sys
import threading
import warnings
from typing import Literal, get_args

from .errors import BlockingCallError, BlockingCallWarning

__all__ = ("RunningLoopPolicy", "check_policy", "report_blocking_call")

RunningLoopPolicy = Literal["allow", "warn", "raise"]
_POLICIES: tuple[str, ...] = get_args(RunningLoopPolicy)
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep

_warned_sites: set[tuple[str, int]] = set()
_warned_lock = threading.Lock()


def check_policy(policy: object) -> RunningLoopPolicy:
    """Return ``policy`` if it is one of ``"allow"``, ``"warn"``, ``"raise"``; else raise ``ValueError``."""
    if policy not in _POLICIES:
        raise ValueError(f"running_loop_policy must be one of {_POLICIES}, got {policy!r}")
    return policy  # type: ignore[return-value]


def _caller_site() -> tuple[str, int, str, dict[str, object]]:
    """Return file, line, function name and globals of the first frame outside the dualio package."""
    frame = sys._getframe(2)
    while frame.f_back is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
    return frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_qualname, frame.f_globals


def report_blocking_call(policy: RunningLoopPolicy, api: str) -> None:
    """Apply ``policy`` to a blocking call made while the calling thread's own event loop is running."""
    if policy == "allow":
        return
    filename, lineno, function, module_globals = _caller_site()
    where = f"{function}() at {filename}:{lineno}"
    if policy == "raise":
        raise BlockingCallError(
            f"{api}() was called from {where} while this thread's event loop is running; that would block the "
            "loop until the call returns. await the coroutine instead (running_loop_policy='raise')"
        )
    with _warned_lock:
        if (filename, lineno) in _warned_sites:
            return
    warnings.warn_explicit(  # recorded only once shown: under filterwarnings=error every call raises
        BlockingCallWarning(
            f"{api}() called from {where} while this thread's event loop is running: it works, but that loop is "
            "blocked until the call returns. await the coroutine instead, or set running_loop_policy='allow'"
        ),
        category=BlockingCallWarning,
        filename=filename,
        lineno=lineno,
        module=str(module_globals.get("__name__", "")),
        # no module_globals: its source lookup raises ImportError for `python -c` and similar __main__ modules
    )
    with _warned_lock:
        _warned_sites.add((filename, lineno))
