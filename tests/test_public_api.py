"""The public face: every public name is exported from ``dualio`` and reports that module."""

from __future__ import annotations

import subprocess
import sys
from inspect import ismodule

import dualio


def test_all_names_exist_and_are_sorted() -> None:
    for name in dualio.__all__:
        assert hasattr(dualio, name), name
    assert list(dualio.__all__) == sorted(dualio.__all__)


def test_public_classes_report_the_public_module() -> None:
    for name in ("Portal", "PortalFuture", "PortalStatistics"):
        assert getattr(dualio, name).__module__ == "dualio"


def test_no_public_name_is_left_out_of_all() -> None:
    # Submodules (errors, and subpackages such as testing once imported) are reached as dualio.<name>, not exported.
    public = {name for name, value in vars(dualio).items() if not name.startswith("_") and not ismodule(value)}
    assert public <= set(dualio.__all__)


def test_core_imports_no_third_party_package() -> None:
    code = (
        "import sys, dualio\n"
        "stdlib = sys.stdlib_module_names\n"
        "bad = sorted({m.split('.')[0] for m in sys.modules} - stdlib - {'dualio', '__main__'})\n"
        "print(','.join(n for n in bad if not n.startswith('_')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_console_script_reports_version() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "dualio", "--version"], capture_output=True, text=True, check=True, timeout=30
    )
    assert out.stdout.strip() == f"dualio {dualio.__version__}"


def test_console_script_doctor_runs_a_portal_on_each_loop() -> None:
    out = subprocess.run([sys.executable, "-m", "dualio", "doctor"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "asyncio: portal ok" in out.stdout
    assert "uvloop: portal ok" in out.stdout
