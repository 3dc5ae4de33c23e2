"""The benchmark scripts still run (a smoke test with tiny sizes; no timing is ever asserted here)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

# Run on the main Python only (`make test` skips them on 3.12/3.13): what they check does not depend on the version.
pytestmark = pytest.mark.version_independent

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


@pytest.mark.parametrize(
    "command",
    [
        ["bench_roundtrip.py", "--quick", "--rounds", "1", "--calls", "20"],
        ["bench_submit.py", "--quick", "--rounds", "1", "--tasks", "500"],
        ["bench_audit.py", "--quick", "--rounds", "1", "--files", "5"],
        ["bench_monitor.py", "--quick", "--rounds", "1", "--tasks", "500"],
        ["bench_twin.py", "--quick", "--rounds", "1", "--calls", "20", "--requests", "10"],
        ["bench_held_with.py", "--quick", "--rounds", "1", "--blocks", "20"],
    ],
    ids=["roundtrip", "submit", "audit", "monitor", "twin", "held_with"],
)
def test_benchmark_script_runs_and_reports_every_target(command: list[str]) -> None:
    proc = subprocess.run([sys.executable, *command], capture_output=True, text=True, timeout=120, cwd=BENCHMARKS)
    assert proc.returncode == 0, proc.stderr
    verdicts = [line for line in proc.stdout.splitlines() if line.startswith(("- PASS:", "- MISS:"))]
    expected_verdicts = {
        "bench_roundtrip.py": 5,
        "bench_submit.py": 2,
        "bench_audit.py": 2,
        "bench_monitor.py": 2,
        "bench_twin.py": 9,
        "bench_held_with.py": 2,
    }
    assert len(verdicts) == expected_verdicts[command[0]]


def _has_pgserver() -> bool:
    # Found, not imported (importing it warns about XDG_RUNTIME_DIR). No wheels for Python 3.13: no PostgreSQL there.
    return importlib.util.find_spec("pgserver") is not None


def test_db_benchmark_runs_on_both_databases_and_reports_every_target() -> None:
    # Starts an embedded PostgreSQL (pgserver) and a SQLite file; tiny sizes, one round. SQLite only without pgserver.
    postgres = _has_pgserver()
    command = ["bench_db.py", "--quick", "--rounds", "1", "--calls", "3", "--rows", "60", "--table-rows", "200"]
    command += [] if postgres else ["--backend", "sqlite"]
    proc = subprocess.run([sys.executable, *command], capture_output=True, text=True, timeout=120, cwd=BENCHMARKS)
    assert proc.returncode == 0, proc.stderr
    verdicts = [line for line in proc.stdout.splitlines() if line.startswith(("- PASS:", "- MISS:"))]
    # SQLite: 4 operations x 4 targets; PostgreSQL: 4 operations x 2 targets.
    assert len(verdicts) == (24 if postgres else 16), proc.stdout
    assert sum("SQLite" in line for line in verdicts) == 16


@pytest.mark.skipif(not _has_pgserver(), reason="pgserver (the embedded PostgreSQL) has no wheels for this Python")
def test_vector_benchmark_runs_and_reports_every_target() -> None:
    # Embedded PostgreSQL with pgvector; 500 vectors of dimension 16, two ef_search values, dualio and raw.
    command = ["bench_vector.py", "--quick", "--vectors", "500", "--dimension", "16", "--queries", "5"]
    proc = subprocess.run(
        [sys.executable, *command, "--ef-search", "40,100"], capture_output=True, text=True, timeout=120, cwd=BENCHMARKS
    )
    assert proc.returncode == 0, proc.stderr
    verdicts = [line for line in proc.stdout.splitlines() if line.startswith(("- PASS:", "- MISS:"))]
    # Per ef_search value: dualio nearest()'s recall, and its latency against raw SQLAlchemy + pgvector.
    assert len(verdicts) == 4, proc.stdout
    assert sum("recall@10" in line for line in verdicts) == 2


def test_hand_over_benchmark_runs_free_and_pinned() -> None:
    # Tiny sizes; the script pins threads of its own process to CPU 0 and unpins them after each sample.
    command = ["bench_hand_over.py", "--quick", "--rounds", "1", "--calls", "10"]
    proc = subprocess.run([sys.executable, *command], capture_output=True, text=True, timeout=120, cwd=BENCHMARKS)
    assert proc.returncode == 0, proc.stderr
    rows = [line for line in proc.stdout.splitlines() if line.startswith("| ") and "µs" not in line]
    assert sum(line.count("[pinned]") == 1 for line in rows if " / " not in line) == 6, proc.stdout
    ratios = [line for line in rows if " / " in line]
    assert len(ratios) == 4, proc.stdout
    assert all(line.rstrip(" |").endswith("x") for line in ratios), proc.stdout


def test_lent_crossing_probe_runs_and_reports_both_ways() -> None:
    # A diagnostic (no targets): one row of phase medians for GETs on the loop and for lent round trips.
    command = ["probe_lent_crossing.py", "--rounds", "1", "--requests", "10"]
    proc = subprocess.run([sys.executable, *command], capture_output=True, text=True, timeout=120, cwd=BENCHMARKS)
    assert proc.returncode == 0, proc.stderr
    rows = {line.split(" | ")[0].lstrip("| "): line for line in proc.stdout.splitlines() if line.startswith("| ")}
    assert set(rows) == {"way", "on the loop", "one lent round trip"}, proc.stdout
    for way in ("on the loop", "one lent round trip"):
        cells = [cell.strip() for cell in rows[way].strip("| ").split(" | ")[1:]]
        assert len(cells) == 6, rows[way]
        assert all(float(cell) >= 0 for cell in cells), rows[way]
    polls = float(rows["one lent round trip"].rstrip(" |").rsplit("| ", 1)[1])
    assert polls >= 1, rows["one lent round trip"]  # a GET that waits for the server polls the selector


def test_uvloop_lending_probe_runs_every_contender() -> None:
    # A probe (no targets): one row per contender, each with its median and its ratio to asyncio.run per call.
    command = ["probe_uvloop_lending.py", "minimal", "--rounds", "1", "--requests", "10"]
    proc = subprocess.run([sys.executable, *command], capture_output=True, text=True, timeout=120, cwd=BENCHMARKS)
    assert proc.returncode == 0, proc.stderr
    rows = [line for line in proc.stdout.splitlines() if line.startswith("| ")]
    assert len(rows) == 7, proc.stdout
    assert any(row.startswith("| asyncio.run per call |") and row.endswith("= 1.00x |") for row in rows), rows
    assert all(float(row.split(" | ")[1].removesuffix(" µs")) > 0 for row in rows), rows


def test_held_body_calls_probe_runs_every_contender() -> None:
    # A probe (no targets): one row per contender (12), each with its median, min and max in µs.
    command = ["probe_held_body_calls.py", "--rounds", "1", "--calls", "10"]
    proc = subprocess.run([sys.executable, *command], capture_output=True, text=True, timeout=120, cwd=BENCHMARKS)
    assert proc.returncode == 0, proc.stderr
    rows = [line for line in proc.stdout.splitlines() if line.startswith("| ")]
    assert len(rows) == 12, proc.stdout
    assert sum("inside a held block" in row for row in rows) == 4, rows
    assert all(float(cell) > 0 for row in rows for cell in row.strip("| ").split(" | ")[1:]), rows
