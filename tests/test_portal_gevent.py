"""Under gevent's monkey-patching (gunicorn -k gevent), threads are greenlets of one OS thread.

The portal's loop runs in one of them, so it is the running loop of every other greenlet; calls from them were
refused as made on the loop's own thread (review 24c: every call after the first was a DeadlockError, and the
exit drain refused itself, losing submitted work). Run in a fresh process, as monkey-patching must come first.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

pytest.importorskip("gevent")

SCRIPT = """
from gevent import monkey

monkey.patch_all()

import asyncio

import gevent

import dualio


async def double(n):
    await asyncio.sleep(0.01)
    return 2 * n


async def late_write():
    await asyncio.sleep(0.3)
    print("submitted work done", flush=True)


print("main", dualio.run(double, 1))
print("submit", dualio.submit(double, 2).result(timeout=5))
jobs = [gevent.spawn(dualio.run, double(n)) for n in range(3, 6)]
gevent.joinall(jobs, timeout=10)
print("greenlets", [job.value for job in jobs])


async def on_the_loop():
    dualio.run(double, 9)


try:
    dualio.run(on_the_loop)  # a call made by the loop's own code is still refused
except dualio.DeadlockError:
    print("refused on the loop")
dualio.submit(late_write)  # drained at exit
"""


def test_calls_from_greenlets_work_and_submitted_work_is_drained_at_exit() -> None:
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.splitlines() == [
        "main 2",
        "submit 4",
        "greenlets [6, 8, 10]",
        "refused on the loop",
        "submitted work done",
    ], done.stdout + done.stderr[-3000:]
