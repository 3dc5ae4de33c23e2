"""Run one callback as a stdlib event loop would, in the calling thread, without a loop iteration around it.

Why: a lending portal's caller (``_lending``) starts its call's task with the loop's ``_drain`` callback. Run by
``run_forever``, that costs the set-up and tear-down of ``run_forever`` plus one ``_run_once`` (a selector poll,
the timer heap, the ready queue): about 4 µs of a 11 µs call whose coroutine finishes in its first step (a cache
hit, a buffered read, ``__aexit__`` of a released response). Run here, the task's first step sees exactly what
it would see inside ``run_forever``:

- ``asyncio.get_running_loop()`` is the loop and ``loop.is_running()`` is true (so Python 3.12's
  ``eager_start`` runs the step at once, as it does in the loop);
- this thread's async generator hooks are the loop's (an async generator first iterated here is finalized and
  shut down by the loop, as any other);
- everything is restored afterwards, also when the callback raises.

What it does not do is poll the selector or run due timers: the caller decides how often that must still happen
(``LoopLender`` runs a real iteration at least every ``lend_grace``).

Only for loops built on ``asyncio.BaseEventLoop`` and not in debug mode (debug mode's coroutine-origin tracking
and slow-callback reports belong to ``run_forever``); uvloop and other loops always take ``run_forever``. On
Python >= 3.13 the loop's own ``_run_forever_setup``/``_run_forever_cleanup`` do the work, the hooks CPython
made for loops that drive themselves; on 3.11 and 3.12 the same steps are written here.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Callable
from typing import Any

__all__ = ("can_run_as_running_loop", "run_as_running_loop")

_get_ident = threading.get_ident
_set_running_loop = asyncio._set_running_loop
_get_asyncgen_hooks = sys.get_asyncgen_hooks
_set_asyncgen_hooks = sys.set_asyncgen_hooks


def can_run_as_running_loop(loop: asyncio.AbstractEventLoop) -> bool:
    """Whether :func:`run_as_running_loop` may be used for ``loop`` now (a stdlib loop, not in debug mode)."""
    return isinstance(loop, asyncio.BaseEventLoop) and not loop.get_debug()


if hasattr(asyncio.BaseEventLoop, "_run_forever_setup"):  # Python >= 3.13

    def run_as_running_loop(loop: asyncio.AbstractEventLoop, callback: Callable[[], object]) -> None:
        """Run ``callback`` in this thread as ``loop``'s running callback; ``loop`` must not be running."""
        base: Any = loop  # the set-up hooks are not in typeshed
        base._run_forever_setup()
        try:
            callback()
        finally:
            base._run_forever_cleanup()

else:

    def run_as_running_loop(loop: asyncio.AbstractEventLoop, callback: Callable[[], object]) -> None:
        """Run ``callback`` in this thread as ``loop``'s running callback; ``loop`` must not be running."""
        base: Any = loop  # BaseEventLoop's private attributes, as its run_forever sets them on 3.11 and 3.12
        hooks = _get_asyncgen_hooks()
        try:  # the set-up inside the try, as run_forever has it on 3.11 and 3.12: a Ctrl-C in it is cleaned up
            base._thread_id = _get_ident()
            _set_asyncgen_hooks(firstiter=base._asyncgen_firstiter_hook, finalizer=base._asyncgen_finalizer_hook)
            _set_running_loop(loop)
            callback()
        finally:
            base._stopping = False  # a loop.stop() made by the callback is spent, as run_forever's cleanup does
            base._thread_id = None
            _set_running_loop(None)
            _set_asyncgen_hooks(*hooks)
