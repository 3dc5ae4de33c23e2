"""Overhead of dualio.monitor on a loop-heavy workload: many small tasks, each a few sleeps, on one loop.

Claim measured: watching a loop with ``dualio.monitor.watch()`` and its defaults (heartbeat and stall
detection, lag histogram, lost-task reporting) costs at most 3% of the loop's throughput, on asyncio and on
uvloop. Also measured: the monitor with ``count_tasks=True`` (one call per task created, through the task
factory) and, for scale, the same workload under asyncio's debug mode, the stdlib's own diagnostics.

Workload: ``--tasks`` tasks created with ``asyncio.create_task`` by ``--concurrency`` lanes (each lane starts
its next task when the previous one ends, so that many are always in flight); each task does ``sleep(0)``, a
timed ``sleep(0.0005)`` and ``sleep(0)``, so the loop runs task steps, timers and its selector all the time.
Each sample runs the whole workload on a fresh loop (``asyncio.Runner``) and returns tasks per second; the
monitored contenders start the monitor inside the run, before the clocks start (a service starts it once;
its start and stop are reported apart). Tasks per CPU-second of the process are recorded too: on a shared
machine they are disturbed less by other processes.
Contenders run in one process in interleaved rounds (see _harness.py); the table shows median, min and max.

Run: ``.venv/bin/python benchmarks/bench_monitor.py`` (``--quick`` for a smoke test of a few seconds).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import time
from collections.abc import Callable

import uvloop

import dualio.monitor
from _harness import (
    Contender,
    Summary,
    Target,
    default_output,
    markdown_table,
    publish,
    report,
    run_interleaved,
)

PACKAGES = ("dualio", "uvloop")
THRESHOLD = 0.1  # the default threshold (heartbeat every 25 ms)

ASYNCIO = "asyncio"
ASYNCIO_MONITOR = "asyncio + dualio.monitor"
ASYNCIO_COUNTING = "asyncio + dualio.monitor(count_tasks=True)"
ASYNCIO_DEBUG = "asyncio debug mode"
UVLOOP = "uvloop"
UVLOOP_MONITOR = "uvloop + dualio.monitor"
UVLOOP_COUNTING = "uvloop + dualio.monitor(count_tasks=True)"

START_STOP: list[float] = []
"""Seconds that ``watch()`` plus ``stop()`` took, per monitored sample."""

CPU_SAMPLES: dict[str, list[float]] = {}
"""Tasks per CPU-second of the whole process (loop thread + watchdog), per contender: the machine is shared."""


async def one_task() -> None:
    await asyncio.sleep(0)
    await asyncio.sleep(0.0005)
    await asyncio.sleep(0)


async def lane(tasks: int) -> None:
    """Run ``tasks`` small tasks one after another: ``concurrency`` lanes keep that many tasks in flight."""
    create_task = asyncio.create_task
    for _ in range(tasks):
        await create_task(one_task())


async def workload(tasks: int, concurrency: int, monitored: bool, count_tasks: bool) -> tuple[float, float]:
    """Run the tasks (watched or not) and return (wall seconds, process CPU seconds) of the tasks alone.

    The monitor is started before the clocks start and stopped after they stop: a service starts it once, so
    its start and stop (a thread start and join, measured apart in ``START_STOP``) are not part of the
    throughput of a watched loop.
    """
    start_stop = time.perf_counter()
    monitor = dualio.monitor.watch(threshold=THRESHOLD, count_tasks=count_tasks) if monitored else None
    start_stop = time.perf_counter() - start_stop
    try:
        per_lane, extra = divmod(tasks, concurrency)
        start, cpu_start = time.perf_counter(), time.process_time()
        await asyncio.gather(*[lane(per_lane + (i < extra)) for i in range(concurrency)])
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
        return elapsed, cpu
    finally:
        if monitor is not None:
            stop = time.perf_counter()
            monitor.stop()
            START_STOP.append(start_stop + time.perf_counter() - stop)
            stats = monitor.statistics()
            # A heartbeat is a lag sample from the second beat on (every 25 ms): --quick runs may be shorter.
            if (count_tasks and stats.tasks_started < tasks) or (stats.heartbeats == 0 and tasks >= 10_000):
                raise RuntimeError(f"the monitor did not see the workload: {stats}")


def contender(
    name: str,
    loop_factory: Callable[[], asyncio.AbstractEventLoop],
    tasks: int,
    concurrency: int,
    *,
    monitored: bool = False,
    count_tasks: bool = False,
    debug: bool = False,
) -> Contender:
    """A contender whose sample is tasks per wall-clock second; tasks per CPU-second go to ``CPU_SAMPLES``."""
    cpu_samples = CPU_SAMPLES.setdefault(name, [])

    def measure() -> float:
        with asyncio.Runner(loop_factory=loop_factory, debug=debug) as runner:
            elapsed, cpu = runner.run(workload(tasks, concurrency, monitored, count_tasks))
        cpu_samples.append(tasks / cpu)
        return tasks / elapsed

    return Contender(name, measure)


def build_contenders(tasks: int, concurrency: int) -> list[Contender]:
    plain, uv = asyncio.new_event_loop, uvloop.new_event_loop
    return [
        contender(ASYNCIO, plain, tasks, concurrency),
        contender(ASYNCIO_MONITOR, plain, tasks, concurrency, monitored=True),
        contender(ASYNCIO_COUNTING, plain, tasks, concurrency, monitored=True, count_tasks=True),
        contender(ASYNCIO_DEBUG, plain, max(tasks // 10, concurrency), concurrency, debug=True),  # ~40x slower
        contender(UVLOOP, uv, tasks, concurrency),
        contender(UVLOOP_MONITOR, uv, tasks, concurrency, monitored=True),
        contender(UVLOOP_COUNTING, uv, tasks, concurrency, monitored=True, count_tasks=True),
    ]


def baseline_of(name: str) -> str:
    return UVLOOP if name.startswith(UVLOOP) else ASYNCIO


def paired_ratio(samples: dict[str, tuple[float, ...]], name: str) -> float:
    """Median over rounds of (this contender's sample / its unwatched baseline's sample in the same round).

    Pairing samples of one round cancels what drifts between rounds (other processes on a shared machine),
    which a ratio of two medians does not.
    """
    base = samples[baseline_of(name)]
    return statistics.median(mine / theirs for mine, theirs in zip(samples[name], base, strict=True))


def recorded_cpu(summaries: dict[str, Summary]) -> dict[str, tuple[float, ...]]:
    """Tasks per CPU-second of the recorded rounds (the warm-up round's sample dropped)."""
    return {name: tuple(CPU_SAMPLES[name][-len(summary.samples) :]) for name, summary in summaries.items()}


def results_table(summaries: dict[str, Summary]) -> str:
    wall = {name: summary.samples for name, summary in summaries.items()}
    cpu = recorded_cpu(summaries)
    rows = []
    for name, summary in summaries.items():
        rates = [f"{value:,.0f}" for value in (summary.median, summary.min, summary.max)]
        ratio, cpu_ratio = paired_ratio(wall, name), paired_ratio(cpu, name)
        rows.append(
            [
                name,
                *rates,
                f"{1e6 / summary.median:.2f}",
                f"{ratio:.3f}x",
                f"{(1 - ratio) * 100:+.1f}%",
                f"{statistics.median(cpu[name]):,.0f}",
                f"{cpu_ratio:.3f}x",
                f"{(1 - cpu_ratio) * 100:+.1f}%",
            ]
        )
    headers = [
        "contender",
        "median tasks/s",
        "min",
        "max",
        "µs/task",
        "vs unwatched (paired)",
        "cost",
        "tasks per CPU-s",
        "vs unwatched (paired)",
        "CPU cost",
    ]
    return markdown_table(headers, rows)


def evaluate(summaries: dict[str, Summary]) -> list[Target]:
    wall = {name: summary.samples for name, summary in summaries.items()}
    return [
        Target(
            "asyncio + dualio.monitor (defaults) keeps >= 0.97x the unwatched throughput (cost <= 3%)",
            paired_ratio(wall, ASYNCIO_MONITOR),
            0.97,
        ),
        Target(
            "uvloop + dualio.monitor (defaults) keeps >= 0.97x the unwatched throughput (cost <= 3%)",
            paired_ratio(wall, UVLOOP_MONITOR),
            0.97,
        ),
    ]


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=None, help="recorded rounds (default 31; 1 with --quick)")
    parser.add_argument("--tasks", type=int, default=None, help="tasks per sample (default 10,000; 500 with --quick)")
    parser.add_argument("--concurrency", type=int, default=500, help="tasks alive at once (default 500)")
    parser.add_argument("--quick", action="store_true", help="small numbers for a smoke test; writes no file")
    parser.add_argument("--output", default=None, help="Markdown file to write (default results/monitor.md)")
    args = parser.parse_args()
    args.rounds = args.rounds or (1 if args.quick else 31)
    args.tasks = args.tasks or (500 if args.quick else 10_000)
    if args.tasks < 1 or args.concurrency < 1 or args.rounds < 1:
        parser.error("--tasks, --concurrency and --rounds must be positive")
    return args


def main() -> None:
    args = parse_arguments()
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)  # debug mode's "Executing ... took" lines
    summaries = run_interleaved(build_contenders(args.tasks, args.concurrency), rounds=args.rounds, warmup_rounds=1)
    intro = (
        f"Throughput of {args.tasks:,} small tasks per sample, timed from the first task to the last "
        f"({args.concurrency} in flight; each task: sleep(0), "
        f"sleep(0.0005), sleep(0)) on a fresh loop per sample; the monitor runs with threshold={THRESHOLD} s "
        f"(a heartbeat every {THRESHOLD / 4 * 1000:g} ms), otherwise with its defaults unless the name says so. "
        f"{args.rounds} interleaved rounds in one process after one warm-up round (debug mode runs a tenth of the "
        f"tasks per sample: it is that much slower); median, min and max over rounds. 'vs unwatched (paired)' is "
        f"the median over rounds of the ratio to the same loop unwatched in the same round. 'tasks per CPU-s' "
        f"divides by the CPU time of the whole process (loop thread and watchdog thread; `time.process_time`), "
        f"which other processes on the machine disturb less; 'cost' columns are 1 - ratio (negative: faster than "
        f"unwatched, i.e. noise)."
    )
    table = results_table(summaries)
    table += (
        f"\n\nMonitor start + stop (`watch()` then `stop()`: a thread start and join), median over "
        f"{len(START_STOP)} samples: {statistics.median(START_STOP) * 1e3:.2f} ms."
    )
    text = report("Monitor overhead", intro, table, evaluate(summaries), PACKAGES)
    publish(text, default_output("monitor.md", args.quick, args.output))


if __name__ == "__main__":
    main()
