"""Configuration ([tool.dualio.audit], --config, discovery), selection, exclusion and inline suppression."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from dualio.audit import AuditConfig, AuditConfigError, audit_paths, load_config
from dualio.audit._config import discover_config

from .helpers import audit_source, codes, write_tree

BAD = """
import asyncio, time

async def handler():
    time.sleep(1)
    asyncio.create_task(handler())
"""


def _project(root: Path, table: str, files: dict[str, str] | None = None) -> Path:
    (root / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.dualio.audit]\n' + textwrap.dedent(table))
    write_tree(root, files or {"src/app/__init__.py": "", "src/app/mod.py": BAD})
    return root


def test_defaults_run_every_rule_but_the_opt_in_ones() -> None:
    config = AuditConfig()
    assert "DIO101" in config.select
    assert "DIO501" in config.select
    assert "DIO601" not in config.select
    assert "DIO602" not in config.select


def test_select_ignore_and_extend_from_pyproject(tmp_path: Path) -> None:
    _project(tmp_path, 'select = ["DIO1"]\nextend-select = ["DIO601"]\nignore = ["DIO102"]\n')
    config = discover_config([tmp_path / "src" / "app"])
    assert config.select == {"DIO101", "DIO601"}
    assert config.source == tmp_path / "pyproject.toml"
    assert codes(audit_paths([tmp_path / "src"])) == ["DIO101"]


def test_discovery_walks_up_past_pyprojects_without_the_table(tmp_path: Path) -> None:
    _project(tmp_path, 'ignore = ["DIO301"]\n')
    (tmp_path / "src" / "pyproject.toml").write_text('[project]\nname = "inner"\n')
    assert codes(audit_paths([tmp_path / "src" / "app" / "mod.py"])) == ["DIO101"]


def test_no_configuration_means_defaults(tmp_path: Path) -> None:
    write_tree(tmp_path, {"mod.py": BAD})
    config = discover_config([tmp_path])
    assert config.source is None or config.source.parent not in (tmp_path, *tmp_path.parents)[:1]


def test_explicit_config_file_with_top_level_keys(tmp_path: Path) -> None:
    (tmp_path / "audit.toml").write_text('select = ["DIO3"]\n')
    assert load_config(tmp_path / "audit.toml").select == {"DIO301"}


def test_exclude_patterns(tmp_path: Path) -> None:
    _project(
        tmp_path,
        'exclude = ["src/app/generated", "*_pb2.py"]\n',
        {
            "src/app/__init__.py": "",
            "src/app/mod.py": "x = 1\n",
            "src/app/generated/bad.py": BAD,
            "src/app/api_pb2.py": BAD,
            "src/app/deep/x_pb2.py": BAD,
            "src/app/.hidden/bad.py": BAD,
            "src/app/__pycache__/bad.py": BAD,
        },
    )
    assert audit_paths([tmp_path / "src"]) == []
    # A file named explicitly is always audited.
    assert codes(audit_paths([tmp_path / "src" / "app" / "api_pb2.py"])) == ["DIO101", "DIO301"]


def test_extra_blocking_from_pyproject(tmp_path: Path) -> None:
    _project(
        tmp_path,
        'extra-blocking = ["legacy.fetch"]\n',
        {"mod.py": "import legacy\n\nasync def handler():\n    legacy.fetch()\n"},
    )
    assert codes(audit_paths([tmp_path / "mod.py"])) == ["DIO101"]


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('selct = ["DIO1"]\n', "unknown key"),
        ('select = ["XYZ"]\n', "unknown rule code 'XYZ'"),
        ('ignore = "DIO101"\n', "ignore must be a list of strings"),
        ('extra-blocking = [".bad"]\n', "not a dotted name"),
        ("select = [\n", "cannot read configuration"),
    ],
)
def test_invalid_configuration_is_a_clear_error(tmp_path: Path, table: str, message: str) -> None:
    _project(tmp_path, table)
    with pytest.raises(AuditConfigError, match=message):
        discover_config([tmp_path / "src"])


def test_config_errors_are_value_errors_and_dualio_errors() -> None:
    from dualio import DualioError

    assert issubclass(AuditConfigError, ValueError)
    assert issubclass(AuditConfigError, DualioError)


def test_inline_suppression_by_code(tmp_path: Path) -> None:
    source = """
    import asyncio, time

    async def handler():
        time.sleep(1)  # dualio: ignore[DIO101]
        time.sleep(2)  # dualio: ignore[DIO301]
        time.sleep(3)  # dualio: ignore[DIO301, dio101] -- two codes, any case
        time.sleep(4)  # dualio: ignore
        asyncio.create_task(
            handler()
        )  # dualio: ignore[DIO301]
    """
    findings = audit_source(tmp_path, source)
    assert [(f.code, f.line) for f in findings] == [("DIO101", 6), ("DIO101", 8)]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"select": frozenset({"DIO999"})}, "unknown: \\['DIO999'\\]"),
        ({"select": ["DIO101"]}, "select must be a frozenset"),
        ({"extra_blocking": ["x.y"]}, "extra_blocking must be a frozenset"),
        ({"exclude": "tests"}, "exclude must be a tuple"),
        ({"root": "."}, "root must be a pathlib.Path"),
    ],
)
def test_audit_config_validates_its_fields(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(AuditConfigError, match=message):
        AuditConfig(**kwargs)  # type: ignore[arg-type]


def test_errors_pickle() -> None:
    import pickle

    from dualio.audit import AuditPathError

    for error in (AuditConfigError("bad key"), AuditPathError("no such file or directory: x")):
        copy = pickle.loads(pickle.dumps(error))
        assert type(copy) is type(error)
        assert str(copy) == str(error)
