"""Drain the portals on process exits that skip ``atexit``.

``atexit`` drains every live portal at interpreter exit (``_portal._shutdown_all_at_exit``), so work handed to
``submit()`` is finished or reported. Two common kinds of process end with ``os._exit()`` instead, which runs no
``atexit`` hook, and would lose that work without a word:

- a ``multiprocessing`` child (``Process`` with the fork or forkserver start method, a ``Pool`` worker): it runs
  ``multiprocessing``'s own finalizers first, so the drain is registered as one of them;
- a child of Celery's prefork pool (billiard), at warm shutdown or when recycled (``--max-tasks-per-child``):
  Celery sends ``worker_process_shutdown`` first, so the drain is connected to that signal.

Both are set up by :func:`drain_on_exit`, called each time a portal starts; it does its work once per process
(what a parent set up is inherited by a forked child, and doing it again there changes nothing).
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.util
import os
import sys
from collections.abc import Callable
from typing import Any

__all__ = ("drain_on_exit",)

_DISPATCH_UID = "dualio-drain-portals"
_set_up_in: int | None = None  # the pid of the process that set the hooks up


def drain_on_exit(drain: Callable[[], None]) -> None:
    """Have ``drain`` (which shuts down every live portal) run where a process ends without ``atexit``.

    Cheap after the first call in a process. Thread-safe enough: doing it twice at once connects the same
    receiver (Celery dedups by ``dispatch_uid``) and registers a second finalizer, whose drain finds nothing left.
    """
    global _set_up_in
    if _set_up_in == os.getpid():
        return
    _set_up_in = os.getpid()
    if multiprocessing.parent_process() is not None:
        multiprocessing.util.Finalize(None, drain, exitpriority=100)  # before multiprocessing's own (priority 0)
    signals = sys.modules.get("celery.signals")
    if signals is not None:

        def on_worker_process_shutdown(**_: Any) -> None:
            drain()

        signals.worker_process_shutdown.connect(on_worker_process_shutdown, weak=False, dispatch_uid=_DISPATCH_UID)
