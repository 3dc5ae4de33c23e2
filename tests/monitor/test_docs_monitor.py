"""The examples of docs/monitor.md run as written and print what their comments say."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

# Run on the main Python only (`make test` skips them on 3.12/3.13): what they check does not depend on the version.
pytestmark = pytest.mark.version_independent

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = re.findall(r"```python\n(.*?)```", (ROOT / "docs" / "monitor.md").read_text(), flags=re.DOTALL)

# FastAPI is not a dependency of this project: the lifespan example runs against a stand-in that keeps the
# lifespan function, and is then driven as an ASGI server would drive it (enter, serve a while, exit).
FASTAPI_STAND_IN = """
class FastAPI:
    def __init__(self, *, lifespan):
        self.lifespan = lifespan
"""
DRIVE_LIFESPAN = """
import asyncio as _asyncio
import urllib.request as _request


async def _serve_a_while() -> None:
    async with app.lifespan(app):
        await _asyncio.sleep(0.05)
        body = await _asyncio.to_thread(lambda: _request.urlopen("http://127.0.0.1:9464/metrics", timeout=5).read())
        print([line for line in body.decode().splitlines() if line.startswith("dualio_loop_monitor_running")])


_asyncio.run(_serve_a_while())
"""


def run(code: str, cwd: Path) -> str:
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=cwd)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_there_are_three_examples() -> None:
    assert len(EXAMPLES) == 3


def test_the_first_example_names_the_blocking_function_and_line(tmp_path: Path) -> None:
    out = run(EXAMPLES[0], tmp_path).splitlines()
    assert out[0] == "1 load_config 8"
    assert re.fullmatch(r"event loop 'loop-\w+' blocked for 0\.\d+ s in task Task-\d+ at load_config \(.*:8\)", out[1])


def test_the_fastapi_lifespan_example_serves_metrics_off_the_loop(tmp_path: Path) -> None:
    assert "from fastapi import FastAPI" in EXAMPLES[1]
    (tmp_path / "fastapi.py").write_text(FASTAPI_STAND_IN)
    out = run(EXAMPLES[1] + DRIVE_LIFESPAN, tmp_path)
    assert out.splitlines() == ["['dualio_loop_monitor_running{loop=\"api\"} 1.0']"]


def test_the_portal_example_prints_what_it_says(tmp_path: Path) -> None:
    out = run(EXAMPLES[2], tmp_path).splitlines()
    assert out == [
        "done",
        "['dualio_loop_blocking_events_total{loop=\"worker\"} 1.0']",
        "['dualio_portal_tasks_submitted_total{portal=\"worker\"} 1.0']",
    ]
