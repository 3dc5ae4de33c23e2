"""``dualio twin generate`` writes only files it owns: never an async source it reads, never a hand-written file."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from .test_generator import one_module_package, run_cli

CLIENT = "class AsyncClient:\n    async def get(self) -> int:\n        return 1\n"


def write_config(root: Path, table: str) -> None:
    (root / "pyproject.toml").write_text("[tool.dualio.twin]\n" + textwrap.dedent(table))


def assert_refused(root: Path, capsys: pytest.CaptureFixture[str], *messages: str) -> None:
    """Both ``generate`` and ``generate --check`` exit 2 with ``messages`` (a refusal, not a stale file)."""
    for args in [(), ("--check",)]:
        capsys.readouterr()
        assert run_cli(*args, config=root) == 2
        err = capsys.readouterr().err
        for message in messages:
            assert message in err, err
        assert "nothing was written" in err
        assert "stale" not in err


def test_an_output_that_is_the_async_module_read_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    one_module_package(tmp_path, monkeypatch, "gen_typo", CLIENT)
    write_config(tmp_path, '"gen_typo.aio:AsyncClient" = "gen_typo/aio.py"  # meant gen_typo/client.py\n')
    assert_refused(
        tmp_path,
        capsys,
        "gen_typo/aio.py is module gen_typo.aio, which the twin of AsyncClient is generated from",
        "name another output file for AsyncClient",
    )
    assert (tmp_path / "gen_typo" / "aio.py").read_text() == CLIENT


def test_an_output_that_is_a_base_class_module_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    subclass = "from .base import AsyncBase\n\nclass AsyncClient(AsyncBase):\n    pass\n"
    one_module_package(tmp_path, monkeypatch, "gen_base_out", subclass)
    base = "class AsyncBase:\n    async def get(self) -> int:\n        return 1\n"
    (tmp_path / "gen_base_out" / "base.py").write_text(base)
    write_config(tmp_path, '"gen_base_out.aio:AsyncClient" = "gen_base_out/base.py"\n')
    assert_refused(tmp_path, capsys, "gen_base_out/base.py is module gen_base_out.base")
    assert (tmp_path / "gen_base_out" / "base.py").read_text() == base


def test_a_hand_written_output_is_refused_and_no_other_output_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    one_module_package(tmp_path, monkeypatch, "gen_hand", CLIENT + "\n\nclass AsyncOther(AsyncClient):\n    pass\n")
    hand_written = "def helper() -> int:\n    return 42\n"
    (tmp_path / "gen_hand" / "helpers.py").write_text(hand_written)
    write_config(
        tmp_path,
        """\
        "gen_hand.aio:AsyncClient" = "gen_hand/client.py"
        "gen_hand.aio:AsyncOther" = "gen_hand/helpers.py"
        """,
    )
    assert_refused(
        tmp_path,
        capsys,
        "gen_hand/helpers.py exists and was not written by `dualio twin generate`",
        "delete it, or name another output file",
    )
    assert (tmp_path / "gen_hand" / "helpers.py").read_text() == hand_written
    assert not (tmp_path / "gen_hand" / "client.py").exists()  # checked before anything is written


def test_a_file_the_generator_wrote_is_written_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    one_module_package(tmp_path, monkeypatch, "gen_again", CLIENT)
    write_config(tmp_path, '"gen_again.aio:AsyncClient" = "gen_again/client.py"\n')
    assert run_cli(config=tmp_path) == 0
    output = tmp_path / "gen_again" / "client.py"
    fresh = output.read_text()
    output.write_text(fresh.replace("def get(self) -> int:", "def get(self) -> str:"))
    assert run_cli("--check", config=tmp_path) == 1
    assert "gen_again/client.py: stale" in capsys.readouterr().err
    assert run_cli(config=tmp_path) == 0
    assert output.read_text() == fresh
