"""The benchmark scripts still run (a smoke test with tiny sizes; no timing is ever asserted here)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


@pytest.mark.parametrize(
    "command",
    [
        ["bench_roundtrip.py", "--quick", "--rounds", "1", "--calls", "20"],
        ["bench_submit.py", "--quick", "--rounds", "1", "--tasks", "500"],
        ["bench_audit.py", "--quick", "--rounds", "1", "--files", "5"],
        ["bench_monitor.py", "--quick", "--rounds", "1", "--tasks", "500"],
    ],
    ids=["roundtrip", "submit", "audit", "monitor"],
)
def test_benchmark_script_runs_and_reports_every_target(command: list[str]) -> None:
    proc = subprocess.run([sys.executable, *command], capture_output=True, text=True, timeout=120, cwd=BENCHMARKS)
    assert proc.returncode == 0, proc.stderr
    verdicts = [line for line in proc.stdout.splitlines() if line.startswith(("- PASS:", "- MISS:"))]
    assert len(verdicts) == (4 if command[0] == "bench_roundtrip.py" else 2)
