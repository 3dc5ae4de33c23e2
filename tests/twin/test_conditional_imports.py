"""Names a module binds in a top-level ``if``/``try`` block count as its top-level names for the generator."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from dualio.twin import GenerateError
from dualio.twin._generator import render_module
from dualio.twin._source import Target

from .test_generator import assert_mypy_strict, one_module_package

CONDITIONAL = """
import sys
from typing import TYPE_CHECKING

if sys.version_info >= (3, 11):
    from typing import Self
else:
    from typing_extensions import Self

try:
    from decimal import Decimal
except ImportError:  # the first block's import is the one the twin uses
    from fractions import Fraction as Decimal  # type: ignore[assignment]

SSL_AVAILABLE = True
if TYPE_CHECKING and SSL_AVAILABLE:  # as redis.asyncio.client does
    from ssl import TLSVersion
else:
    TLSVersion = None  # type: ignore[assignment,misc]

if not TYPE_CHECKING:
    from collections.abc import Sequence as Spare
else:
    from typing import Sequence as Spare


class AsyncConn:
    def __init__(self, version: "TLSVersion | None" = None) -> None:
        self.version = version

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        pass

    async def price(self) -> Decimal:
        return Decimal("1.5")

    async def spare(self, items: Spare[int]) -> int:
        return len(items)
"""


def test_names_bound_in_top_level_if_and_try_blocks_are_imported_as_a_type_checker_reads_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    one_module_package(tmp_path, monkeypatch, "gen_conditional", CONDITIONAL)
    output = tmp_path / "gen_conditional" / "conn.py"
    text = render_module([Target("gen_conditional.aio", "AsyncConn", output)])
    # the first block (the one 3.11-3.13 run), and the TYPE_CHECKING block (the one a type checker reads) first
    for line in [
        "from decimal import Decimal",
        "from ssl import TLSVersion",
        "from typing import Self, Sequence as Spare",
        "def __init__(self, version: TLSVersion | None = None) -> None:",
        "def __enter__(self) -> Self:",
        "def price(self) -> Decimal:",
    ]:
        assert line in text, line
    assert "typing_extensions" not in text
    assert "Fraction" not in text
    output.write_text(text)
    assert_mypy_strict(tmp_path, "gen_conditional/conn.py")
    with importlib.import_module("gen_conditional.conn").Conn() as conn:
        assert str(conn.price()) == "1.5"
        assert conn.spare([1, 2]) == 2


def test_a_default_naming_a_name_bound_two_ways_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = (
        "try:\n    from json import dumps\nexcept ImportError:\n    from pickle import dumps\n\n\n"
        "class AsyncCodec:\n    async def encode(self, value: object, dump: object = dumps) -> object:\n"
        "        return dump\n"
    )
    one_module_package(tmp_path, monkeypatch, "gen_two_ways", source)
    with pytest.raises(GenerateError, match=r"'dumps', which module gen_two_ways\.aio binds in different ways") as info:
        render_module([Target("gen_two_ways.aio", "AsyncCodec", tmp_path / "out.py")])
    assert "neither defines nor imports" not in str(info.value)
