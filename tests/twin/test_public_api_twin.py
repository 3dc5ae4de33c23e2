"""The public face of dualio.twin: every name exported, public classes report the public module, stdlib only."""

from __future__ import annotations

import subprocess
import sys
from inspect import ismodule

import dualio.twin
from dualio.twin import support


def _isort_style(name: str) -> tuple[int, str]:
    """The order ruff's RUF022 keeps ``__all__`` in: constants, then classes, then the rest, each sorted."""
    return (0 if name.isupper() else 1 if name[:1].isupper() else 2, name)


def test_all_names_exist_are_sorted_and_none_is_left_out() -> None:
    for module in (dualio.twin, support):
        for name in module.__all__:
            assert hasattr(module, name), name
        assert list(module.__all__) == sorted(module.__all__, key=_isort_style)
        public = {name for name, value in vars(module).items() if not name.startswith("_") and not ismodule(value)}
        assert public - {"annotations"} <= set(module.__all__)


def test_public_classes_report_the_public_module() -> None:
    for name in ("Twin", "TwinClosedError", "GenerateError"):
        assert getattr(dualio.twin, name).__module__ == "dualio.twin"


def test_errors_subclass_dualio_error_and_the_matching_builtin() -> None:
    assert issubclass(dualio.twin.TwinClosedError, dualio.DualioError)
    assert issubclass(dualio.twin.TwinClosedError, RuntimeError)
    assert issubclass(dualio.twin.GenerateError, dualio.DualioError)
    assert issubclass(dualio.twin.GenerateError, ValueError)


def test_the_twin_runtime_and_generator_import_no_third_party_package() -> None:
    code = (
        "import sys, dualio.twin, dualio.twin.support, dualio.twin._cli, dualio.twin.examples.store\n"
        "stdlib = sys.stdlib_module_names\n"
        "bad = sorted({m.split('.')[0] for m in sys.modules} - stdlib - {'dualio', '__main__'})\n"
        "print(','.join(n for n in bad if not n.startswith('_')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == ""
