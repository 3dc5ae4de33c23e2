"""A target may name a module that re-exports its class (``httpx:AsyncClient``): the twin is the defining module's."""

from __future__ import annotations

import sys
import textwrap
import warnings
from pathlib import Path

import pytest

from dualio.twin import GenerateError, GenerateNote
from dualio.twin._generator import render_module
from dualio.twin._source import Target

from .test_generated_spellings import check_and_run_usage
from .test_generator import one_module_package, run_cli

CLIENT = "class AsyncClient:\n    async def get(self, url: str) -> str:\n        return url\n"
POOL = "from ._client import AsyncClient\n\n\nclass AsyncPool:\n    async def client(self) -> AsyncClient: ...\n"


def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, files: dict[str, str]) -> Path:
    """An importable package ``name`` in ``tmp_path`` with ``files`` (module file name -> source)."""
    (tmp_path / name).mkdir()
    for file, source in files.items():
        (tmp_path / name / file).write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path / name


@pytest.mark.parametrize(
    "init",
    [
        "from ._client import AsyncClient\n\n__all__ = ['AsyncClient']\n",
        "from .api import AsyncClient as AsyncClient\n",  # through a second module
        "from ._client import *\n",  # as httpx does
    ],
    ids=["import", "chain", "star"],
)
def test_a_target_naming_a_re_export_gives_the_defining_modules_twin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, init: str
) -> None:
    name = f"gen_reexport_{len(init)}"
    files = {"__init__.py": init, "_client.py": CLIENT + "\n__all__ = ['AsyncClient']\n"}
    directory = package(tmp_path, monkeypatch, name, {**files, "api.py": "from ._client import AsyncClient\n"})
    output = directory / "sync.py"
    direct = render_module([Target(f"{name}._client", "AsyncClient", output)])
    assert render_module([Target(name, "AsyncClient", output)]) == direct
    assert f"from {name}._client import AsyncClient" in direct


def test_other_outputs_name_the_twin_of_a_re_exported_target(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    files = {"__init__.py": "from ._client import AsyncClient\n", "_client.py": CLIENT, "_pool.py": POOL}
    directory = package(tmp_path, monkeypatch, "gen_reexport_cli", files)
    (tmp_path / "pyproject.toml").write_text(
        textwrap.dedent("""\
        [tool.dualio.twin]
        "gen_reexport_cli:AsyncClient" = "gen_reexport_cli/client.py"
        "gen_reexport_cli._pool:AsyncPool" = "gen_reexport_cli/pool.py"
        """)
    )
    assert run_cli(config=tmp_path) == 0, capsys.readouterr().err
    assert "def get(self, url: str) -> str:" in (directory / "client.py").read_text()
    pool = (directory / "pool.py").read_text()
    assert "def client(self) -> Client:" in pool  # the twin, as if the target named gen_reexport_cli._client
    assert "from gen_reexport_cli.client import Client" in pool


def test_a_re_exported_name_that_is_no_class_statement_says_where_it_comes_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = "def make() -> type:\n    return type('AsyncClient', (), {})\n\n\nAsyncClient = make()\n"
    files = {"__init__.py": "from ._client import AsyncClient\n", "_client.py": made}
    package(tmp_path, monkeypatch, "gen_made", files)
    with pytest.raises(GenerateError) as info:
        render_module([Target("gen_made", "AsyncClient", tmp_path / "out.py")])
    message = str(info.value)
    assert "gen_made:AsyncClient is gen_made._client.AsyncClient, through imports" in message
    assert "module gen_made._client has no top-level class 'AsyncClient'" in message
    assert "binds 'AsyncClient' by an assignment or a def" in message


def test_a_base_class_re_exported_by_a_star_import_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Before, only targets followed star imports; a base named through one was not read, and
    # the twin lacked its members.
    files = {
        "__init__.py": "from ._client import *\n",
        "_client.py": CLIENT + "\n__all__ = ['AsyncClient']\n",
        "aio.py": "from gen_star_base import AsyncClient\n\n\nclass AsyncLogged(AsyncClient):\n"
        "    async def log(self) -> None: ...\n",
    }
    directory = package(tmp_path, monkeypatch, "gen_star_base", files)
    text = render_module([Target("gen_star_base.aio", "AsyncLogged", directory / "sync.py")])
    assert "def get(self, url: str) -> str:" in text  # the base's member


def test_one_class_listed_for_two_output_files_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Before, each output got a twin of it, and whichever module was imported last registered its own.
    files = {"__init__.py": "from ._client import AsyncClient\n", "_client.py": CLIENT}
    directory = package(tmp_path, monkeypatch, "gen_twice", files)
    (tmp_path / "pyproject.toml").write_text(
        '[tool.dualio.twin]\n"gen_twice:AsyncClient" = "gen_twice/a.py"\n'
        '"gen_twice._client:AsyncClient" = "gen_twice/b.py"\n'
    )
    assert run_cli(config=tmp_path) == 2
    error = capsys.readouterr().err
    assert "gen_twice._client:AsyncClient is listed for two output files, gen_twice/a.py and gen_twice/b.py" in error
    assert not (directory / "a.py").exists()
    assert not (directory / "b.py").exists()


ALIASED_SOURCE = """
from gen_aliased.real import Thing  # type: ignore[import-not-found]  # (mypy is silent in an installed library)


class AsyncClient:
    async def get(self) -> Thing:
        return Thing()
"""

ALIASED_USAGE = """
from typing import assert_type

from gen_aliased_real import Thing
from gen_aliased.sync import Client

assert_type(Client().get(), Thing)
assert isinstance(Client().get(), Thing)
"""


def test_a_module_alias_made_at_run_time_is_imported_by_its_own_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """niquests makes ``niquests.packages.urllib3`` an alias of ``urllib3`` (an import hook); the generated module
    imported names from the alias, which mypy cannot follow (``import-not-found``): it imports the module itself."""
    (tmp_path / "gen_aliased_real.py").write_text("class Thing:\n    pass\n")
    one_module_package(tmp_path, monkeypatch, "gen_aliased", ALIASED_SOURCE)
    init = "import sys\n\nimport gen_aliased_real\n\nsys.modules['gen_aliased.real'] = gen_aliased_real\n"
    (tmp_path / "gen_aliased" / "__init__.py").write_text(init)
    monkeypatch.delitem(sys.modules, "gen_aliased.real", raising=False)
    output = tmp_path / "gen_aliased" / "sync.py"
    text = render_module([Target("gen_aliased.aio", "AsyncClient", output)])
    output.write_text(text)
    assert "from gen_aliased_real import Thing" in text
    assert "from gen_aliased.real import" not in text
    check_and_run_usage(tmp_path, "gen_aliased", ALIASED_USAGE)


def test_a_twin_named_like_a_class_the_listed_module_re_exports_is_noted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # qdrant_client re-exports its own sync QdrantClient beside AsyncQdrantClient, which a module of its own
    # defines: the twin named QdrantClient was not noted, as only the defining module was looked at (review 38a).
    files = {
        "__init__.py": "from ._async_client import AsyncClient\nfrom ._sync_client import Client\n",
        "_async_client.py": CLIENT,
        "_sync_client.py": "class Client:\n    def get(self, url: str) -> str:\n        return url\n",
    }
    directory = package(tmp_path, monkeypatch, "gen_listed_clash", files)
    with pytest.warns(GenerateNote, match=r"named Client, a name module gen_listed_clash binds too"):
        render_module([Target("gen_listed_clash", "AsyncClient", directory / "sync.py")])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # listed through its own module: that module binds no Client
        render_module([Target("gen_listed_clash._async_client", "AsyncClient", directory / "sync.py")])
    # and from the command line, which read the defining module before rendering (review 38h r17)
    (tmp_path / "pyproject.toml").write_text('[tool.dualio.twin]\n"gen_listed_clash:AsyncClient" = "out.py"\n')
    assert run_cli(config=tmp_path) == 0
    assert "note: the twin of gen_listed_clash._async_client:AsyncClient is named Client, a name module " in (
        capsys.readouterr().err
    )
