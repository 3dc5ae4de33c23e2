"""The examples in docs/twin.md run as written and print what the page says they print."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

# Run on the main Python only (`make test` skips them on 3.12/3.13): what they check does not depend on the version.
pytestmark = pytest.mark.version_independent

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "twin.md"
EXAMPLES = re.findall(r"```python\n(.*?)```", GUIDE.read_text(), flags=re.DOTALL)

# What each example prints (in order of the page), checked line by line where the output is deterministic.
EXPECTED: list[list[str]] = [
    ["3", "5", "[('apple', 3), ('pear', 5)]", "north", "closed on the loop"],
    ["b'3' [('apple', b'3'), ('pear', b'5')]", "True"],
    ["TimeoutError: AsyncSlow.wait did not finish within 0.05 s; it was cancelled", "done", "done", "0.05"],
    ["['select 1']", "connection closed", "True True"],
    ["True", "same loop", "same loop", "True"],
    ["['a', 'b', 'c']", "3", "not connected", "True", "pong", "pong True"],
    ["MainThread"],
]


def test_every_example_has_its_expected_output() -> None:
    assert len(EXAMPLES) == len(EXPECTED)


@pytest.mark.parametrize(("example", "expected"), list(zip(EXAMPLES, EXPECTED, strict=True)), ids=range(len(EXPECTED)))
def test_twin_guide_example_runs(example: str, expected: list[str]) -> None:
    proc = subprocess.run(
        [sys.executable, "-W", "error", "-c", example], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert proc.returncode == 0, proc.stderr
    lines = [line for line in proc.stdout.splitlines() if "cleanup ran on the loop" not in line]
    assert lines[: len(expected)] == expected, proc.stdout


def test_the_closing_example_shows_the_type_error_for_a_class_without_async_members() -> None:
    proc = subprocess.run([sys.executable, "-c", EXAMPLES[3]], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert "has no async def method" in proc.stdout
