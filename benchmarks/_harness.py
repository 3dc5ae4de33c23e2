"""Shared benchmark harness: interleaved rounds, summary statistics, targets, machine info and Markdown reports.

Both benchmark scripts measure every contender in the same process, in interleaved rounds: round 1 runs each
contender once, round 2 runs each again, and so on, with the starting contender rotated each round. Slow drift
of the machine (another process, thermal or frequency changes) then hits every contender alike instead of
whichever happened to run last. Results are summarised by the median over rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import gc
import os
import platform
import shlex
import statistics
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

RESULTS_DIR = Path(__file__).resolve().parent / "results"

Measure = Callable[[], float]
"""Runs one batch of a contender and returns one sample (seconds per call, tasks per second, ...)."""


@dataclass(frozen=True)
class Contender:
    """One way of doing the measured thing, under a name that appears in the table."""

    name: str
    measure: Measure


@dataclass(frozen=True)
class Summary:
    """Statistics of one contender's samples across rounds."""

    samples: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def min(self) -> float:
        return min(self.samples)

    @property
    def max(self) -> float:
        return max(self.samples)

    def quantile(self, fraction: float) -> float:
        """Linear-interpolated quantile (``0.9`` is p90); with one sample, that sample."""
        ordered = sorted(self.samples)
        position = fraction * (len(ordered) - 1)
        low = int(position)
        high = min(low + 1, len(ordered) - 1)
        return ordered[low] + (ordered[high] - ordered[low]) * (position - low)

    @property
    def spread(self) -> float:
        """(max - min) / median: how much the rounds disagreed."""
        return (self.max - self.min) / self.median


def run_interleaved(
    contenders: Sequence[Contender], rounds: int, warmup_rounds: int = 1, *, gc_off: bool = False
) -> dict[str, Summary]:
    """Run every contender once per round for ``rounds`` rounds, after ``warmup_rounds`` unrecorded rounds.

    The order rotates each round (round ``r`` starts at contender ``r mod n``). A full garbage collection runs
    before each batch so that one contender's garbage is not collected on another's clock. With ``gc_off``
    the cyclic collector is disabled while a batch runs, to show its share of the time.
    """
    samples: dict[str, list[float]] = {contender.name: [] for contender in contenders}
    for round_number in range(-warmup_rounds, rounds):
        start = round_number % len(contenders)
        for contender in [*contenders[start:], *contenders[:start]]:
            gc.collect()
            if gc_off:
                gc.disable()
            try:
                sample = contender.measure()
            finally:
                gc.enable()
            if round_number >= 0:
                samples[contender.name].append(sample)
        if round_number >= 0:
            print(f"  round {round_number + 1}/{rounds} done", file=sys.stderr, flush=True)
    return {name: Summary(tuple(values)) for name, values in samples.items()}


@contextmanager
def loop_thread(
    loop_factory: Callable[[], asyncio.AbstractEventLoop] = asyncio.new_event_loop,
) -> Iterator[asyncio.AbstractEventLoop]:
    """A loop (plain asyncio by default) running ``run_forever`` on a daemon thread of its own."""
    loop = loop_factory()
    thread = threading.Thread(target=loop.run_forever, name="bench-loop", daemon=True)
    thread.start()
    try:
        yield loop
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.close()


@dataclass(frozen=True)
class Target:
    """A claim checked against a measured ratio: ``measured <= limit`` if ``at_most``, else ``>= limit``."""

    claim: str
    measured: float
    limit: float
    at_most: bool = False

    @property
    def passed(self) -> bool:
        return self.measured <= self.limit if self.at_most else self.measured >= self.limit

    def line(self) -> str:
        return f"{'PASS' if self.passed else 'MISS'}: {self.claim} (measured {self.measured:.2f}x)"


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table; every column after the first is right-aligned."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]

    def render(cells: Sequence[str]) -> str:
        padded = [
            cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "| " + " | ".join(padded) + " |"

    separator = "|" + "|".join(("-" * (w + 2) if i == 0 else "-" * (w + 1) + ":") for i, w in enumerate(widths)) + "|"
    return "\n".join([render(headers), separator, *(render(row) for row in rows)])


def cpu_model() -> str:
    """The CPU model name from /proc/cpuinfo, or what ``platform`` knows elsewhere."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def usable_cores() -> int:
    """Cores this process may run on (what ``nproc`` prints)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def package_versions(names: Sequence[str]) -> str:
    versions = []
    for name in names:
        try:
            versions.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{name} (not installed)")
    return ", ".join(versions)


def machine_info(packages: Sequence[str]) -> list[str]:
    """Lines describing when, where and how the benchmark ran."""
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return [
        f"- date: {now}",
        f"- command: `{shlex.join(sys.orig_argv)}`",
        f"- python: {platform.python_implementation()} {platform.python_version()} ({platform.platform()})",
        f"- cpu: {cpu_model()}, {usable_cores()} cores usable (nproc), os.cpu_count() = {os.cpu_count()}",
        f"- packages: {package_versions(packages)}",
    ]


def report(title: str, intro: str, table: str, targets: Sequence[Target], packages: Sequence[str]) -> str:
    """The full Markdown report: title, intro, machine info, table and PASS/MISS lines."""
    parts = [f"## {title}", "", intro, "", *machine_info(packages), "", table, ""]
    parts += [f"- {target.line()}" for target in targets]
    return "\n".join(parts) + "\n"


def publish(text: str, output: Path | None) -> None:
    """Print the report and, if ``output`` is given, write it there."""
    print(text)
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text)
        print(f"written to {output}", file=sys.stderr)


def default_output(name: str, quick: bool, output: str | None) -> Path | None:
    """Where to write: ``--output`` if given, else ``results/<name>`` except for ``--quick`` smoke runs."""
    if output is not None:
        return Path(output)
    return None if quick else RESULTS_DIR / name


def parse_arguments(
    description: str, *, size_name: str, size_help: str, size: tuple[int, int], rounds: tuple[int, int], output: str
) -> argparse.Namespace:
    """Parse the options every benchmark takes; ``size`` and ``rounds`` are (full run, ``--quick`` run)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--rounds", type=int, default=None, help=f"recorded rounds (default {rounds[0]}; {rounds[1]} with --quick)"
    )
    parser.add_argument(
        f"--{size_name}", type=int, default=None, help=f"{size_help} (default {size[0]}; {size[1]} with --quick)"
    )
    parser.add_argument("--quick", action="store_true", help="small numbers for a smoke test; writes no file")
    parser.add_argument("--output", default=None, help=f"Markdown file to write (default results/{output})")
    parser.add_argument(
        "--gc-off", action="store_true", help="disable the cyclic garbage collector while measuring (its share)"
    )
    args = parser.parse_args()
    args.rounds = args.rounds or rounds[args.quick]
    setattr(args, size_name, getattr(args, size_name) or size[args.quick])
    return args
