"""The real ``dualio audit`` command in a subprocess: exit statuses, formats, unparseable files, the report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .helpers import run_cli, write_tree

BAD = "import time\n\n\nasync def handler():\n    time.sleep(1)\n"
GOOD = "import asyncio\n\n\nasync def handler():\n    await asyncio.sleep(1)\n"


def test_exit_1_with_findings_and_text_output(tmp_path: Path) -> None:
    write_tree(tmp_path, {"bad.py": BAD})
    proc = run_cli("audit", "bad.py", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "bad.py:5:5 DIO101 blocking call `time.sleep` in async function `handler`"
    assert lines[1].startswith("    fix: ")
    assert lines[-1].startswith("1 finding in 1 file (5 lines")


def test_exit_0_without_findings(tmp_path: Path) -> None:
    write_tree(tmp_path, {"good.py": GOOD})
    proc = run_cli("audit", ".", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("No findings in 1 file (")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["audit", "missing_dir"], "no such file or directory: missing_dir"),
        (["audit", "--select", "NOPE", "."], "unknown rule code 'NOPE'"),
        (["audit", "--format", "xml", "."], "invalid choice"),
        (["audit", "--config", "absent.toml", "."], "cannot read configuration"),
        (["audit", "--output", "no/such/dir/out.txt", "."], "cannot write output"),
    ],
)
def test_exit_2_on_usage_errors(tmp_path: Path, args: list[str], message: str) -> None:
    write_tree(tmp_path, {"good.py": GOOD})
    proc = run_cli(*args, cwd=tmp_path)
    assert proc.returncode == 2
    assert message in proc.stderr


def test_exit_zero_flag_and_ignore(tmp_path: Path) -> None:
    write_tree(tmp_path, {"bad.py": BAD})
    assert run_cli("audit", "--exit-zero", ".", cwd=tmp_path).returncode == 0
    assert run_cli("audit", "--ignore", "DIO1", ".", cwd=tmp_path).returncode == 0


def test_unparseable_file_is_reported_not_fatal(tmp_path: Path) -> None:
    write_tree(tmp_path, {"broken.py": "def f(:\n    pass\n", "bad.py": BAD, "nul.py": "x = 1\x00\n"})
    (tmp_path / "latin.py").write_bytes(b"x = '\xff'\n")
    proc = run_cli("audit", "--format", "json", ".", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    document = json.loads(proc.stdout)
    found = sorted((f["path"], f["line"], f["code"]) for f in document["findings"])
    assert found == [
        ("bad.py", 5, "DIO101"),
        ("broken.py", 1, "DIO001"),
        ("latin.py", 1, "DIO001"),
        ("nul.py", 1, "DIO001"),
    ]
    assert document["files"] == 4


def test_json_format(tmp_path: Path) -> None:
    write_tree(tmp_path, {"bad.py": BAD})
    proc = run_cli("audit", "--format", "json", "bad.py", cwd=tmp_path)
    assert proc.returncode == 1
    document = json.loads(proc.stdout)
    assert document["files"] == 1
    assert document["lines"] == 5
    [finding] = document["findings"]
    assert finding == {
        "path": "bad.py",
        "line": 5,
        "col": 5,
        "end_line": 5,
        "end_col": 18,
        "code": "DIO101",
        "message": "blocking call `time.sleep` in async function `handler`",
        "hint": finding["hint"],
        "call_path": [],
    }


def test_sarif_format_has_the_2_1_0_structure(tmp_path: Path) -> None:
    files = {
        "pkg/__init__.py": "",
        "pkg/db.py": "import requests\n\n\ndef save():\n    requests.post('u', timeout=3)\n",
        "pkg/api.py": "from .db import save\n\n\nasync def handler():\n    save()\n",
    }
    write_tree(tmp_path, files)
    proc = run_cli("audit", "--format", "sarif", "-o", "out.sarif", "pkg", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout == ""
    sarif = json.loads((tmp_path / "out.sarif").read_text())
    assert sarif["version"] == "2.1.0"
    assert sarif["$schema"].endswith("sarif-2.1.0.json")
    [run] = sarif["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "dualio-audit"
    assert driver["version"]
    rule_ids = [rule["id"] for rule in driver["rules"]]
    assert len(rule_ids) == len(set(rule_ids))
    assert "DIO102" in rule_ids
    for rule in driver["rules"]:
        assert rule["shortDescription"]["text"]
        assert rule["fullDescription"]["text"]
        assert rule["defaultConfiguration"]["level"] in ("none", "note", "warning", "error")
    [result] = run["results"]
    assert result["ruleId"] == "DIO102"
    assert driver["rules"][result["ruleIndex"]]["id"] == "DIO102"
    assert result["level"] == "warning"
    assert "handler -> save -> requests.post" in result["message"]["text"]
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "pkg/api.py", "uriBaseId": "%SRCROOT%"}
    region = location["region"]
    assert region["startLine"] == 5
    assert region["startColumn"] == 5
    assert region["endLine"] >= region["startLine"]
    assert region["endColumn"] >= 1
    assert result["properties"]["callPath"] == ["pkg.api.handler", "pkg.db.save", "requests.post"]


def test_pyproject_configuration_is_found_from_the_paths(tmp_path: Path) -> None:
    write_tree(tmp_path, {"pyproject.toml": '[tool.dualio.audit]\nignore = ["DIO101"]\n', "sub/bad.py": BAD})
    assert run_cli("audit", "sub", cwd=tmp_path).returncode == 0
    assert run_cli("audit", ".", cwd=tmp_path / "sub").returncode == 0
    other = tmp_path / "other.toml"
    other.write_text('select = ["DIO1"]\n')
    assert run_cli("audit", "--config", str(other), "sub", cwd=tmp_path).returncode == 1


def test_report_is_written(tmp_path: Path) -> None:
    files = {
        "svc/__init__.py": "",
        "svc/app.py": """
import asyncio
import atexit
import signal

import aiohttp
from .db import save

LOCK = asyncio.Lock()


async def handler(session: aiohttp.ClientSession):
    save()
    asyncio.create_task(handler(session))
    async with asyncio.timeout(5):
        await session.get("u")
    await session.post("u")
    try:
        await asyncio.sleep(1)
    except asyncio.CancelledError:
        raise
    try:
        await asyncio.sleep(1)
    except BaseException:
        pass
    async with LOCK:
        pass


def main():
    atexit.register(print)
    signal.signal(signal.SIGTERM, print)
""",
        "svc/db.py": "import sqlite3\n\n\ndef save():\n    sqlite3.connect('x')\n",
    }
    write_tree(tmp_path, files)
    proc = run_cli("audit", "--report", "report.md", "svc", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    report = (tmp_path / "report.md").read_text()
    assert report.startswith("# Async audit report\n")
    assert "3 files" in report
    for row in (
        "| async functions | 1 |",
        "| sync functions | 2 |",
        "| tasks started (`create_task`, `ensure_future`, `start_soon`, `start`) | 1 |",
        "| awaited external calls (network, database, Redis, subprocess) | 2 |",
        "| ... with a timeout in scope | 1 (50%) |",
        "| handlers catching cancellation (`CancelledError`, `BaseException`, bare) | 2 |",
        "| ... that re-raise or hand the exception on | 1 |",
        "| shutdown hooks found | 2 |",
        "| DIO102 | blocking-call-via-sync-helper | 1 |",
        "| DIO301 | task-not-kept | 1 |",
        "| DIO401 | cancellation-swallowed | 1 |",
        "| DIO501 | loop-bound-object-at-import | 1 |",
    ):
        assert row in report, row
    assert "handler -> save -> sqlite3.connect" in report
    assert "`svc/app.py:17` awaited external call `aiohttp.ClientSession.post`" in report
    assert "atexit.register" in report
    assert "signal.signal" in report
    assert "| `svc/app.py` |" in report
    assert "| `svc/db.py` |" not in report


def test_list_rules(tmp_path: Path) -> None:
    proc = run_cli("audit", "--list-rules", cwd=tmp_path)
    assert proc.returncode == 0
    assert "DIO601  external-await-without-timeout (opt-in)" in proc.stdout
