"""The example scripts run to completion and report what they claim to show."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# The timeout is longer than the subprocess timeout below, so that a hung demo is reported with its output. Run on
# the main Python only (`make test` skips them on 3.12/3.13): what they check does not depend on the version.
pytestmark = [pytest.mark.timeout(90), pytest.mark.version_independent]


@pytest.fixture(scope="module")
def demo() -> subprocess.CompletedProcess[str]:
    """Run examples/portal_demo.py once, as `make demo` does, with warnings turned into errors."""
    try:
        return subprocess.run(
            [sys.executable, "-W", "error", "examples/portal_demo.py"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"examples/portal_demo.py did not finish within 60 s; its output so far:\n{exc.stdout!r}")


def test_demo_exits_cleanly(demo: subprocess.CompletedProcess[str]) -> None:
    assert demo.returncode == 0, f"exit status {demo.returncode}\nstdout:\n{demo.stdout}\nstderr:\n{demo.stderr}"
    assert demo.stderr == ""  # no warning, no unhandled-exception or pending-task report from asyncio or dualio


REPORT_LINES = {
    "run": r"^run +1 request -> 200 \{\"item\": 1\}",
    "gather": r"^gather +200 requests fetched concurrently by one dualio\.run, all 200 OK, in \d+ ms",
    "submit": r"^submit +50 fire-and-forget requests .*, 50 OK, collected in \d+ ms",
    "iterate": r"^iterate +5 lines streamed from /stream by a sync for loop: line 1, line 2, line 3, line 4, line 5",
    "timeout": r"^timeout +TimeoutError after \d+ ms .*the request was cancelled, 1 client cancelled, 1 hang-up seen",
    "enter": r"^enter +session opened \(1 open\), 20 requests at most 5 at a time, closed \(0 open\)",
    "stats": r"^stats +server answered 272 requests; portal: \d+ tasks submitted, .* 0 failed, 1 cancelled, 0 pending",
    "shutdown": r"^shutdown +portal drained and stopped",
}


@pytest.mark.parametrize("pattern", REPORT_LINES.values(), ids=REPORT_LINES.keys())
def test_demo_reports(demo: subprocess.CompletedProcess[str], pattern: str) -> None:
    assert re.search(pattern, demo.stdout, re.MULTILINE), f"no line matches {pattern!r} in:\n{demo.stdout}"


def test_demo_gather_beats_sequential(demo: subprocess.CompletedProcess[str]) -> None:
    match = re.search(r"^gather .* in (\d+) ms", demo.stdout, re.MULTILINE)
    assert match is not None, demo.stdout
    assert int(match.group(1)) < 5000  # 200 requests of 50 ms: 10 s one after another


@pytest.mark.parametrize("arguments", [[], ["--postgres"]], ids=["sqlite", "postgresql"])
def test_db_demo_runs_every_step_on_both_databases(arguments: list[str]) -> None:
    if arguments and importlib.util.find_spec("pgserver") is None:
        pytest.skip("the embedded PostgreSQL needs pgserver (no wheels for this Python)")
    proc = subprocess.run(
        [sys.executable, "-W", "error", "examples/db_demo.py", *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=80,
        check=False,
    )
    assert proc.returncode == 0, f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    assert proc.stderr == ""
    steps = [line.split()[0] for line in proc.stdout.splitlines()]
    assert steps == [
        "database",
        "sync",
        "async",
        "one",
        "rollback",
        "versions",
        "search",
        "nearest",
        "pages",
        "keywords",
        "all",
    ]
