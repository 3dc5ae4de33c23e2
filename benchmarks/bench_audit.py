"""Static audit speed: lines of real async code per second that ``dualio audit`` reads and checks.

Claim measured: ``dualio audit`` processes at least 20,000 lines per second on this machine, with the default
rules and with every rule (the opt-in DIO6xx included), over a real corpus: the installed sources of anyio,
starlette and httpx (the ``bench`` extra installs them). ``ast.parse`` of the same files is shown as the floor
(the audit cannot be faster than parsing; like the audit, it runs with the cyclic collector paused). Each
sample audits the whole corpus once, from reading the files to the sorted findings, through the programmatic
API (``dualio.audit.run_audit``: the work of ``dualio audit`` without the interpreter start-up). Contenders
run in one process in interleaved rounds (see _harness.py); the table shows the median, min and max over rounds.

Run: ``.venv/bin/python benchmarks/bench_audit.py`` (``--quick`` for a smoke test of a few seconds).
"""

from __future__ import annotations

import ast
import gc
import importlib.util
import time
from collections.abc import Callable
from pathlib import Path

from _harness import (
    Contender,
    Summary,
    Target,
    default_output,
    markdown_table,
    parse_arguments,
    publish,
    report,
    run_interleaved,
)
from dualio.audit import AuditConfig, run_audit

CORPUS = ("anyio", "starlette", "httpx")
PACKAGES = ("dualio", *CORPUS)
PARSE = "ast.parse only (floor)"
DEFAULT = "dualio audit (default rules)"
ALL_RULES = "dualio audit (all rules)"
TARGET = 20_000


def corpus_files(limit: int) -> list[Path]:
    """The ``.py`` files of the corpus packages, sorted, at most ``limit`` of them."""
    files: list[Path] = []
    for name in CORPUS:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            raise SystemExit(f"{name} is not installed: pip install -e '.[bench]'")
        files += sorted(Path(spec.origin).parent.rglob("*.py"))
    return files[:limit]


def lines_per_second(files: list[Path], work: Callable[[], object]) -> Callable[[], float]:
    lines = sum(len(path.read_text(encoding="utf-8").splitlines()) for path in files)

    def measure() -> float:
        start = time.perf_counter()
        work()
        return lines / (time.perf_counter() - start)

    return measure


def build_contenders(files: list[Path]) -> list[Contender]:
    def parse_all() -> None:  # with the collector paused, as run_audit does
        enabled = gc.isenabled()
        gc.disable()
        try:
            for path in files:
                ast.parse(path.read_bytes(), filename=str(path))
        finally:
            if enabled:
                gc.enable()

    default = AuditConfig()
    everything = AuditConfig().with_selection(["ALL"])
    return [
        Contender(PARSE, lines_per_second(files, parse_all)),
        Contender(DEFAULT, lines_per_second(files, lambda: run_audit(files, default))),
        Contender(ALL_RULES, lines_per_second(files, lambda: run_audit(files, everything))),
    ]


def results_table(summaries: dict[str, Summary]) -> str:
    floor = summaries[PARSE].median
    rows = []
    for name in (PARSE, DEFAULT, ALL_RULES):
        summary = summaries[name]
        rates = [f"{value:,.0f}" for value in (summary.median, summary.min, summary.max)]
        rows.append([name, *rates, f"{floor / summary.median:.2f}x", f"{summary.median / TARGET:.2f}x"])
    headers = ["contender", "median lines/s", "min", "max", "time vs parse", "vs 20,000 lines/s"]
    return markdown_table(headers, rows)


def corpus_table(files: list[Path]) -> str:
    """Per project: files, lines, findings (default rules and all rules)."""
    rows = []
    for name in CORPUS:
        own = [path for path in files if f"/{name}/" in path.as_posix()]
        if not own:
            continue
        default = run_audit(own, AuditConfig())
        everything = run_audit(own, AuditConfig().with_selection(["ALL"]))
        rows.append(
            [name, str(default.files), f"{default.lines:,}", str(len(default.findings)), str(len(everything.findings))]
        )
    return markdown_table(["project", "files", "lines", "findings (default)", "findings (all rules)"], rows)


def evaluate(summaries: dict[str, Summary]) -> list[Target]:
    return [
        Target(f"{DEFAULT} >= 20,000 lines/s (ratio to 20,000)", summaries[DEFAULT].median / TARGET, 1.0),
        Target(f"{ALL_RULES} >= 20,000 lines/s (ratio to 20,000)", summaries[ALL_RULES].median / TARGET, 1.0),
    ]


def main() -> None:
    args = parse_arguments(
        __doc__.splitlines()[0],
        size_name="files",
        size_help="at most this many corpus files",
        size=(100_000, 12),
        rounds=(7, 2),
        output="audit.md",
    )
    files = corpus_files(args.files)
    lines = sum(len(path.read_text(encoding="utf-8").splitlines()) for path in files)
    summaries = run_interleaved(build_contenders(files), rounds=args.rounds, warmup_rounds=1, gc_off=args.gc_off)
    intro = (
        f"Audit of {len(files)} files, {lines:,} lines (the installed sources of {', '.join(CORPUS)}), "
        f"{args.rounds} interleaved rounds in one process after one warm-up round; median, min and max over "
        "rounds. `time vs parse`: how many times the time of `ast.parse` alone the contender takes."
    )
    table = results_table(summaries) + "\n\nThe corpus, audited once per project:\n\n" + corpus_table(files)
    text = report("Static audit speed", intro, table, evaluate(summaries), PACKAGES)
    publish(text, default_output("audit.md", args.quick, args.output))


if __name__ == "__main__":
    main()
