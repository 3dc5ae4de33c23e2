"""Helpers for generator tests: write a package of async modules into ``tmp_path`` and render twins from it."""

from __future__ import annotations

from pathlib import Path

import pytest

from dualio.twin._generator import render_module
from dualio.twin._source import Target


def _package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, modules: dict[str, str]) -> None:
    (tmp_path / name).mkdir()
    (tmp_path / name / "__init__.py").write_text("")  # unless `modules` has its own
    for module, text in modules.items():
        (tmp_path / name / f"{module}.py").write_text(text)
    monkeypatch.syspath_prepend(str(tmp_path))


def _generate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, package: str, modules: dict[str, str], *classes: str
) -> tuple[Path, str]:
    """Write ``modules`` as the package ``package``; render the twins of ``classes`` of its ``aio`` module for
    ``package/sync.py``: that path and the text (not written yet)."""
    _package(tmp_path, monkeypatch, package, modules)
    output = tmp_path / package / "sync.py"
    return output, render_module([Target(f"{package}.aio", name, output) for name in classes])
