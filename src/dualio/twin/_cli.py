"""``dualio twin generate [--check]``: the console entry point of the generator.

Targets are read from ``[tool.dualio.twin]`` in ``pyproject.toml`` (the nearest one upwards from the current
directory, or ``--config``): each key is ``"package.module:AsyncClass"`` and its value the ``.py`` file to write,
relative to the ``pyproject.toml``. Classes mapped to the same file are generated into one module, and each sees
the others' twins in its annotations.
"""

from __future__ import annotations

import argparse
import sys
import tomllib
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ._errors import GenerateError, GenerateNote
from ._generator import Rendered, defining_targets, render, written_by_generator
from ._lineage import Sources
from ._source import Target

if TYPE_CHECKING:
    from dualio._cli import Subparsers

__all__ = ("add_twin_subcommand", "generate", "read_targets")


def find_config(start: Path) -> Path:
    """Return the nearest ``pyproject.toml`` in ``start`` or a parent directory."""
    for directory in (start, *start.parents):
        candidate = directory / "pyproject.toml"
        if candidate.is_file():
            return candidate
    raise GenerateError(f"no pyproject.toml in {start} or any parent directory; pass --config PATH")


def read_targets(config: Path) -> dict[Path, list[Target]]:
    """Read ``[tool.dualio.twin]`` of ``config``; return the targets grouped by output file, in file order."""
    try:
        data = tomllib.loads(config.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise GenerateError(f"cannot read {config}: {exc}") from exc
    table = data.get("tool", {}).get("dualio", {}).get("twin")
    if not isinstance(table, dict) or not table:
        raise GenerateError(
            f"{config} has no [tool.dualio.twin] table listing async classes to twin; add one such as\n"
            '[tool.dualio.twin]\n"mylib.aio:AsyncClient" = "src/mylib/client.py"'
        )
    grouped: dict[Path, list[Target]] = {}
    for spec, output in table.items():
        target = Target.parse(spec, output, config.parent)
        grouped.setdefault(target.output, []).append(target)
    return grouped


def _stale(written: str, rendered: str) -> str:
    """What ``--check`` says of a twin module that differs: where, and what the generator would write there."""
    old_lines, new_lines = written.splitlines(), rendered.splitlines()
    line = next(
        (n for n, (old, new) in enumerate(zip(old_lines, new_lines, strict=False), 1) if old != new),
        min(len(old_lines), len(new_lines)) + 1,
    )
    would = new_lines[line - 1].strip() if line <= len(new_lines) else "(nothing: the file would end before)"
    return (
        f"stale (its async source, or the generator, changed): first difference at line {line}, which would "
        f"read: {would[:100]}"
    )


def generate(config: Path, *, check: bool) -> list[str]:
    """Write (or with ``check`` only compare) every twin module; return one line per stale or missing file.

    Nothing is written unless every module could be rendered and every output may be written: an output that
    is one of the async source files read, or an existing file that does not start with the generated header,
    is a ``GenerateError`` (with ``check`` too), since writing it would destroy code someone wrote.
    """
    problems = []
    grouped = read_targets(config)
    rendered = _render_all(config, grouped)
    current = {output: _current_text(output) for output in rendered}
    _refuse_overwrites(config, grouped, rendered, current)
    for output, result in rendered.items():
        if current[output] == result.text:
            continue
        relative = _relative(output, config)
        if check:
            was = current[output]
            problems.append(f"{relative}: " + ("missing" if was is None else _stale(was, result.text)))
        else:
            output.parent.mkdir(parents=True, exist_ok=True)
            output.write_text(result.text)
            print(f"wrote {relative}")
    return problems


def _render_all(config: Path, grouped: dict[Path, list[Target]]) -> dict[Path, Rendered]:
    """Render the twin module of each output file, finding async modules on ``sys.path`` and in the project.

    The project's directory, and its ``src/`` for a src layout, are on ``sys.path`` only while rendering. A
    target naming a module that re-exports its class is read from the module that defines it (in annotations
    of the other outputs too).
    """
    added = [str(path) for path in (config.parent / "src", config.parent) if str(path) not in sys.path]
    sys.path[:0] = added
    try:
        lookup = Sources()
        defining = {output: defining_targets(targets, lookup) for output, targets in grouped.items()}
        _refuse_twice_listed(config, defining)
        holders = {output: module_name_of(output) for output in defining}
        _note_unnamed_outputs(config, defining, holders)
        # `render` is given the targets as listed: it notes a twin named like a class of the module listed
        return {output: render(grouped[output], _elsewhere(defining, holders, output)) for output in defining}
    finally:
        for path in added:
            sys.path.remove(path)


def _current_text(output: Path) -> str | None:
    """The text of the output file now, ``None`` when there is none."""
    try:
        return output.read_text()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise GenerateError(
            f"cannot read {output} to compare the twin module with it ({exc}); name another file"
        ) from exc


def _refuse_overwrites(
    config: Path, grouped: dict[Path, list[Target]], rendered: dict[Path, Rendered], current: dict[Path, str | None]
) -> None:
    """Raise ``GenerateError`` naming each output that is a source file read, or a file the generator did not write."""
    read = {path: module for result in rendered.values() for path, module in result.read.items()}
    refused = []
    for output, text in current.items():
        relative = _relative(output, config)
        module = read.get(output.resolve())
        if module is not None:
            readers = ", ".join(_readers(output, grouped, rendered))
            classes = ", ".join(target.cls for target in grouped[output])
            refused.append(
                f"{relative} is module {module}, which the twin of {readers} is generated from (writing the twin "
                f"there would destroy it); name another output file for {classes} in [tool.dualio.twin] of "
                f"{config.name}"
            )
        elif text is not None and not written_by_generator(text):
            refused.append(
                f"{relative} exists and was not written by `dualio twin generate` (it does not start with the "
                f"generated header); delete it, or name another output file in [tool.dualio.twin] of {config.name}"
            )
    if refused:
        raise GenerateError("\n".join([*refused, "nothing was written"]))


def _readers(source: Path, grouped: dict[Path, list[Target]], rendered: dict[Path, Rendered]) -> list[str]:
    """The async classes whose twin modules were generated from the file ``source``."""
    found = source.resolve()
    return sorted(
        {target.cls for output, targets in grouped.items() if found in rendered[output].read for target in targets}
    )


def _relative(output: Path, config: Path) -> Path:
    return output.relative_to(config.parent) if output.is_relative_to(config.parent) else output


def module_name_of(path: Path) -> str | None:
    """The name ``path`` (a ``.py`` file) is imported as, from the most specific ``sys.path`` entry holding it.

    ``None`` when no entry holds it under a dotted name of identifiers.
    """
    resolved = path.resolve()
    entries = {Path(entry).resolve() for entry in sys.path if entry and Path(entry).is_dir()}
    for entry in sorted(entries, key=lambda entry: len(entry.parts), reverse=True):
        if resolved.is_relative_to(entry):
            parts = resolved.relative_to(entry).with_suffix("").parts
            if parts and all(part.isidentifier() for part in parts):
                return ".".join(parts)
    return None


def _refuse_twice_listed(config: Path, grouped: dict[Path, list[Target]]) -> None:
    """Raise ``GenerateError`` if one class is listed for two output files (perhaps once through a re-export)."""
    outputs: dict[tuple[str, str], Path] = {}
    for output, targets in grouped.items():
        for target in targets:
            first = outputs.setdefault((target.module, target.cls), output)
            if first != output:
                raise GenerateError(
                    f"{target.module}:{target.cls} is listed for two output files, "
                    f"{_relative(first, config)} and {_relative(output, config)} (a key naming a module that "
                    "re-exports it counts as the class itself): each class gets one twin; keep one key"
                )


def _note_unnamed_outputs(config: Path, grouped: dict[Path, list[Target]], holders: dict[Path, str | None]) -> None:
    """Warn ``GenerateNote`` for each output file of several that no import can name, so no other can use its twins."""
    if len(grouped) < 2:
        return
    for output, holder in holders.items():
        if holder is None:
            twins = ", ".join(target.twin for target in grouped[output])
            warnings.warn(
                f"{_relative(output, config)} cannot be imported by a module name (it is not under the directory "
                f"of {config.name}, its src/ or a sys.path entry, on a path of identifiers), so the twin modules of "
                f"the other output files cannot import {twins} from it: what they return of its async classes is "
                "typed Any there; write it inside your package",
                GenerateNote,
                stacklevel=2,
            )


def _elsewhere(
    grouped: dict[Path, list[Target]], holders: dict[Path, str | None], output: Path
) -> dict[tuple[str, str], tuple[str, str]]:
    """The twinned classes of the other output files whose module name is known:
    (module, class) -> (the generated module holding its twin, the twin's name)."""
    found: dict[tuple[str, str], tuple[str, str]] = {}
    for other, targets in grouped.items():
        holder = holders[other]
        if other != output and holder is not None:
            found.update((target.key, (holder, target.twin)) for target in targets)
    return found


def _run(args: argparse.Namespace) -> int:
    try:
        with warnings.catch_warnings(record=True) as notes:
            warnings.simplefilter("always", GenerateNote)
            config = Path(args.config) if args.config else find_config(Path.cwd())
            if config.is_dir():  # `--config path/to/project`: its pyproject.toml
                config = config / "pyproject.toml"
            problems = generate(config, check=args.check)
    except GenerateError as exc:
        print(f"dualio twin generate: error: {exc}", file=sys.stderr)
        return 2
    for note in dict.fromkeys(str(n.message) for n in notes if issubclass(n.category, GenerateNote)):
        print(f"dualio twin generate: note: {note}", file=sys.stderr)
    if problems:
        print("dualio twin generate --check: twin modules out of date:", file=sys.stderr)
        for line in problems:
            print(f"  {line}", file=sys.stderr)
        print("run `dualio twin generate` and commit the result", file=sys.stderr)
        return 1
    if args.check:
        print("dualio twin generate --check: every twin module is up to date")
    return 0


def add_twin_subcommand(commands: Subparsers) -> None:
    """Add ``dualio twin generate`` to the ``dualio`` command line."""
    twin = commands.add_parser("twin", help="sync twins of async classes")
    actions = twin.add_subparsers(dest="twin_command", metavar="ACTION", required=True)
    generate_parser = actions.add_parser(
        "generate", help="write the sync twin modules listed under [tool.dualio.twin] in pyproject.toml"
    )
    generate_parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if a twin module is stale or missing"
    )
    generate_parser.add_argument(
        "--config", default=None, help="the pyproject.toml to read, or its directory (default: the nearest)"
    )
    generate_parser.set_defaults(handler=_run)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``dualio twin ...`` alone (the ``dualio`` console script is the usual way)."""
    from dualio._cli import main as dualio_main

    return dualio_main(["twin", *(argv if argv is not None else sys.argv[1:])])
