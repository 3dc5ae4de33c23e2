"""``[tool.dualio.audit]`` configuration: which rules run, extra blocking names, excluded paths."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from dualio.errors import DualioError

from ._rules import DEFAULT_CODES, RULES_BY_CODE

_KEYS = frozenset({"select", "extend-select", "ignore", "extra-blocking", "exclude"})


class AuditConfigError(DualioError, ValueError):
    """The audit configuration (``[tool.dualio.audit]`` or the command line) is invalid; the message says where."""


@dataclass(frozen=True)
class AuditConfig:
    """What ``dualio audit`` checks and where.

    - ``select``: the codes that run (default: every rule except the opt-in DIO601/DIO602). Entries of
      ``select``/``extend-select``/``ignore`` are codes or code prefixes (``"DIO1"``, ``"ALL"``).
    - ``extra_blocking``: more fully qualified names that block (``"mylib.fetch"``, ``"mylib.Client.get"``,
      ``"mylib.Client.*"`` for every method of a class), reported like the built-in ones by DIO101/DIO102.
    - ``exclude``: glob patterns of paths to skip, relative to ``root`` (the directory of the pyproject.toml).
    """

    select: frozenset[str] = DEFAULT_CODES
    extra_blocking: frozenset[str] = frozenset()
    exclude: tuple[str, ...] = ()
    root: Path = field(default_factory=Path.cwd)
    source: Path | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.select, frozenset) or not self.select <= RULES_BY_CODE.keys():
            unknown = sorted(set(self.select) - RULES_BY_CODE.keys()) if isinstance(self.select, frozenset) else []
            raise AuditConfigError(
                f"select must be a frozenset of rule codes (unknown: {unknown}); "
                "use AuditConfig().with_selection(['DIO1', ...]) to select by prefix"
            )
        if not isinstance(self.extra_blocking, frozenset) or not all(isinstance(n, str) for n in self.extra_blocking):
            raise AuditConfigError(f"extra_blocking must be a frozenset of dotted names, got {self.extra_blocking!r}")
        if not isinstance(self.exclude, tuple) or not all(isinstance(p, str) for p in self.exclude):
            raise AuditConfigError(f"exclude must be a tuple of glob patterns, got {self.exclude!r}")
        if not isinstance(self.root, Path):
            raise AuditConfigError(f"root must be a pathlib.Path, got {self.root!r}")

    def with_selection(
        self, select: Sequence[str] | None = None, extend: Sequence[str] = (), ignore: Sequence[str] = ()
    ) -> AuditConfig:
        """Return a copy whose selection is changed as ``select``/``extend-select``/``ignore`` say."""
        chosen = set(expand_codes(select, "select")) if select is not None else set(self.select)
        chosen |= expand_codes(extend, "extend-select")
        chosen -= expand_codes(ignore, "ignore")
        return replace(self, select=frozenset(chosen))


def expand_codes(entries: Iterable[str], where: str) -> set[str]:
    """Expand codes and prefixes (``"DIO1"``, ``"ALL"``) into the set of codes they name."""
    codes: set[str] = set()
    for entry in entries:
        if not isinstance(entry, str):
            raise AuditConfigError(f"{where}: {entry!r} is not a string; use rule codes such as 'DIO101'")
        prefix = entry.strip().upper()
        matched = set(RULES_BY_CODE) if prefix == "ALL" else {code for code in RULES_BY_CODE if code.startswith(prefix)}
        if not matched or not prefix:
            known = ", ".join(sorted(RULES_BY_CODE))
            raise AuditConfigError(f"{where}: unknown rule code {entry!r}; known codes: {known} (or a prefix, or ALL)")
        codes |= matched
    return codes


def _string_list(table: dict[str, object], key: str, where: str) -> list[str]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise AuditConfigError(f"{where}: {key} must be a list of strings, got {value!r}")
    return list(value)


def config_from_table(table: dict[str, object], root: Path, source: Path | None = None) -> AuditConfig:
    """Build a configuration from a ``[tool.dualio.audit]`` table; raise :class:`AuditConfigError` if invalid."""
    where = f"{source} [tool.dualio.audit]" if source is not None else "[tool.dualio.audit]"
    unknown = sorted(set(table) - _KEYS)
    if unknown:
        raise AuditConfigError(f"{where}: unknown key(s) {unknown}; known keys: {sorted(_KEYS)}")
    for name in _string_list(table, "extra-blocking", where):
        if not name or name.startswith(".") or " " in name:
            raise AuditConfigError(f"{where}: extra-blocking entry {name!r} is not a dotted name like 'mylib.fetch'")
    base = AuditConfig(
        extra_blocking=frozenset(_string_list(table, "extra-blocking", where)),
        exclude=tuple(_string_list(table, "exclude", where)),
        root=root,
        source=source,
    )
    select = _string_list(table, "select", where) if "select" in table else None
    return base.with_selection(
        select, _string_list(table, "extend-select", where), _string_list(table, "ignore", where)
    )


def load_config(path: Path) -> AuditConfig:
    """Read the configuration from ``path``: a pyproject.toml (its ``[tool.dualio.audit]`` table, possibly
    absent) or any other TOML file holding the keys at top level. Raise :class:`AuditConfigError` when the file
    cannot be read or is invalid."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise AuditConfigError(f"cannot read configuration {path}: {exc}") from exc
    table = _audit_table(data)
    if table is None:
        table = {} if path.name == "pyproject.toml" else data
    return config_from_table(table, path.resolve().parent, path)


def _audit_table(data: dict[str, object]) -> dict[str, object] | None:
    node: object = data
    for key in ("tool", "dualio", "audit"):
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    if not isinstance(node, dict):
        raise AuditConfigError("[tool.dualio.audit] must be a table")
    return node


def discover_config(paths: Sequence[Path]) -> AuditConfig:
    """Find the nearest pyproject.toml with a ``[tool.dualio.audit]`` table, walking up from the paths.

    The walk starts at the deepest directory holding every path; without such a file the defaults apply,
    rooted at the current directory.
    """
    resolved = [path.resolve() for path in paths] or [Path.cwd()]
    dirs = [path if path.is_dir() else path.parent for path in resolved]
    start = Path(*Path(dirs[0]).parts) if len(dirs) == 1 else _common_dir(dirs)
    for directory in (start, *start.parents):
        candidate = directory / "pyproject.toml"
        if candidate.is_file():
            try:
                data = tomllib.loads(candidate.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
                raise AuditConfigError(f"cannot read configuration {candidate}: {exc}") from exc
            table = _audit_table(data)
            if table is not None:
                return config_from_table(table, directory, candidate)
    return AuditConfig()


def _common_dir(dirs: Sequence[Path]) -> Path:
    common = dirs[0]
    for directory in dirs[1:]:
        while common != directory and common not in directory.parents:
            common = common.parent
    return common
