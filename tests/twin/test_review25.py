"""Review 25 (type checkers, Python 3.12/3.13 asyncio features, long-lived processes): fixes kept fixed."""

from __future__ import annotations

import asyncio
import copy
import gc
import importlib
import pickle
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any, Generic, TypeVar

import pytest

import dualio
from dualio import twin

from .test_generated_spellings import generate_and_use
from .test_generator import _MYPY_CACHE, run_cli
from .test_review18_generator import _package
from .test_review19 import _generate

T = TypeVar("T")


class AsyncPool(Generic[T]):
    def __init__(self, items: list[T]) -> None:
        self.items = items

    async def get(self) -> T:
        await asyncio.sleep(0)
        return self.items[0]


class AsyncPlain:
    async def get(self) -> int:
        return 1


def test_the_run_time_twin_of_a_generic_class_takes_its_type_arguments() -> None:
    """``AsyncPool[str](...)`` works, so ``Pool[str](...)`` must (review 25b: "is not a generic class")."""
    pool_cls: Any = twin.sync_class(AsyncPool)
    pool = pool_cls[str](["a"])
    assert pool.get() == "a"
    assert type(pool) is pool_cls
    assert repr(pool_cls[int]).endswith("Pool[int]")
    assert not hasattr(twin.unwrap(pool), "__orig_class__")  # not passed on to the async object
    with pytest.raises(TypeError, match=r"takes 1 type argument\(s\), as AsyncPool does; got 2"):
        pool_cls[str, int]
    with pytest.raises(TypeError, match="is not a generic class"):
        twin.sync_class(AsyncPlain)[int]
    pool.close()


DEPRECATED_SOURCE = """
from __future__ import annotations

from collections.abc import AsyncIterator

from typing_extensions import deprecated


class AsyncBox:
    @deprecated("use get() instead")
    async def fetch(self) -> int:
        return 1

    @deprecated("use items() instead", category=FutureWarning)
    async def stream(self) -> AsyncIterator[int]:
        yield 1

    @classmethod
    @deprecated("use AsyncBox() instead")
    async def build(cls) -> AsyncBox:
        return cls()

    @deprecated("documented only", category=None)
    async def quiet(self) -> int:
        return 3

    async def get(self) -> int:
        return 2
"""

DEPRECATED_USAGE = """
import warnings
from typing import assert_type

from gen_deprecated.sync import Box

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    box = Box.build()
    assert_type(box.fetch(), int)
    assert list(box.stream()) == [1]
    assert box.quiet() == 3
    assert box.get() == 2
seen = [(w.category.__name__, str(w.message), w.filename == __file__) for w in caught]
assert seen == [
    ("DeprecationWarning", "use AsyncBox() instead", True),
    ("DeprecationWarning", "use get() instead", True),
    ("FutureWarning", "use items() instead", True),
], seen
"""


def _warnings_of(calls: Any) -> list[tuple[str, str, str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        calls()
    return [(w.category.__name__, str(w.message), Path(w.filename).name) for w in caught]


def test_a_deprecated_member_warns_once_in_the_callers_line_on_a_run_time_twin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Review 25b: the warning named dualio's ``_runtime.py`` (so Python's default filters hid it) and the twin's
    method had no ``__deprecated__``."""
    _package(tmp_path, monkeypatch, "rt_deprecated", {"aio": DEPRECATED_SOURCE})
    aio = importlib.import_module("rt_deprecated.aio")
    box_cls: Any = twin.sync_class(aio.AsyncBox)
    here = Path(__file__).name

    def calls() -> None:
        box = box_cls.build()
        assert box.fetch() == 1
        assert list(box.stream()) == [1]
        assert box.quiet() == 3
        assert box.get() == 2
        box.close()

    assert _warnings_of(calls) == [
        ("DeprecationWarning", "use AsyncBox() instead", here),
        ("DeprecationWarning", "use get() instead", here),
        ("FutureWarning", "use items() instead", here),
    ]
    assert box_cls.fetch.__deprecated__ == "use get() instead"


def test_a_generated_twin_keeps_deprecated_and_warns_once_in_the_callers_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = generate_and_use(tmp_path, monkeypatch, "gen_deprecated", DEPRECATED_SOURCE, "AsyncBox", DEPRECATED_USAGE)
    assert "    @deprecated('use get() instead')\n    def fetch(self) -> int:" in text
    assert "    @classmethod\n    @deprecated('use AsyncBox() instead')\n    def build(cls) -> Box:" in text
    assert "from typing_extensions import deprecated" in text
    # With mypy's `deprecated` error code on, the generated module is clean and a caller's use is flagged.
    (tmp_path / "calls_fetch.py").write_text("from gen_deprecated.sync import Box\n\nBox().fetch()\n")
    command = [sys.executable, "-m", "mypy", "--strict", "--enable-error-code", "deprecated"]
    checked = subprocess.run(
        [*command, "--cache-dir", str(_MYPY_CACHE), "gen_deprecated/sync.py", "calls_fetch.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert checked.stdout.splitlines()[:-1] == [
        "calls_fetch.py:3: error: function gen_deprecated.sync.Box.fetch is deprecated: use get() instead  [deprecated]"
    ]


class _Response:
    status = 200


class _RequestContext:
    def __init__(self) -> None:
        self.response = _Response()

    async def __aenter__(self) -> _Response:
        return self.response

    async def __aexit__(self, *exc_info: object) -> None:
        pass


class AsyncApi:
    def get(self) -> _RequestContext:  # aiohttp's shape: a plain def returning an async context manager
        return _RequestContext()

    async def ping(self) -> int:
        return 1


def _responses_alive() -> int:
    gc.collect()
    return sum(1 for obj in gc.get_objects() if type(obj) is _Response)


@pytest.mark.parametrize("lend_loop", [False, True], ids=["loop-thread", "lent-loop"])
def test_ended_with_blocks_whose_body_makes_no_call_are_not_kept(lend_loop: bool) -> None:
    """Review 25c: each ended block was kept by the next one (through the copy of the thread's context its call's
    task holds), so a loop of `with s.get(url) as r: check r.status` kept every response: 3.3 KB per GET."""
    with dualio.Portal(lend_loop=lend_loop) as portal, twin.use_portal(portal):
        api: Any = twin.sync_class(AsyncApi)()
        for _ in range(300):
            with api.get() as response:
                assert response.status == 200
        assert _responses_alive() <= 1  # the last one, until the thread's next call
        for _ in range(300):
            with portal.enter(_RequestContext()) as response:
                assert response.status == 200
        assert _responses_alive() <= 2
        assert api.ping() == 1
        api.close()


BRANCHES_SOURCE = """
import os
import sys
from typing import TYPE_CHECKING, Any, Literal, overload


async def _fetch(self: Any, key: str) -> Any:
    return key


class AsyncClient:
    if sys.version_info >= (3, 11) and TYPE_CHECKING:

        async def fetch(self, key: str) -> str: ...

    else:
        fetch = _fetch

    if sys.version_info < (3, 10):

        async def old(self) -> int:
            return 0

    else:

        async def new(self) -> int:
            return 1

    if not TYPE_CHECKING:

        async def hidden(self) -> int:
            return 2

    if sys.version_info >= (3, 11) and TYPE_CHECKING:  # aiohttp's `ws_connect`: the implementation follows

        @overload
        async def pick(self, raw: Literal[True]) -> bytes: ...

        @overload
        async def pick(self, raw: Literal[False] = ...) -> str: ...

    async def pick(self, raw: bool = False) -> str | bytes:
        return b"x" if raw else "x"
"""


def test_members_under_a_condition_a_type_checker_decides_are_read_as_it_reads_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """aiohttp's shape (review 25a: its ``ClientSession`` could not be generated): the members both branches
    define, with the checker's signatures; a version test decided by the running Python."""
    usage = """
from typing import assert_type

from gen_branches.sync import Client

client = Client()
assert_type(client.fetch("k"), str)
assert client.fetch("k") == "k"
assert client.new() == 1
assert_type(client.pick(True), bytes)
assert_type(client.pick(), str)
assert client.pick(True) == b"x"
"""
    text = generate_and_use(tmp_path, monkeypatch, "gen_branches", BRANCHES_SOURCE, "AsyncClient", usage)
    assert "    def fetch(self, key: str) -> str:" in text
    assert "def old(" not in text
    assert text.count("def pick(") == 3  # two overloads from the checker's `if`, the implementation after it
    assert "def hidden(" not in text  # at run time only: a checker does not see it on the async class either


def test_members_under_a_condition_no_checker_decides_are_still_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = BRANCHES_SOURCE.replace("if sys.version_info < (3, 10):", "if os.environ.get('OLD'):")
    with pytest.raises(twin.GenerateError, match=r"defines members inside statements of its class body: new, old"):
        _generate(tmp_path, monkeypatch, "gen_undecided", {"aio": source}, "AsyncClient")


class AsyncCounter:
    def __init__(self) -> None:
        self.count = 0

    async def add(self, n: int) -> int:
        self.count += n
        return self.count


def test_a_twin_is_its_own_copy_and_says_why_it_cannot_be_deep_copied_or_pickled() -> None:
    """Review 25c: `copy.copy` made a second twin of the object (closing it left the first open), deepcopy and
    pickle failed with messages about contextvars and WeakSets (also for a `multiprocessing` spawn argument)."""
    counter: Any = twin.sync_class(AsyncCounter)()
    assert copy.copy(counter) is counter
    assert counter.add(2) == 2
    for attempt, how in ((copy.deepcopy, "deep-copied"), (pickle.dumps, "pickled")):
        with pytest.raises(TypeError, match=rf"^a Counter twin cannot be {how}: .*make the twin there"):
            attempt(counter)
    assert counter.add(1) == 3  # untouched
    counter.close()


def test_a_portal_is_its_own_copy_and_says_why_it_cannot_be_deep_copied_or_pickled() -> None:
    with dualio.Portal("copied") as portal:
        assert copy.copy(portal) is portal
        for attempt, how in ((copy.deepcopy, "deep-copied"), (pickle.dumps, "pickled")):
            with pytest.raises(TypeError, match=rf"^portal 'copied' cannot be {how}: it owns an event loop"):
                attempt(portal)
        assert portal.run(asyncio.sleep(0, "still running")) == "still running"


RECEIVER_SOURCE = """
from typing import Generic, Literal, TypeVar, overload

D = TypeVar("D", bound=bool, covariant=True)  # with a writable attribute of that type (`decode`)


class AsyncSocket(Generic[D]):
    def __init__(self, decode: D) -> None:
        self.decode = decode

    @overload
    async def receive(self: "AsyncSocket[Literal[True]]") -> str: ...

    @overload
    async def receive(self: "AsyncSocket[Literal[False]]") -> bytes: ...

    async def receive(self) -> str | bytes:
        return "text" if self.decode else b"bytes"

    def __aiter__(self) -> "AsyncSocket[D]":
        return self

    @overload
    async def __anext__(self: "AsyncSocket[Literal[True]]") -> str: ...

    @overload
    async def __anext__(self: "AsyncSocket[Literal[False]]") -> bytes: ...

    async def __anext__(self) -> str | bytes:
        return "text" if self.decode else b"bytes"
"""


def test_overloads_told_apart_by_the_receivers_type_arguments_are_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """aiohttp's ``ClientWebSocketResponse.receive_str`` (review 26a: typed ``str | bytes`` on the twin, ``str``
    for async callers): the receiver is written as the twin with the same type arguments."""
    usage = """
from typing import Literal, assert_type

from gen_receiver.sync import Socket

text = Socket[Literal[True]](True)
assert_type(text.receive(), str)
assert text.receive() == "text"
raw = Socket[Literal[False]](False)
assert_type(raw.receive(), bytes)
assert raw.receive() == b"bytes"
for item in text:  # `__anext__`'s overloads type `__iter__` and `__next__` (aiohttp's `for msg in ws`)
    assert_type(item, str)
    assert item == "text"
    break
assert_type(next(raw), bytes)
assert next(raw) == b"bytes"
"""
    text = generate_and_use(tmp_path, monkeypatch, "gen_receiver", RECEIVER_SOURCE, "AsyncSocket", usage)
    assert "    def receive(self: Socket[Literal[True]]) -> str: ..." in text
    assert "    def __iter__(self: Socket[Literal[False]]) -> _abc.Iterator[bytes]: ..." in text
    assert "    def __next__(self: Socket[Literal[False]]) -> bytes: ..." in text
    # A setter of an attribute typed by a covariant type variable: allowed on the async side, and on the twin.
    assert "    def decode(self, value: D) -> None:  # type: ignore[misc]" in text


SYNC_CLIENT_SOURCE = '''
class AsyncResponse:
    async def aread(self) -> bytes:
        return b""


class Client:
    """A library's sync client: blocking I/O in plain defs, returning a class with async members."""

    def get(self, url: str) -> AsyncResponse:
        return AsyncResponse()


class AsyncClient:
    async def get(self, url: str) -> AsyncResponse:
        return AsyncResponse()
'''


def _generate_notes(project: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    """Run `dualio twin generate` on ``project``'s pyproject.toml (it succeeds); the notes it printed."""
    assert run_cli(config=project) == 0
    return [line for line in capsys.readouterr().err.splitlines() if "note:" in line]


def test_a_listed_class_with_no_async_members_of_its_own_gets_a_note(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Review 28b: `"httpx:Client"` (the sync client) was generated without a word; its blocking methods then ran
    on the portal's loop. It is still generated (grpc stubs and Playwright's FrameLocator are such classes), with
    a note when its module also has an `Async...` class of the same name (the two kinds are otherwise alike)."""
    _package(tmp_path, monkeypatch, "gen_sync_client", {"aio": SYNC_CLIENT_SOURCE})
    (tmp_path / "pyproject.toml").write_text(
        '[tool.dualio.twin]\n"gen_sync_client.aio:Client" = "gen_sync_client/sync.py"\n'
        '"gen_sync_client.aio:AsyncResponse" = "gen_sync_client/sync.py"\n'
    )
    assert _generate_notes(tmp_path, capsys) == [
        "dualio twin generate: note: gen_sync_client.aio:Client has no async members of its own (it is twinned "
        "because its defs return objects that have some), and its module also has AsyncClient: its methods will "
        "run on the portal's loop, and block it if they do I/O (a library's sync client). Did you mean to list "
        "gen_sync_client.aio:AsyncClient?"
    ]


PARENT_CHILD_SOURCE = """
class AsyncChild:
    async def ping(self) -> int:
        return 1


class AsyncParent:
    async def child(self) -> AsyncChild:
        return AsyncChild()
"""


def test_an_output_no_import_can_name_gets_a_note_when_other_outputs_lose_its_twins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Review 26a: a twin module written outside the project could not be imported by the others, whose methods
    returning its async classes were then typed Any without a word."""
    project = tmp_path / "project"
    project.mkdir()
    _package(project, monkeypatch, "gen_unnamed", {"aio": PARENT_CHILD_SOURCE})
    (project / "pyproject.toml").write_text(
        '[tool.dualio.twin]\n"gen_unnamed.aio:AsyncChild" = "../elsewhere/child.py"\n'
        '"gen_unnamed.aio:AsyncParent" = "gen_unnamed/parent.py"\n'
    )
    assert _generate_notes(project, capsys) == [
        "dualio twin generate: note: ../elsewhere/child.py cannot be imported by a module name (it is not under the "
        "directory of pyproject.toml, its src/ or a sys.path entry, on a path of identifiers), so the twin modules "
        "of the other output files cannot import Child from it: what they return of its async classes is typed Any "
        "there; write it inside your package"
    ]
    assert "def child(self) -> _typing.Any:" in (project / "gen_unnamed" / "parent.py").read_text()

    (project / "pyproject.toml").write_text(
        '[tool.dualio.twin]\n"gen_unnamed.aio:AsyncChild" = "gen_unnamed/child.py"\n'
        '"gen_unnamed.aio:AsyncParent" = "gen_unnamed/parent.py"\n'
    )
    assert _generate_notes(project, capsys) == []
    assert "def child(self) -> Child:" in (project / "gen_unnamed" / "parent.py").read_text()
