"""Fire-and-forget work survives process ends that skip ``atexit`` (``dualio._exits``; review 19a).

A ``multiprocessing`` child started by fork or forkserver, and a child of Celery's prefork pool, end with
``os._exit()``: before, what they had handed to ``dualio.submit()`` was lost without a word.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

import dualio


async def _write_later(path: str) -> None:
    await asyncio.sleep(0.3)
    # Written in place: at exit no thread pool takes work any more (asyncio.to_thread fails there; docs/portal.md)
    Path(path).write_text("done")  # noqa: ASYNC240


def _submit_and_return(path: str) -> None:
    dualio.submit(_write_later(path))  # the child ends right after this returns


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
@pytest.mark.parametrize("method", ["fork", "forkserver"])
def test_a_multiprocessing_child_drains_what_it_submitted(tmp_path: Path, method: str) -> None:
    done = tmp_path / "done"
    context: Any = multiprocessing.get_context(method)  # typeshed's BaseContext has no Process
    child = context.Process(target=_submit_and_return, args=(str(done),))
    child.start()
    child.join(30)
    assert child.exitcode == 0
    assert done.read_text() == "done"


_CELERY_APP = """
import asyncio
from pathlib import Path

from celery import Celery

import dualio

app = Celery("exits_app", broker="filesystem://")
app.conf.update(
    broker_transport_options={{"data_folder_in": {queue!r}, "data_folder_out": {queue!r}}},
    worker_hijack_root_logger=False,
    broker_connection_retry_on_startup=True,
)


async def write_later(path: str) -> None:
    await asyncio.sleep(0.3)
    Path(path).write_text("done")


@app.task
def submit_and_return(path: str) -> None:
    dualio.submit(write_later(path))  # the pool child is recycled right after (--max-tasks-per-child=1)
"""


def test_a_celery_prefork_child_drains_what_it_submitted(tmp_path: Path) -> None:
    pytest.importorskip("celery")
    queue = tmp_path / "queue"
    queue.mkdir()
    (tmp_path / "exits_app.py").write_text(textwrap.dedent(_CELERY_APP.format(queue=str(queue))))
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "exits_app", "worker", "--pool=prefork", "--concurrency=1",
         "--max-tasks-per-child=1", "--loglevel=WARNING", "--without-heartbeat", "--without-gossip",
         "--without-mingle"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )  # fmt: skip
    try:
        sys.path.insert(0, str(tmp_path))
        try:
            import exits_app  # type: ignore[import-not-found]
        finally:
            sys.path.remove(str(tmp_path))
        done = tmp_path / "done"
        exits_app.submit_and_return.delay(str(done))
        deadline = time.monotonic() + 60
        while not done.exists() and time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.1)
        assert done.exists(), "the submitted coroutine never ran to its end in the recycled pool child"
        assert done.read_text() == "done"
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        output, _ = worker.communicate(timeout=60)
        sys.modules.pop("exits_app", None)
    assert "dualio" not in output, output  # nothing pending was reported: it had finished
