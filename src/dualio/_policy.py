"""What a blocking portal call does when its caller's thread is itself running an event loop.

The call still works (the portal's loop lives on another thread), but the caller's loop is frozen until it
returns. The policy decides whether that is allowed silently, warned about once per call site, or refused.
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
import warnings
from types import CodeType, FrameType
from typing import Literal, get_args

from .errors import BlockingCallError, BlockingCallWarning

__all__ = ("RunningLoopPolicy", "check_policy", "loop_suspended_elsewhere", "report_blocking_call")

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


def loop_suspended_elsewhere(loop: asyncio.AbstractEventLoop, *loop_codes: CodeType) -> bool:
    """Whether ``loop``, this thread's running loop, is suspended in another greenlet rather than running under
    the current call: Playwright's ``sync_playwright()`` drives its loop from a greenlet and leaves it marked
    running between its calls, while the user's code runs and nothing of the loop does (every twin
    call in such a block warned, and ``running_loop_policy="raise"`` refused them all).

    Told only with greenlet imported and a stdlib loop, by finding none of the loop's own frames (``run_forever``,
    ``_run_once``, a callback's ``Handle._run``) on the current stack; uvloop runs in C and is never judged so.
    ``loop_codes``: more code objects that run the loop's callbacks (dualio's own ``run_as_running_loop``).
    gevent's monkey-patched threads are greenlets of one OS thread: the portal's loop, in its greenlet, is the
    running loop of every other (every call after the first was a DeadlockError). Called only when a
    running loop was found (the rare path)."""
    if "greenlet" not in sys.modules or not isinstance(loop, asyncio.BaseEventLoop):
        return False
    codes = set(loop_codes)
    for function in (
        asyncio.BaseEventLoop.run_forever,
        asyncio.BaseEventLoop._run_once,  # type: ignore[attr-defined]
        asyncio.events.Handle._run,
        type(loop).run_forever,
        getattr(type(loop), "_run_once", None),
    ):
        code = getattr(function, "__code__", None)
        if code is not None:
            codes.add(code)
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        if frame.f_code in codes:
            return False
        frame = frame.f_back
    return True


def _caller_site(frame: FrameType | None) -> tuple[str, int, str, dict[str, object]]:
    """Return file, line, function name and globals of the first frame outside dualio, from ``frame`` up."""
    frame = frame or sys._getframe(2)
    while frame.f_back is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
    return frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_qualname, frame.f_globals


def report_blocking_call(
    policy: RunningLoopPolicy, api: str, instead: str = "await the coroutine instead", frame: FrameType | None = None
) -> None:
    """Apply ``policy`` to a blocking call made while the calling thread's own event loop is running.

    ``instead`` tells the caller what to do instead; ``frame``, if given, is where the search for the caller's
    own code starts (a sync twin's generated method is not the caller's code)."""
    if policy == "allow":
        return
    filename, lineno, function, module_globals = _caller_site(frame)
    where = f"{function}() at {filename}:{lineno}"
    if policy == "raise":
        raise BlockingCallError(
            f"{api}() was called from {where} while this thread's event loop is running; that would block the "
            f"loop until the call returns. {instead} (running_loop_policy='raise')"
        )
    with _warned_lock:
        if (filename, lineno) in _warned_sites:
            return
    warnings.warn_explicit(  # recorded only once shown: under filterwarnings=error every call raises
        BlockingCallWarning(
            f"{api}() called from {where} while this thread's event loop is running: it works, but that loop is "
            f"blocked until the call returns. {instead}, or set running_loop_policy='allow'"
        ),
        category=BlockingCallWarning,
        filename=filename,
        lineno=lineno,
        module=str(module_globals.get("__name__", "")),
        # no module_globals: its source lookup raises ImportError for `python -c` and similar __main__ modules
    )
    with _warned_lock:
        _warned_sites.add((filename, lineno))
