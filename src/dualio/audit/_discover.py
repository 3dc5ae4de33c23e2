"""Which files are audited, and the module name each one is imported under."""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

# Directory names never descended into (unless given explicitly on the command line).
_SKIPPED_DIRS = frozenset({"__pycache__", "node_modules", "site-packages", "venv"})


@dataclass(frozen=True)
class SourceFile:
    """A file to audit: its path, the path shown in findings, its module names and whether it is a package."""

    path: Path
    display: str
    module: str
    aliases: tuple[str, ...]
    is_package: bool


def _excluded(path: Path, root: Path, patterns: Sequence[str]) -> bool:
    if not patterns:
        return False
    try:
        relative = path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        relative = path.as_posix()
    parts = relative.split("/")
    for pattern in patterns:
        pattern = pattern.rstrip("/")
        if fnmatch.fnmatchcase(relative, pattern) or fnmatch.fnmatchcase(relative, pattern + "/*"):
            return True
        if "/" not in pattern and any(fnmatch.fnmatchcase(part, pattern) for part in parts):
            return True
        if relative.startswith(pattern + "/"):
            return True
    return False


def _module_name(path: Path) -> tuple[str, bool]:
    """The dotted name from the outermost directory of the ``__init__.py`` chain; and whether it is a package."""
    is_package = path.name == "__init__.py"
    parts: list[str] = [] if is_package else [path.stem]
    directory = path.parent
    while (directory / "__init__.py").is_file():
        parts.append(directory.name)
        if directory.parent == directory:
            break
        directory = directory.parent
    if not parts:
        parts.append(path.parent.name)
    return ".".join(reversed(parts)), is_package


def _aliases(path: Path, module: str, base: Path | None) -> tuple[str, ...]:
    """Other names a file may be imported under: relative to the given directory and to its parent."""
    if base is None:
        return ()
    names = []
    for anchor in (base, base.parent):
        try:
            relative = path.relative_to(anchor).with_suffix("")
        except ValueError:
            continue
        parts = list(relative.parts)
        if parts and parts[-1] == "__init__":
            parts.pop()
        name = ".".join(parts)
        if name and name != module and all(part.isidentifier() for part in parts):
            names.append(name)
    return tuple(names)


def discover(paths: Sequence[Path], root: Path, exclude: Sequence[str]) -> Iterator[SourceFile]:
    """Yield the Python files under ``paths`` (files given explicitly are always included), sorted per directory.

    Hidden directories, ``__pycache__``, ``node_modules``, ``site-packages`` and ``venv`` are skipped, as is
    anything matching an ``exclude`` pattern (see :func:`_excluded`).
    """
    seen: set[Path] = set()
    for given in paths:
        if given.is_file():
            resolved = given.resolve()
            if resolved not in seen:
                seen.add(resolved)
                module, is_package = _module_name(resolved)
                yield SourceFile(given, given.as_posix(), module, (), is_package)
            continue
        base = given.resolve()
        for directory, dirnames, filenames in os.walk(given):
            dir_path = Path(directory)
            dirnames[:] = sorted(
                name
                for name in dirnames
                if not name.startswith(".")
                and name not in _SKIPPED_DIRS
                and not name.endswith(".egg-info")
                and not _excluded(dir_path / name, root, exclude)
            )
            for filename in sorted(filenames):
                if not filename.endswith(".py"):
                    continue
                path = dir_path / filename
                if _excluded(path, root, exclude):
                    continue
                resolved = path.resolve()
                if resolved in seen:
                    continue
                seen.add(resolved)
                module, is_package = _module_name(resolved)
                yield SourceFile(path, path.as_posix(), module, _aliases(resolved, module, base), is_package)
