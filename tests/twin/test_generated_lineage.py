"""Which members a generated twin gets from its async class's bases: Python's lookup order, accessors, branches.

Each case is generated from source into ``tmp_path``, imported and run (``mypy --strict`` checks the usage of the
first case too): the twin must call the member that Python itself would find on the async class.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from dualio.twin import GenerateError
from dualio.twin._generator import render_module
from dualio.twin._source import Target

from .test_generated_spellings import generate_and_use
from .test_generator import assert_mypy_strict, one_module_package

MIXIN_SOURCE = """
from typing import Self


class RetryMixin:
    async def send(self, data: bytes, *, retries: int = 3) -> int:
        \"\"\"Send, retrying (Python's lookup finds this one first).\"\"\"
        return len(data) * 100 + retries

    async def __aenter__(self) -> Self:
        self.entered_by = "the mixin"
        return self


class BaseClient:
    entered_by: str = "nobody"

    async def send(self, data: bytes) -> int:
        \"\"\"Send once.\"\"\"
        return len(data)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        return None

    @property
    def timeout(self) -> float:
        return self._timeout

    @timeout.setter
    def timeout(self, value: float) -> None:
        self._timeout = value

    _timeout = 5.0


class Middle(BaseClient):
    async def send(self, data: bytes) -> int:
        return -1


class AsyncClient(RetryMixin, Middle):
    pass
"""

USAGE = """
from typing import assert_type

from gen_lookup.sync import Client

with Client() as client:
    assert client.entered_by == "the mixin"  # its __aenter__ ran, not the base's `return self`
    assert_type(client.send(b"ab", retries=5), int)
    assert client.send(b"ab", retries=5) == 205
    assert_type(client.timeout, float)
    assert client.timeout == 5.0
    client.timeout = 10.0
    assert client.timeout == 10.0
"""


def generate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, package: str, source: str) -> ModuleType:
    one_module_package(tmp_path, monkeypatch, package, source)
    output = tmp_path / package / "sync.py"
    output.write_text(render_module([Target(f"{package}.aio", "AsyncClient", output)]))
    return importlib.import_module(f"{package}.sync")


def new_client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, package: str, source: str) -> Any:
    """A new twin of ``package.aio.AsyncClient``, generated from ``source``."""
    client_cls: Any = generate(tmp_path, monkeypatch, package, source).Client
    return client_cls()


def test_members_are_found_in_python_s_lookup_order_and_a_base_s_setter_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before, the last base read won: BaseClient's send(data) and its `return self` __aenter__ (so the mixin's
    # never ran), and the base's @timeout.setter replaced its getter (the twin had a method named timeout).
    sync = generate(tmp_path, monkeypatch, "gen_lookup", MIXIN_SOURCE)
    client_cls: Any = sync.Client
    text = (tmp_path / "gen_lookup" / "sync.py").read_text()
    assert "def send(self, data: bytes, *, retries: int = 3) -> int:" in text
    assert "Send, retrying" in text
    with client_cls() as client:
        assert client.entered_by == "the mixin"
        assert client.send(b"ab", retries=5) == 205
        client.timeout = 10.0
        assert client.timeout == 10.0
    (tmp_path / "usage_lookup.py").write_text(USAGE)
    assert_mypy_strict(tmp_path, "gen_lookup/sync.py", "usage_lookup.py")
    proc = subprocess.run(
        [sys.executable, "usage_lookup.py"], cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr


def test_a_diamond_is_read_in_c3_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = (
        "class Root:\n    async def which(self) -> str:\n        return 'root'\n\n"
        "class Left(Root):\n    pass\n\n"
        "class Right(Root):\n    async def which(self) -> str:\n        return 'right'\n\n"
        "class AsyncClient(Left, Right):\n    pass\n"
    )
    client = new_client(tmp_path, monkeypatch, "gen_diamond", source)
    assert client.which() == "right"  # AsyncClient, Left, Right, Root: Right's, as Python finds it
    client.close()


def test_members_defined_under_a_branch_of_the_class_body_are_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before, they were dropped without a word. Every such statement is named, not only the first. An `if` a
    # type checker decides (aiohttp's ClientSession defines get, post, ... this way) is read since stop 31
    # (`_branches`, tests in test_generated_member_kinds.py): only the `try` is refused here.
    one_module_package(
        tmp_path,
        monkeypatch,
        "gen_branches",
        "import sys\nfrom typing import TYPE_CHECKING\n\n"
        "class AsyncClient:\n"
        "    async def ping(self) -> str:\n        return 'pong'\n\n"
        "    if sys.version_info >= (3, 11) and TYPE_CHECKING:\n"
        "        async def get(self, url: str) -> str: ...\n"
        "    else:\n"
        "        async def get(self, url: str) -> str:\n            return url\n\n"
        "        def helper(self) -> None:\n            inner = 1\n\n"
        "    try:\n        import json\n    except ImportError:\n"
        "        async def ping_all(self) -> None: ...\n",
    )
    output = tmp_path / "gen_branches" / "sync.py"
    message = (
        r"^gen_branches\.aio\.AsyncClient defines members inside statements of its class body: ping_all \(in "
        r"the try at line 17\)\. The generator reads members a class defines unconditionally, or under an `if` "
        r"a type checker decides.*use dualio\.twin\.sync_class\(\)"
    )
    with pytest.raises(GenerateError, match=message):
        render_module([Target("gen_branches.aio", "AsyncClient", output)])


def test_declarations_for_type_checkers_and_private_names_under_a_branch_are_left_out_quietly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = (
        "from typing import TYPE_CHECKING\n\nDEBUG = False\n\n"
        "class AsyncClient:\n"
        "    if TYPE_CHECKING:\n        session: object\n\n"
        "    if DEBUG:  # aiohttp's ClientSession has this: a name the twin does not map, so it does not matter\n"
        "        def __setattr__(self, name: str, value: object) -> None:\n"
        "            object.__setattr__(self, name, value)\n\n"
        "    async def ping(self) -> str:\n        return 'pong'\n"
    )
    client = new_client(tmp_path, monkeypatch, "gen_type_only", source)
    assert client.ping() == "pong"
    client.close()


def test_an_unlisted_class_with_branched_members_does_not_stop_a_listed_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # aiohttp's ClientResponse takes a ClientSession: reading the unlisted session, only to decide whether a value
    # of it comes back as a twin built at run time, stopped ClientResponse's generation on the session's branches.
    source = (
        "import sys\n\n"
        "class AsyncSession:\n"
        "    if sys.version_info >= (3, 11):\n        async def get(self) -> str:\n            return 'got'\n\n"
        "class AsyncClient:\n"
        "    def __init__(self, session: AsyncSession | None = None) -> None:\n        self.session = session\n\n"
        "    async def body(self) -> str:\n        return 'body'\n"
    )
    client = new_client(tmp_path, monkeypatch, "gen_unlisted_branched", source)
    assert client.body() == "body"
    client.close()


SETTER_SOURCE = """
class BaseClient:
    def __init__(self) -> None:
        self._timeout = 5.0

    @property
    def timeout(self) -> float:
        \"\"\"Seconds to wait.\"\"\"
        return self._timeout

    @timeout.setter
    def timeout(self, value: float) -> None:
        self._timeout = value

    async def wait(self) -> float:
        return self._timeout


class AsyncClient(BaseClient):
    @BaseClient.timeout.setter  # type: ignore[attr-defined, untyped-decorator]  # mypy does not read it
    def timeout(self, value: float) -> None:
        self._timeout = max(value, 1.0)
"""


def test_a_subclass_redefining_a_base_property_s_setter_keeps_the_property(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before (until stop 21): `@BaseClient.timeout.setter` in the subclass gave the twin a method named timeout.
    client = new_client(tmp_path, monkeypatch, "gen_base_setter", SETTER_SOURCE)
    text = (tmp_path / "gen_base_setter" / "sync.py").read_text()
    assert '    def timeout(self) -> float:\n        """Seconds to wait."""' in text
    assert "    @timeout.setter\n    def timeout(self, value: float) -> None:" in text
    assert client.timeout == 5.0
    client.timeout = 0.1
    assert client.timeout == 1.0  # the subclass's setter ran
    assert client.wait() == 1.0
    client.close()
    assert_mypy_strict(tmp_path, "gen_base_setter/sync.py")


IMPLICIT_GENERIC_SOURCE = """
from typing import Generic

from gen_implicit.types import T, Ts, Unpack


class AsyncBase(Generic[T]):
    def __init__(self, value: T) -> None:
        self.value = value

    async def get(self) -> T:
        return self.value


class AsyncMixin(AsyncBase[T]):  # generic through its base (PEP 484), no Generic[T] written
    async def twice(self) -> list[T]:
        return [self.value, self.value]


class AsyncRow(Generic[*Ts]):  # *Ts: read as Unpack[Ts] (it failed to parse before stop 21)
    async def row(self) -> tuple[Unpack[Ts]]:
        raise NotImplementedError


class AsyncWide(AsyncRow[int, Unpack[Ts]]):  # generic in Ts, nested in an argument
    pass


class AsyncClient(AsyncMixin[int], AsyncWide[str, bytes]):
    pass
"""

IMPLICIT_GENERIC_TYPES = """
from typing import TypeVar

from typing_extensions import TypeVarTuple, Unpack

T = TypeVar("T")
Ts = TypeVarTuple("Ts")
__all__ = ["T", "Ts", "Unpack"]
"""

IMPLICIT_GENERIC_USAGE = """
from typing import assert_type

from gen_implicit.sync import Client

client = Client(7)
assert_type(client.get(), int)
assert_type(client.twice(), list[int])
assert_type(client.row, Callable[[], tuple[int, str, bytes]])
assert client.twice() == [7, 7]
client.close()
"""


def test_a_base_generic_only_through_its_own_base_is_read_with_its_type_arguments(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before (until stop 21): "base AsyncMixin[int] ...: written with 1 type argument(s), but AsyncMixin takes 0;
    # a type checker rejects it too", which was false; it blocked psycopg's AsyncConnection and SQLAlchemy.
    usage = "from collections.abc import Callable\n" + IMPLICIT_GENERIC_USAGE
    text = generate_and_use(
        tmp_path,
        monkeypatch,
        "gen_implicit",
        IMPLICIT_GENERIC_SOURCE,
        "AsyncClient",
        usage,
        modules={"types": IMPLICIT_GENERIC_TYPES},
    )
    assert "def twice(self) -> list[int]:" in text
