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
        ["bench_twin.py", "--quick", "--rounds", "1", "--calls", "20", "--requests", "10"],
    ],
    ids=["roundtrip", "submit", "audit", "monitor", "twin"],
)
def test_benchmark_script_runs_and_reports_every_target(command: list[str]) -> None:
    proc = subprocess.run([sys.executable, *command], capture_output=True, text=True, timeout=120, cwd=BENCHMARKS)
    assert proc.returncode == 0, proc.stderr
    verdicts = [line for line in proc.stdout.splitlines() if line.startswith(("- PASS:", "- MISS:"))]
    expected_verdicts = {
        "bench_roundtrip.py": 4,
        "bench_submit.py": 2,
        "bench_audit.py": 2,
        "bench_monitor.py": 2,
        "bench_twin.py": 4,
    }
    assert len(verdicts) == expected_verdicts[command[0]]
