"""The examples of docs/db.md run as written.

Each ```` ```python ```` block of the guide follows an HTML comment that says what to do with it (an
```` ```ini ```` block may be a file too):

- ``<!-- file: PATH -->``: the block is the file PATH (``notebook.py``, the Alembic files); every example runs
  in a fresh directory that holds all of them;
- ``<!-- test: script -->``: run the block as a script (``__main__``) in that directory, on SQLite; with the
  word ``postgresql`` it also runs against a fresh database on the embedded PostgreSQL (``DATABASE_URL``);
  ``; argv: ...`` gives its command-line arguments, ``; needs: dualio.db.Name ...`` the public names it needs
  (the example is skipped, saying so, in a checkout that lacks one);
- ``<!-- test: jupyter -->``: run the block's ``# %%`` cells one by one in a real IPython kernel;
- ``<!-- test: pytest -->``: run the block as a test file under pytest, with the plugin's PostgreSQL;
- ``<!-- not run: REASON -->``: compile the block only (it needs a framework dualio does not depend on).

A block without a comment fails the suite, so no example escapes unchecked.
"""

from __future__ import annotations

import importlib
import os
import re
import runpy
import shlex
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

# Run on the main Python only (`make test` skips them on 3.12/3.13): what they check does not depend on the version.
pytestmark = pytest.mark.version_independent

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "db.md"

_BLOCK = re.compile(r"^```(python|ini)\n(.*?)^```", re.DOTALL | re.MULTILINE)
_MARKER = re.compile(r"<!-- (file|test|not run): *(.*?) *-->\n\Z")


@dataclass(frozen=True)
class Block:
    """One python block of the guide and what its marker asks for."""

    kind: str  # "file", "script", "jupyter", "pytest" or "not run"
    line: int
    code: str
    path: str = ""
    postgresql: bool = False
    argv: list[str] = field(default_factory=list)
    needs: list[str] = field(default_factory=list)  # public names ("dualio.db.Vector") the example uses

    def skip_unless_available(self) -> None:
        """Skip when this checkout of dualio lacks a name the example needs (the guide may run ahead of it)."""
        for name in self.needs:
            module, _, attribute = name.rpartition(".")
            if not hasattr(importlib.import_module(module), attribute):
                pytest.skip(f"the example at docs/db.md line {self.line} needs {name}, not in this checkout")

    @property
    def id(self) -> str:
        return f"{self.kind.replace(' ', '-')}-line-{self.line}"


def read_blocks(text: str) -> list[Block]:
    """Return every python block of ``text`` with its marker; raise ``ValueError`` for a block without one."""
    blocks = []
    for match in _BLOCK.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        language, code = match.group(1), match.group(2)
        marker = _MARKER.search(text, 0, match.start())
        if marker is None or marker.end() != match.start():
            if language != "python":
                continue  # an ini block is a file only when marked as one
            raise ValueError(f"docs/db.md line {line}: a python block without a <!-- test/file/not run --> marker")
        kind, argument = marker.group(1), marker.group(2)
        if language != "python" and kind != "file":
            raise ValueError(f"docs/db.md line {line}: only python blocks can be tests")
        if kind == "file":
            blocks.append(Block("file", line, code, path=argument))
        elif kind == "not run":
            blocks.append(Block("not run", line, code))
        else:
            words, _, options = argument.partition(";")
            what, *flags = words.split()
            if what not in ("script", "jupyter", "pytest") or set(flags) - {"postgresql"}:
                raise ValueError(f"docs/db.md line {line}: unknown test marker {argument!r}")
            settings: dict[str, list[str]] = {"argv": [], "needs": []}
            for option in filter(str.strip, options.split(";")):
                key, _, value = option.strip().partition(":")
                if key.strip() not in settings:
                    raise ValueError(f"docs/db.md line {line}: unknown option {key!r}")
                settings[key.strip()] = shlex.split(value)
            blocks.append(
                Block(
                    what,
                    line,
                    code,
                    postgresql="postgresql" in flags,
                    argv=settings["argv"],
                    needs=settings["needs"],
                )
            )
    return blocks


BLOCKS = read_blocks(GUIDE.read_text())
FILES = {block.path: block.code for block in BLOCKS if block.kind == "file"}


def write_files(directory: Path) -> None:
    """Write the guide's files (``notebook.py``, the Alembic files) into ``directory``."""
    for relative, code in FILES.items():
        target = directory / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(code)


@contextmanager
def fresh_postgres_database(server_url: str) -> Iterator[str]:
    """Create an empty database on the server (no extension in it yet), yield its URL, drop it afterwards."""
    name = f"dualio_docs_{uuid.uuid4().hex[:12]}"
    server = make_url(server_url)
    admin = create_engine(server.set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            yield server.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """``None`` (the examples' own SQLite file), or the URL of a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield None
        return
    with fresh_postgres_database(request.getfixturevalue("dualio_postgres_url")) as url:
        yield url


@contextmanager
def example_directory(directory: Path, database_url: str | None) -> Iterator[Path]:
    """Make ``directory`` the working directory, holding the guide's files, importable; clean up afterwards."""
    write_files(directory)
    saved_path, saved_cwd = list(sys.path), os.getcwd()
    saved_url = os.environ.pop("DATABASE_URL", None)
    if database_url is not None:
        os.environ["DATABASE_URL"] = database_url
    sys.path.insert(0, str(directory))
    os.chdir(directory)
    try:
        yield directory
    finally:
        notebook: Any = sys.modules.pop("notebook", None)
        if notebook is not None:
            notebook.db.dispose()  # what an example left open (they dispose, but may fail half-way)
        os.chdir(saved_cwd)
        sys.path[:] = saved_path
        os.environ.pop("DATABASE_URL", None)
        if saved_url is not None:
            os.environ["DATABASE_URL"] = saved_url


def _script_cases() -> list[Any]:
    cases = []
    for block in BLOCKS:
        if block.kind != "script":
            continue
        for backend in ("sqlite", "postgresql") if block.postgresql else ("sqlite",):
            cases.append(pytest.param(block, backend, id=f"{block.id}-{backend}"))
    return cases


@pytest.mark.parametrize(("block", "database_url"), _script_cases(), indirect=["database_url"])
def test_script_example_runs(block: Block, database_url: str | None, tmp_path: Path) -> None:
    block.skip_unless_available()
    with example_directory(tmp_path, database_url):
        script = tmp_path / f"example_line_{block.line}.py"
        script.write_text(block.code)
        saved_argv, status = sys.argv, None
        sys.argv = [script.name, *block.argv]
        try:
            runpy.run_path(str(script), run_name="__main__")
        except SystemExit as exit:
            status = exit.code
        finally:
            sys.argv = saved_argv
        assert status in (0, None), f"the example exited with {status!r}"


@pytest.mark.parametrize("block", [b for b in BLOCKS if b.kind == "not run"], ids=lambda b: b.id)
def test_framework_example_compiles(block: Block) -> None:
    compile(block.code, f"docs/db.md:{block.line}", "exec")


def test_every_kind_of_example_is_present() -> None:
    kinds = [block.kind for block in BLOCKS]
    assert "notebook.py" in FILES
    assert kinds.count("script") >= 5
    assert kinds.count("jupyter") == 1
    assert kinds.count("pytest") >= 1


def test_a_block_without_a_marker_is_refused() -> None:
    with pytest.raises(ValueError, match="line 3: a python block without"):
        read_blocks("text\n\n```python\nprint(1)\n```\n")
    with pytest.raises(ValueError, match="unknown test marker"):
        read_blocks("<!-- test: scirpt -->\n```python\nprint(1)\n```\n")
    with pytest.raises(ValueError, match="unknown option 'argw'"):
        read_blocks("<!-- test: script; argw: x -->\n```python\nprint(1)\n```\n")
    [block] = read_blocks("<!-- test: script postgresql; argv: a 'b c'; needs: dualio.db.Nope -->\n```python\n1\n```\n")
    assert (block.postgresql, block.argv, block.needs) == (True, ["a", "b c"], ["dualio.db.Nope"])
    with pytest.raises(pytest.skip.Exception, match=r"needs dualio\.db\.Nope, not in this checkout"):
        block.skip_unless_available()


@pytest.mark.parametrize("block", [b for b in BLOCKS if b.kind == "pytest"], ids=lambda b: b.id)
def test_pytest_example_passes(block: Block, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    block.skip_unless_available()
    write_files(tmp_path)
    (tmp_path / "test_example.py").write_text(block.code)
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PYTEST_ADDOPTS")}
    if "dualio_postgres_url" in block.code:
        with fresh_postgres_database(request.getfixturevalue("dualio_postgres_url")) as url:
            proc = run_pytest(tmp_path, env, f"--dualio-postgres-url={url}")
    else:
        proc = run_pytest(tmp_path, env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert re.search(r"^\d+ passed in ", proc.stdout, flags=re.MULTILINE), proc.stdout  # none skipped or failed


def run_pytest(directory: Path, env: dict[str, str], *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "error", *options, "test_example.py"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=directory,
        env=env,
    )


def _cells(code: str) -> list[str]:
    cells = [textwrap.dedent(part).strip() for part in re.split(r"^# %%.*$", code, flags=re.MULTILINE)]
    return [cell for cell in cells if cell]


def test_jupyter_example_runs_in_a_real_kernel(database_url: str | None, tmp_path: Path) -> None:
    from jupyter_client.manager import KernelManager

    [block] = [b for b in BLOCKS if b.kind == "jupyter"]
    write_files(tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    if database_url is not None:
        env["DATABASE_URL"] = database_url
    manager = KernelManager(kernel_name="python3")
    manager.start_kernel(cwd=str(tmp_path), env=env)
    client = manager.blocking_client()
    client.start_channels()
    outputs: list[str] = []
    try:
        client.wait_for_ready(timeout=60)
        for cell in _cells(block.code):
            printed: list[str] = []

            def collect(message: dict[str, Any], printed: list[str] = printed) -> None:
                if message["msg_type"] == "stream":
                    printed.append(message["content"]["text"])

            reply = client.execute_interactive(cell, output_hook=collect, timeout=60)
            assert reply["content"]["status"] == "ok", (cell, reply["content"])
            outputs.append("".join(printed))
        client.execute_interactive("import notebook; notebook.db.dispose()", timeout=60)
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    assert len(outputs) == 4
    assert outputs[2].strip() == "2"  # the async cell counted both notes
