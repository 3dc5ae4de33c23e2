"""``dualio twin generate``: typed output from async source, ``--check`` on stale or missing files, clear errors."""

from __future__ import annotations

import datetime
import importlib
import re
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

import dualio
from dualio._cli import main
from dualio.twin import GenerateError, use_portal
from dualio.twin._generator import render_module
from dualio.twin._source import Target

ROOT = Path(__file__).resolve().parents[2]

ASYNC_SOURCE = '''
"""An async client for the generator tests."""

from __future__ import annotations

import asyncio
import typing
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Coroutine
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from . import AsyncTransport, transport
from .models import Item

if TYPE_CHECKING:
    from decimal import Decimal

DEFAULT_LIMIT = 10
T = TypeVar("T")


class AsyncBox(Generic[T]):
    """A generic async class: its twin is generic too."""

    def __init__(self, value: T) -> None:
        self._value = value

    async def get(self) -> T:
        return self._value


class AsyncBase(transport.AsyncLogger):
    async def ping(self) -> str:
        """Answer pong."""
        return "pong"


class AsyncClient(AsyncBase, AsyncTransport, transport.AsyncChannel[Item]):
    """A client.

    With a "quoted" word and a backslash \\\\ in its docstring.
    """

    def __init__(self, prefix: str = "", /, *, limit: int = DEFAULT_LIMIT) -> None:
        self.prefix = prefix
        self.limit: int = limit

    async def fetch(self, key: str, *extra: str, price: Decimal | None = None, **flags: bool) -> Item:
        return Item(self.prefix + key + "".join(extra))

    async def items(self, count: int) -> AsyncIterator[Item]:
        for i in range(count):
            yield Item(str(i))

    async def pairs(self) -> AsyncGenerator[tuple[int, "Item"], None]:
        yield 1, Item("one")

    def later(self) -> Awaitable[int]:
        return self._later()

    def coroutine(self) -> Coroutine[Any, Any, list[Item]]:
        return self._items()

    async def _later(self) -> int:
        await asyncio.sleep(0)
        return 5

    async def _items(self) -> list[Item]:
        return [Item("x")]

    async def child(self) -> "AsyncClient":
        return AsyncClient(self.prefix + "child/")

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncClient]:
        yield self

    def opened(self) -> AbstractAsyncContextManager[typing.Optional[AsyncClient]]:
        return self.session()

    async def aclose(self) -> None:
        """Close it."""

    async def __aenter__(self) -> AsyncClient:
        """Only returns self: the twin's __enter__ needs no round trip."""
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
'''

# Bases in another module of the package: one re-exported by the package's __init__, one reached as an attribute.
TRANSPORT_SOURCE = '''
from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from fractions import Fraction

RETRIES = 3
M = TypeVar("M")


class AsyncChannel(Generic[M]):
    """A generic base: the subclass says what M is, in its own module's names."""

    async def receive(self) -> M | None:
        return None

    async def receive_all(self) -> AsyncIterator[M]:
        messages: list[M] = []
        for message in messages:
            yield message


class AsyncLogger:
    async def log(self, line: str) -> list[str]:
        return [line]


class AsyncTransport:
    timeout: timedelta = timedelta(seconds=5)
    """How long a send may take."""

    async def send(self, payload: bytes, *, retries: int = RETRIES, weight: Fraction | None = None) -> timedelta:
        """Send ``payload``; answer how long it took."""
        return timedelta(milliseconds=len(payload) * retries)

    async def fetch(self, key: str) -> object:
        """Overridden by the subclass: the twin has the subclass's signature."""
        return key
'''

MODELS_SOURCE = """
from dataclasses import dataclass


@dataclass(frozen=True)
class Item:
    name: str
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Path:
    """A project in ``tmp_path``: an importable package with an async client and a pyproject listing it."""
    package = f"gen_{request.node.name.replace('[', '_').replace(']', '_').replace('-', '_')}"
    (tmp_path / package).mkdir()
    (tmp_path / package / "__init__.py").write_text("from .transport import AsyncTransport as AsyncTransport\n")
    (tmp_path / package / "transport.py").write_text(TRANSPORT_SOURCE)
    (tmp_path / package / "aio.py").write_text(ASYNC_SOURCE)
    (tmp_path / package / "models.py").write_text(MODELS_SOURCE)
    (tmp_path / "pyproject.toml").write_text(
        textwrap.dedent(f'''
        [project]
        name = "example"

        [tool.dualio.twin]
        "{package}.aio:AsyncClient" = "{package}/client.py"
        "{package}.aio:AsyncBox" = "{package}/client.py"
        ''')
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


# One mypy cache for every check of the run, per Python: the standard library's stubs and dualio are read once,
# not once per check (about 1 s each); each check's own package has a name and a path of its own.
_MYPY_CACHE = Path(tempfile.gettempdir()) / f"dualio-tests-mypy-cache-{sys.version_info[0]}.{sys.version_info[1]}"


def assert_mypy_strict(cwd: Path, *paths: str) -> None:
    """``mypy --strict`` passes on ``paths`` (files or packages under ``cwd``), every line reached.

    ``--warn-unreachable``: an ``assert_type`` after a line mypy takes for the end (a ``with`` whose ``__exit__``
    it reads as never suppressing, then ``raise``) would otherwise not be checked at all.
    """
    command = [sys.executable, "-m", "mypy", "--strict", "--warn-unreachable", "--cache-dir", str(_MYPY_CACHE)]
    proc = subprocess.run(
        [*command, *paths],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def one_module_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, source: str) -> None:
    """An importable package ``name`` in ``tmp_path`` whose module ``aio`` holds ``source``."""
    (tmp_path / name).mkdir()
    (tmp_path / name / "__init__.py").write_text("")
    (tmp_path / name / "aio.py").write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))


def run_cli(*args: str, config: Path) -> int:
    return main(["twin", "generate", *args, "--config", str(config / "pyproject.toml")])


def test_the_committed_twins_of_this_repository_are_up_to_date(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["twin", "generate", "--check", "--config", str(ROOT / "pyproject.toml")]) == 0
    assert "up to date" in capsys.readouterr().out


def test_generate_writes_a_typed_module_that_check_accepts(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    package = next(p.name for p in project.iterdir() if p.name.startswith("gen_"))
    assert run_cli(config=project) == 0
    output = project / package / "client.py"
    text = output.read_text()
    assert text.startswith("# Generated by `dualio twin generate`")
    assert "DO NOT EDIT" in text
    for line in [
        "class Client(_support.Twin[AsyncClient]):",
        "def __init__(self, prefix: str = '', /, *, limit: int = DEFAULT_LIMIT) -> None:",
        "def fetch(self, key: str, *extra: str, price: Decimal | None = None, **flags: bool) -> Item:",
        "def items(self, count: int) -> _abc.Iterator[Item]:",
        "def pairs(self) -> _abc.Iterator[tuple[int, Item]]:",
        "def later(self) -> int:",
        "def coroutine(self) -> list[Item]:",
        "def child(self) -> Client:",
        "def session(self) -> _contextlib.AbstractContextManager[Client]:",
        "def opened(self) -> _contextlib.AbstractContextManager[typing.Optional[Client]]:",
        "def ping(self) -> str:",
        "def close(self) -> None:",
        f"from {package}.models import Item",
        "from decimal import Decimal",
        f"from {package}.aio import AsyncBox, AsyncClient, DEFAULT_LIMIT, T",
        "class Box(_support.Twin[AsyncBox[T]], _typing.Generic[T]):",
        # members of bases imported from other modules of the package, with those modules' names
        "def log(self, line: str) -> list[str]:",
        "def send(self, payload: bytes, *, retries: int = RETRIES, weight: Fraction | None = None) -> timedelta:",
        '"""Send ``payload``; answer how long it took."""',
        "timeout: _support.Attribute[timedelta] = _support.Attribute(AsyncClient)",  # on the class and instances
        '"""How long a send may take."""',
        f"from {package}.transport import RETRIES",
        "from datetime import timedelta",
        "from fractions import Fraction",
        "def receive(self) -> Item | None:",
        "def receive_all(self) -> _abc.Iterator[Item]:",
    ]:
        assert line in text, line
    assert text.count("def fetch(") == 1  # the subclass's definition wins
    assert "_later" not in text  # private members are not mapped
    assert run_cli("--check", config=project) == 0
    generated = importlib.import_module(f"{package}.client")
    with generated.Client("p/", limit=3) as client:
        assert client.fetch("k", "x").name == "p/kx"
        assert [item.name for item in client.items(2)] == ["0", "1"]
        assert client.later() == 5
        assert client.child().prefix == "p/child/"
        with client.session() as same:
            assert same is client
        assert client.limit == 3
        assert client.ping() == "pong"
        assert client.log("line") == ["line"]
        assert client.send(b"abc", retries=2) == datetime.timedelta(milliseconds=6)
        assert client.timeout == datetime.timedelta(seconds=5)
        assert client.receive() is None
    with generated.Box(41) as box:
        assert box.get() == 41


def test_check_fails_when_a_twin_is_stale_or_missing(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    package = next(p.name for p in project.iterdir() if p.name.startswith("gen_"))
    assert run_cli(config=project) == 0
    source = project / package / "aio.py"
    source.write_text(source.read_text() + "\n\nasync def unrelated() -> None:\n    pass\n")
    assert run_cli("--check", config=project) == 0  # a change outside the class changes nothing
    source.write_text(source.read_text().replace("async def ping(self) -> str:", "async def ping(self) -> bytes:"))
    capsys.readouterr()
    assert run_cli("--check", config=project) == 1
    stale = capsys.readouterr().err
    assert f"{package}/client.py: stale" in stale
    # where, and what the line would be: CI's log says what changed (review 38e)
    assert re.search(r"first difference at line \d+, which would read: def ping\(self\) -> bytes:", stale), stale
    (project / package / "client.py").unlink()
    assert run_cli("--check", config=project) == 1
    assert f"{package}/client.py: missing" in capsys.readouterr().err
    assert not (project / package / "client.py").exists()  # --check writes nothing


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("", "has no [tool.dualio.twin] table"),
        ('[tool.dualio.twin]\n"no_colon" = "out.py"', "must be 'package.module:AsyncClass'"),
        ('[tool.dualio.twin]\n"{package}.aio:AsyncClient" = 3', "must map to a .py file path"),
        ('[tool.dualio.twin]\n"{package}.aio:Missing" = "out.py"', "has no top-level class 'Missing'"),
        ('[tool.dualio.twin]\n"{package}.nowhere:AsyncClient" = "out.py"', "cannot find"),
        ('[tool.dualio.twin]\n"{package}.bad:AsyncBad" = "out.py"', "uses the name 'Unknown'"),
    ],
    ids=["no-table", "bad-key", "bad-output", "no-class", "no-module", "unknown-name"],
)
def test_bad_configuration_is_a_clear_error(
    project: Path, table: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    package = next(p.name for p in project.iterdir() if p.name.startswith("gen_"))
    (project / package / "bad.py").write_text("class AsyncBad:\n    async def go(self) -> Unknown: ...\n")
    (project / "pyproject.toml").write_text(table.replace("{package}", package))
    assert run_cli(config=project) == 2
    assert message in capsys.readouterr().err


def test_the_console_script_runs_generate(project: Path) -> None:
    script = Path(sys.executable).parent / "dualio"
    proc = subprocess.run(
        [str(script), "twin", "generate", "--check"], cwd=project, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 1, proc.stderr  # nothing generated yet: missing
    assert "missing" in proc.stderr
    proc = subprocess.run([str(script), "twin", "generate"], cwd=project, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "wrote" in proc.stdout


def test_generated_code_passes_mypy_strict(project: Path) -> None:
    package = next(p.name for p in project.iterdir() if p.name.startswith("gen_"))
    assert run_cli(config=project) == 0
    (project / "use.py").write_text(
        textwrap.dedent(f"""
        from collections.abc import Iterator
        from datetime import timedelta
        from typing import assert_type

        from {package}.client import Box, Client
        from {package}.models import Item

        def use(client: Client, box: Box[int]) -> None:
            assert_type(Box("text").get(), str)
            assert_type(box.get(), int)
            assert_type(client.fetch("k"), Item)
            assert_type(client.later(), int)
            assert_type(client.items(3), Iterator[Item])
            assert_type(client.child(), Client)
            assert_type(client.send(b"x"), timedelta)
            assert_type(client.log("x"), list[str])
            assert_type(client.timeout, timedelta)
            assert_type(client.receive(), Item | None)
            assert_type(client.receive_all(), Iterator[Item])
            with client.session() as inner:
                assert_type(inner, Client)
        """)
    )
    assert_mypy_strict(project, f"{package}/client.py", "use.py")


def test_the_example_twins_run_on_the_default_portal_too() -> None:
    from dualio.twin.examples.store import Store

    with dualio.Portal("example") as portal, use_portal(portal), Store("x") as store:
        assert store.set("k", b"v") is True


def test_a_generic_base_is_read_with_the_type_arguments_the_subclass_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "gen_generic_bases").mkdir()
    (tmp_path / "gen_generic_bases" / "__init__.py").write_text("")
    (tmp_path / "gen_generic_bases" / "aio.py").write_text(
        textwrap.dedent("""
        import json
        from collections.abc import Awaitable
        from typing import Generic, TypeVar

        T = TypeVar("T")
        U = TypeVar("U")


        class AsyncBox(Generic[T]):
            async def get(self) -> T:
                raise NotImplementedError

            def later(self) -> Awaitable["T"]:
                raise NotImplementedError


        class AsyncPairs(AsyncBox[list[U]], Generic[U]):  # still generic: get() -> list[U]
            async def first(self) -> U:
                raise NotImplementedError


        class AsyncNames(AsyncPairs["AsyncNames"]):  # through two bases, naming a twinned class
            async def count(self) -> int:
                raise NotImplementedError


        class AsyncAnything(AsyncBox):  # type: ignore[type-arg]  # unsubscripted: T is Any
            async def ping(self) -> str:
                raise NotImplementedError


        class AsyncDecoder(json.JSONDecoder):  # the standard library's source is not pinned in a twin
            async def ping(self) -> str:
                raise NotImplementedError
        """)
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    targets = ["AsyncPairs", "AsyncNames", "AsyncAnything", "AsyncDecoder"]
    text = render_module([Target("gen_generic_bases.aio", name, tmp_path / "out.py") for name in targets])
    names = text[text.index("class Names(") : text.index("class Anything(")]
    assert "def get(self) -> list[Names]:" in names
    assert "def later(self) -> list[Names]:" in names
    assert "def first(self) -> Names:" in names
    pairs = text[text.index("class Pairs(") : text.index("class Names(")]
    assert "class Pairs(_support.Twin[AsyncPairs[U]], _typing.Generic[U]):" in pairs
    assert "def get(self) -> list[U]:" in pairs
    anything = text[text.index("class Anything(") : text.index("class Decoder(")]
    assert "def get(self) -> _typing.Any:" in anything
    decoder = text[text.index("class Decoder(") :]
    assert "def ping(self) -> str:" in decoder
    assert "def decode(" not in decoder
    assert "def raw_decode(" not in decoder
    assert "json" not in text.partition('"""Sync twins')[0]  # only the header: no module of json's was read
    (tmp_path / "gen_generic_bases" / "out.py").write_text(text)
    assert_mypy_strict(tmp_path, "gen_generic_bases/out.py")


PEP695_SOURCE = """
from collections.abc import AsyncIterator, Callable


class Item:
    def __init__(self, name: str) -> None:
        self.name = name


class AsyncPool[T: Item]:
    def __init__(self, *items: T) -> None:
        self.items = list(items)

    async def get(self) -> T:
        return self.items[0]

    async def map[U](self, function: Callable[[T], U]) -> list[U]:
        return [function(item) for item in self.items]

    async def each(self) -> AsyncIterator[T]:
        for item in self.items:
            yield item


class AsyncItems(AsyncPool[Item]):
    async def count(self) -> int:
        return len(self.items)
"""


def pep695_targets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[Target]:
    package = tmp_path / "gen_pep695"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "aio.py").write_text(PEP695_SOURCE)
    monkeypatch.syspath_prepend(str(tmp_path))
    return [Target("gen_pep695.aio", name, package / "out.py") for name in ("AsyncPool", "AsyncItems")]


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="this Python parses the 3.12 syntax")
def test_source_this_python_cannot_parse_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The generator reads with this Python's parser: a GenerateError that says what to do, not a traceback.
    with pytest.raises(GenerateError, match=r"cannot parse module 'gen_pep695.aio'.*run the generator with"):
        render_module(pep695_targets(tmp_path, monkeypatch))


@pytest.mark.skipif(sys.version_info < (3, 12), reason="the 3.12 syntax does not parse on this Python")
def test_type_parameters_declared_with_the_3_12_syntax(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "gen_pep695"
    text = render_module(pep695_targets(tmp_path, monkeypatch))
    assert "class Pool[T: Item](_support.Twin[AsyncPool[T]]):" in text
    pool = text[text.index("class Pool[") : text.index("class Items(")]
    assert "def get(self) -> T:" in pool
    assert "def map[U](self, function: Callable[[T], U]) -> list[U]:" in pool
    assert "def each(self) -> _abc.Iterator[T]:" in pool
    items = text[text.index("class Items(") :]
    assert "def get(self) -> Item:" in items
    assert "def map[U](self, function: Callable[[Item], U]) -> list[U]:" in items
    assert "import T" not in text
    assert ", T" not in text.partition("__all__")[0]  # type parameters are never imported
    (package / "out.py").write_text(text)
    (tmp_path / "use.py").write_text(
        textwrap.dedent("""
        from collections.abc import Iterator
        from typing import assert_type

        from gen_pep695.aio import Item
        from gen_pep695.out import Items, Pool

        def use(pool: Pool[Item], items: Items) -> None:
            assert_type(pool.get(), Item)
            assert_type(pool.map(lambda item: item.name), list[str])
            assert_type(items.get(), Item)
            assert_type(items.each(), Iterator[Item])
        """)
    )
    assert_mypy_strict(tmp_path, "gen_pep695/out.py", "use.py")
    generated = importlib.import_module("gen_pep695.out")
    aio = importlib.import_module("gen_pep695.aio")
    with generated.Items(aio.Item("a"), aio.Item("b")) as twin:
        assert twin.count() == 2
        assert twin.map(lambda item: item.name) == ["a", "b"]
        assert [item.name for item in twin.each()] == ["a", "b"]


def test_a_twinned_class_generated_into_another_file_is_named_by_its_twin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One output file per class, each annotation naming the other's async class: the twins refer to each other.
    # The classes are in two top-level packages: the response's is not one a twin was registered from.
    package, answers = tmp_path / "gen_two_outputs", tmp_path / "gen_two_outputs_answers"
    for directory in (package, answers):
        directory.mkdir()
        (directory / "__init__.py").write_text("")
    (package / "aio.py").write_text(
        textwrap.dedent("""
        from collections.abc import AsyncIterator

        from gen_two_outputs_answers.resp import AsyncResponse as Answer


        class AsyncClient:
            async def get(self, body: bytes) -> Answer:
                return Answer(self, body)

            async def each(self, *bodies: bytes) -> AsyncIterator[Answer]:
                for body in bodies:
                    yield Answer(self, body)
        """)
    )
    (answers / "resp.py").write_text(
        textwrap.dedent("""
        from __future__ import annotations

        from typing import TYPE_CHECKING

        if TYPE_CHECKING:
            from gen_two_outputs.aio import AsyncClient


        class AsyncResponse:
            def __init__(self, client: AsyncClient, body: bytes) -> None:
                self._client = client
                self._body = body

            async def read(self) -> bytes:
                return self._body

            async def client(self) -> AsyncClient:
                return self._client
        """)
    )
    (tmp_path / "pyproject.toml").write_text(
        textwrap.dedent("""
        [tool.dualio.twin]
        "gen_two_outputs.aio:AsyncClient" = "gen_two_outputs/client.py"
        "gen_two_outputs_answers.resp:AsyncResponse" = "gen_two_outputs_answers/response.py"
        """)
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    assert run_cli(config=tmp_path) == 0
    client_text = (package / "client.py").read_text()
    for line in [
        "def get(self, body: bytes) -> Response:",
        "def each(self, *bodies: bytes) -> _abc.Iterator[Response]:",
        "    from gen_two_outputs_answers.response import Response",  # for type checking only: no import cycle
        'register_elsewhere(AsyncResponse, "gen_two_outputs_answers.response")',
    ]:
        assert line in client_text, line
    response_text = (answers / "response.py").read_text()
    assert "def client(self) -> Client:" in response_text
    assert 'register_elsewhere(AsyncClient, "gen_two_outputs.client")' in response_text
    assert run_cli("--check", config=tmp_path) == 0
    (tmp_path / "use.py").write_text(
        textwrap.dedent("""
        from collections.abc import Iterator
        from typing import assert_type

        from gen_two_outputs.client import Client
        from gen_two_outputs_answers.response import Response

        def use(client: Client) -> None:
            assert_type(client.get(b"x"), Response)
            assert_type(client.each(b"x"), Iterator[Response])
            assert_type(client.get(b"x").client(), Client)
        """)
    )
    assert_mypy_strict(tmp_path, "gen_two_outputs", "gen_two_outputs_answers", "use.py")
    client_module = importlib.import_module("gen_two_outputs.client")
    assert "gen_two_outputs_answers.response" not in sys.modules  # imported when a response first needs its twin
    with client_module.Client() as client:
        response = client.get(b"body")
        response_module = sys.modules["gen_two_outputs_answers.response"]
        assert type(response) is response_module.Response  # the generated twin class, not one built at run time
        assert response.read() == b"body"
        assert response.client() is client
        assert [type(item) for item in client.each(b"a", b"b")] == [response_module.Response] * 2


@pytest.mark.skipif(sys.version_info < (3, 13), reason="type parameter defaults are Python 3.13 syntax")
def test_a_type_parameter_default_is_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    one_module_package(
        tmp_path,
        monkeypatch,
        "gen_pep696",
        "class AsyncSlot[T: (int, str) = int, *Ts, **P]:\n"
        "    async def get(self) -> T:\n"
        "        raise NotImplementedError\n",
    )
    text = render_module([Target("gen_pep696.aio", "AsyncSlot", tmp_path / "out.py")])
    assert "class Slot[T: (int, str) = int, *Ts, **P](_support.Twin[AsyncSlot[T, *Ts, P]]):" in text
    assert "def get(self) -> T:" in text


def one_name_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, base_imports: str, own: str
) -> list[Target]:
    """A package ``name`` whose async class and its base (in another module) name ``Item`` as given."""
    package = tmp_path / name
    package.mkdir()
    (package / "__init__.py").write_text("from .models import Item as Item\n")
    (package / "models.py").write_text("class Item:\n    pass\n")
    (package / "base.py").write_text(f"{base_imports}\n\nclass AsyncBase:\n    async def first(self) -> Item: ...\n")
    (package / "aio.py").write_text(
        f"from .base import AsyncBase\n{own}\n\nclass AsyncShop(AsyncBase):\n    async def last(self) -> Item: ...\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    return [Target(f"{name}.aio", "AsyncShop", package / "out.py")]


def test_a_name_imported_twice_for_one_object_is_imported_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The base imports Item through the package's re-export, the subclass from its module: the same class.
    targets = one_name_project(
        tmp_path, monkeypatch, "gen_one_object", "from gen_one_object import Item", "from .models import Item"
    )
    text = render_module(targets)
    assert "def first(self) -> Item:" in text
    assert "def last(self) -> Item:" in text
    assert text.count(" import Item") == 1


def test_a_name_that_means_two_things_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    targets = one_name_project(
        tmp_path, monkeypatch, "gen_two_items", "from .models import Item", "class Item:\n    pass"
    )
    with pytest.raises(
        GenerateError, match=r"both `from gen_two_items.aio import Item` and `from gen_two_items.models"
    ):
        render_module(targets)


def test_an_import_named_like_a_twin_class_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    targets = one_name_project(tmp_path, monkeypatch, "gen_shop", "", "from .models import Item")
    (tmp_path / "gen_shop" / "base.py").write_text(
        "from .models import Item as Shop\n\nclass AsyncBase:\n    async def first(self) -> Shop: ...\n"
    )
    with pytest.raises(GenerateError, match="'Shop' is the name of a generated twin class"):
        render_module(targets)


def test_plain_imports_of_one_package_are_all_kept() -> None:
    from dualio.twin._generator import _one_meaning_each
    from dualio.twin._lineage import Sources

    statements = {"import xml.dom", "import xml.sax", "import collections.abc"}
    assert _one_meaning_each(statements, set(), Sources(), {}) == statements


def test_config_may_name_the_project_directory(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # `--config path/to/project` reads its pyproject.toml (before: "cannot read ...: [Errno 21] Is a directory")
    assert main(["twin", "generate", "--config", str(project)]) == 0
    assert main(["twin", "generate", "--check", "--config", str(project)]) == 0
    assert "up to date" in capsys.readouterr().out
