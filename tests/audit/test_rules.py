"""DIO201/202 (sync-over-async), DIO301 (tasks not kept), DIO401 (cancellation swallowed), DIO501 (loop-bound
objects at import), DIO601/602 (opt-in timeouts and unbounded gather): positive and negative cases."""

from __future__ import annotations

from pathlib import Path

import pytest

from .helpers import audit_source, audit_tree, codes


@pytest.mark.parametrize(
    "call",
    [
        "asyncio.run(work())",
        "asyncio.get_event_loop().run_until_complete(work())",
        "loop.run_until_complete(work())",
        "async_to_sync(work)()",
        "dualio.run(work)",
        "dualio.default_portal().run(work)",
        "nest_asyncio.apply()",
        "anyio.run(work)",
    ],
)
def test_sync_over_async_in_async_def(tmp_path: Path, call: str) -> None:
    source = f"""
    import asyncio, anyio, dualio, nest_asyncio
    from asgiref.sync import async_to_sync

    async def work():
        return 1

    async def handler(loop):
        return {call}
    """
    assert codes(audit_source(tmp_path, source)) == ["DIO201"]


def test_sync_over_async_through_helpers_and_not_when_offloaded(tmp_path: Path) -> None:
    source = """
    import asyncio
    import dualio

    async def load():
        return 1

    def get():
        return asyncio.run(load())

    def get_via_portal():
        return dualio.run(load)

    async def handler():
        get()
        get_via_portal()
        await asyncio.to_thread(get)
        return await load()

    def sync_caller():
        return get()
    """
    findings = audit_source(tmp_path, source)
    assert [(f.code, f.line) for f in findings] == [("DIO202", 15), ("DIO202", 16)]
    assert "handler -> get -> asyncio.run" in findings[0].message
    assert "handler -> get_via_portal -> dualio.run" in findings[1].message


def test_an_iterator_from_the_portal_runs_the_loop_only_where_it_is_iterated(tmp_path: Path) -> None:
    # Before (until stop 24): every call of dualio.iterate / Portal.iterate in or under an async def was reported.
    source = """
    import asyncio
    import dualio

    async def rows():
        yield 1

    def mapped(portal: dualio.Portal):
        steps = portal.iterate(rows())
        return (row * 2 for row in steps)

    def rows_of(portal: dualio.Portal):
        return portal.iterate(rows())

    async def handler(portal):
        kept = dualio.iterate(rows())  # iterated by a worker thread below: nothing runs here
        total = await asyncio.to_thread(sum, kept)
        for row in dualio.iterate(rows()):
            total += row
        total += sum(rows_of(portal))
        return total, mapped(portal), rows_of(portal)
    """
    findings = audit_source(tmp_path, source)
    assert [(f.code, f.line) for f in findings] == [("DIO201", 18), ("DIO202", 20)], [f.message for f in findings]
    assert "handler -> rows_of -> Portal.iterate" in findings[1].message


@pytest.mark.parametrize(
    "body",
    [
        "asyncio.create_task(work())",
        "asyncio.ensure_future(work())",
        "asyncio.get_running_loop().create_task(work())",
        "loop = asyncio.get_running_loop()\n            loop.create_task(work())",
        "self._loop.create_task(work())",
        "asyncio.create_task(work()).add_done_callback(print)",
        "task = asyncio.create_task(work())",
        "_ = asyncio.create_task(work())",
    ],
)
def test_dropped_tasks(tmp_path: Path, body: str) -> None:
    source = f"""
    import asyncio

    async def work():
        pass

    class C:
        async def handler(self):
            {body}
    """
    assert codes(audit_source(tmp_path, source)) == ["DIO301"]


@pytest.mark.parametrize(
    "body",
    [
        "task = asyncio.create_task(work())\n            await task",
        "self.task = asyncio.create_task(work())",
        "TASKS.add(asyncio.create_task(work()))",
        "return asyncio.create_task(work())",
        "async with asyncio.TaskGroup() as tg:\n                tg.create_task(work())",
        "self.group.create_task(work())",
        "t = asyncio.create_task(work())\n            TASKS.add(t)\n            t.add_done_callback(TASKS.discard)",
        "global GLOBAL_TASK\n            GLOBAL_TASK = asyncio.create_task(work())",
    ],
)
def test_kept_tasks(tmp_path: Path, body: str) -> None:
    source = f"""
    import asyncio
    TASKS = set()
    GLOBAL_TASK = None

    async def work():
        pass

    class C:
        async def handler(self):
            {body}
    """
    assert codes(audit_source(tmp_path, source)) == []


@pytest.mark.parametrize(
    "handler",
    [
        "except asyncio.CancelledError:\n        pass",
        "except CancelledError:\n        log.info('cancelled')",
        "except BaseException as exc:\n        log.warning('failed: %s', exc)",
        "except:\n        return None",
        "except (ValueError, asyncio.CancelledError):\n        return None",
        "except anyio.get_cancelled_exc_class():\n        return None",
    ],
)
def test_swallowed_cancellation(tmp_path: Path, handler: str) -> None:
    handler = handler.replace("\n", "\n    ")
    source = f"""
    import asyncio, anyio, logging
    from asyncio import CancelledError
    log = logging.getLogger()

    async def worker():
        try:
            await asyncio.sleep(1)
        {handler}
    """
    findings = audit_source(tmp_path, source)
    assert codes(findings) == ["DIO401"]
    assert (findings[0].line, findings[0].end_line) == (9, 9)


@pytest.mark.parametrize(
    "code",
    [
        "try:\n        await asyncio.sleep(1)\n    except asyncio.CancelledError:\n        cleanup()\n        raise",
        "try:\n        await asyncio.sleep(1)\n    except BaseException as exc:\n        future.set_exception(exc)",
        "try:\n        await asyncio.sleep(1)\n    except Exception:\n        pass",
        "try:\n        value = int('3')\n    except BaseException:\n        pass",
        "task.cancel()\n    try:\n        await task\n    except asyncio.CancelledError:\n        pass",
        "try:\n        await asyncio.sleep(1)\n    except BaseException:\n        raise RuntimeError('x')",
        "cancelled = False\n    try:\n        await asyncio.sleep(1)\n    except asyncio.CancelledError:\n"
        "        cancelled = True\n    cleanup()\n    if cancelled:\n        raise asyncio.CancelledError",
    ],
)
def test_cancellation_kept(tmp_path: Path, code: str) -> None:
    code = code.replace("\n", "\n    ")
    source = f"""
    import asyncio

    def cleanup():
        pass

    async def worker(task, future):
        {code}

    def sync():
        try:
            pass
        except BaseException:
            pass
    """
    assert codes(audit_source(tmp_path, source)) == []


def test_finally_return_and_suppress_swallow_cancellation(tmp_path: Path) -> None:
    source = """
    import asyncio, contextlib

    async def a():
        try:
            await asyncio.sleep(1)
        finally:
            return 1

    async def b():
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.sleep(1)

    async def c():
        for _ in range(3):
            try:
                await asyncio.sleep(1)
            finally:
                for x in range(2):
                    break
    """
    assert [(f.code, f.line) for f in audit_source(tmp_path, source)] == [("DIO401", 8), ("DIO401", 11)]


def test_loop_bound_objects_created_at_import(tmp_path: Path) -> None:
    files = {
        "pkg/__init__.py": "",
        "pkg/state.py": """
            import asyncio
            import aiohttp
            from redis import asyncio as aioredis

            LOCK = asyncio.Lock()
            SESSION = aiohttp.ClientSession()
            REDIS = aioredis.from_url("redis://")
            UNUSED = asyncio.Event()
            ONLY_SYNC = asyncio.Queue()

            class Cache:
                lock = asyncio.Semaphore(3)

                async def get(self):
                    async with self.lock:
                        return 1

            def size():
                return ONLY_SYNC.qsize()

            async def default_arg(event=asyncio.Event()):
                await event.wait()
        """,
        "pkg/api.py": """
            from .state import LOCK, SESSION
            from . import state

            async def handler():
                async with LOCK:
                    await SESSION.get("u")
                await state.REDIS.get("k")
        """,
    }
    findings = audit_tree(tmp_path, files, select="DIO5")
    assert [(f.code, f.line) for f in findings] == [("DIO501", n) for n in (6, 7, 8, 13, 22)]
    assert "used from async function `handler` (" in findings[0].message
    assert "Cache.get" in findings[3].message


def test_loop_bound_created_inside_functions_is_fine(tmp_path: Path) -> None:
    source = """
    import asyncio

    async def main():
        lock = asyncio.Lock()
        async with lock:
            pass

    class Service:
        def __init__(self):
            self.lock = asyncio.Lock()

        async def run(self):
            async with self.lock:
                pass
    """
    assert audit_source(tmp_path, source) == []


def test_external_calls_without_timeout_are_opt_in(tmp_path: Path) -> None:
    source = """
    import asyncio, aiohttp, asyncpg, anyio

    async def bad(session: aiohttp.ClientSession, pool: asyncpg.Pool):
        await pool.fetch("select 1")
        async with session.get("u") as response:
            return await response.read()

    async def good(session: aiohttp.ClientSession, pool: asyncpg.Pool):
        await pool.fetch("select 1", timeout=5)
        await asyncio.wait_for(pool.fetch("select 1"), 5)
        async with asyncio.timeout(5):
            await pool.fetch("select 1")
        with anyio.fail_after(5):
            await pool.fetch("select 1")
        timed = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5))
        await timed.get("u")
    """
    assert audit_source(tmp_path, source, select="DIO1") == []
    findings = audit_source(tmp_path, source, select="DIO601")
    assert [(f.code, f.line) for f in findings] == [("DIO601", 5), ("DIO601", 6)]


def test_unbounded_gather_is_opt_in(tmp_path: Path) -> None:
    source = """
    import asyncio

    async def one(x):
        return x

    async def bad(items):
        return await asyncio.gather(*[one(x) for x in items])

    async def good():
        return await asyncio.gather(one(1), one(2), *[one(3), one(4)])
    """
    assert audit_source(tmp_path, source, select="DIO1") == []
    assert [(f.code, f.line) for f in audit_source(tmp_path, source, select="DIO602")] == [("DIO602", 8)]


def test_building_a_sync_wrapper_is_not_running_it(tmp_path: Path) -> None:
    source = """
    from asgiref.sync import AsyncToSync, async_to_sync

    async def send(message):
        pass

    async def handler():
        wrapped = AsyncToSync(send)
        later = async_to_sync(send)
        return wrapped, later

    async def runs_it():
        async_to_sync(send)({})
    """
    assert [(f.code, f.line) for f in audit_source(tmp_path, source)] == [("DIO201", 13)]


def test_loop_bound_object_used_through_an_object_built_from_it(tmp_path: Path) -> None:
    source = """
    from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

    engine = create_async_engine("postgresql+asyncpg://localhost/db")
    SessionLocal = async_sessionmaker(engine, expire_on_commit=False)

    async def get_db():
        async with SessionLocal() as session:
            yield session
    """
    [finding] = audit_source(tmp_path, source)
    assert (finding.code, finding.line) == ("DIO501", 4)
    assert "`engine` is created at import time and used (through `SessionLocal`)" in finding.message


def test_async_sdk_calls_count_as_external_calls(tmp_path: Path) -> None:
    source = """
    import asyncio
    from openai import AsyncOpenAI

    client = AsyncOpenAI()
    timed = AsyncOpenAI(timeout=20)

    async def ask():
        await client.chat.completions.create(model="m", messages=[])
        await timed.chat.completions.create(model="m", messages=[])
        async with asyncio.timeout(30):
            await client.chat.completions.create(model="m", messages=[])
    """
    assert [(f.code, f.line) for f in audit_source(tmp_path, source)] == [("DIO601", 9)]
