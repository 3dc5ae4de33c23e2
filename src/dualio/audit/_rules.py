"""The rule catalogue: every code ``dualio audit`` can report, with its message, fix hint and default state."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    """One check: its code, short name, what it finds, how to fix it, and whether it runs by default."""

    code: str
    name: str
    summary: str
    hint: str
    default: bool = True


RULES: tuple[Rule, ...] = (
    Rule(
        "DIO001",
        "unparseable-file",
        "The file could not be read or parsed as Python, so it was not audited.",
        "fix the syntax error (or exclude the file in [tool.dualio.audit] exclude)",
    ),
    Rule(
        "DIO101",
        "blocking-call-in-async",
        "A blocking call (sleep, file/os I/O, subprocess, sync HTTP/DB/Redis/boto3 client) inside `async def`.",
        "use the async equivalent, or move the call off the loop: `await asyncio.to_thread(fn, *args)`",
    ),
    Rule(
        "DIO102",
        "blocking-call-via-sync-helper",
        "An `async def` calls a sync function of the project that (through further calls) makes a blocking call.",
        "make the helper async, or call it off the loop: `await asyncio.to_thread(helper, *args)`",
    ),
    Rule(
        "DIO201",
        "sync-over-async-in-async",
        "`asyncio.run`, `run_until_complete`, `async_to_sync`, `dualio.run`, `nest_asyncio.apply`... inside "
        "`async def`: it deadlocks or blocks the running loop.",
        "`await` the coroutine instead of running it on a new or nested loop",
    ),
    Rule(
        "DIO202",
        "sync-over-async-via-sync-helper",
        "An `async def` calls a sync function of the project that (through further calls) runs a coroutine to "
        "completion with `asyncio.run`, `run_until_complete`, `async_to_sync`, `dualio.run`...",
        "make the helper async and `await` it, or run it in a worker thread with `asyncio.to_thread`",
    ),
    Rule(
        "DIO301",
        "task-not-kept",
        "The task returned by `create_task`/`ensure_future` is dropped: the loop keeps only a weak reference, so "
        "it can be garbage-collected mid-flight and its exception is never seen.",
        "keep a reference (a set plus `task.add_done_callback(tasks.discard)`) or use `asyncio.TaskGroup`",
    ),
    Rule(
        "DIO401",
        "cancellation-swallowed",
        "Async code catches `CancelledError` (also through a bare `except:` or `except BaseException`) or "
        "leaves a `finally` with `return`/`break`/`continue`, without re-raising: cancellation is lost.",
        "re-raise after cleanup (`except asyncio.CancelledError: ...; raise`), or catch `Exception` instead",
    ),
    Rule(
        "DIO501",
        "loop-bound-object-at-import",
        "An object bound to the event loop it is first used on (asyncio Lock/Event/Queue/Semaphore, aiohttp "
        "ClientSession, AsyncEngine, redis.asyncio client...) is created at import time and used from async code.",
        "create it inside the running loop (in a lifespan/startup hook or lazily in an async function)",
    ),
    Rule(
        "DIO601",
        "external-await-without-timeout",
        "(opt-in) An awaited external call (network, database, Redis, subprocess) has no timeout in scope.",
        "pass `timeout=...` or wrap it: `async with asyncio.timeout(seconds): ...`",
        default=False,
    ),
    Rule(
        "DIO602",
        "unbounded-gather",
        "(opt-in) `asyncio.gather(*iterable)` starts one task per item of an iterable of unknown size at once.",
        "bound the concurrency with an `asyncio.Semaphore`, or process the items in fixed-size batches",
        default=False,
    ),
)

RULES_BY_CODE: dict[str, Rule] = {rule.code: rule for rule in RULES}
DEFAULT_CODES: frozenset[str] = frozenset(rule.code for rule in RULES if rule.default)
