"""Review 19 (Celery, gunicorn, Jupyter, Streamlit, piccolo, ormar): what it found, fixed and kept fixed."""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

import dualio
from dualio import twin
from dualio.twin import use_portal
from dualio.twin._generator import render_module
from dualio.twin._source import Target
from tests.test_review_fixes import OperationInProgress, SlottedPool

from .test_generated_spellings import check_and_run_usage
from .test_review18_generator import _package


def _generate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, package: str, modules: dict[str, str], *classes: str
) -> tuple[Path, str]:
    """Write ``modules`` as the package ``package``; render the twins of ``classes`` of its ``aio`` module for
    ``package/sync.py``: that path and the text (not written yet)."""
    _package(tmp_path, monkeypatch, package, modules)
    output = tmp_path / package / "sync.py"
    return output, render_module([Target(f"{package}.aio", name, output) for name in classes])


class _QuerySet:
    """What ormar's metaclass property ``Model.objects`` gives: an object with async methods."""

    def __init__(self, model: type[Any]) -> None:
        self.model = model

    async def count(self) -> int:
        return len(self.model.rows)


class _ModelMeta(type):
    @property
    def objects(cls) -> _QuerySet:
        return _QuerySet(cls)

    def table_name(cls) -> str:
        return cls.__name__.lower()


class _Model(metaclass=_ModelMeta):
    rows: ClassVar[list[str]] = ["a", "b"]

    async def save(self) -> None:
        type(self).rows.append("c")


def test_a_public_member_of_the_async_class_metaclass_is_read_on_the_twin_class(portal: dualio.Portal) -> None:
    Model = twin.sync_class(_Model)
    with use_portal(portal):
        objects = Model.objects
        assert twin.portal_of(objects) is portal  # a class-level result's twin: on the portal in use
    assert isinstance(twin.unwrap(objects), _QuerySet)
    assert objects.count() == 2
    assert Model.table_name() == "_model"
    assert "objects" in dir(Model)
    with pytest.raises(AttributeError, match="type object '_SyncModel' has no attribute 'nothing'"):
        Model.nothing  # noqa: B018
    with pytest.raises(AttributeError):  # as on the async side: an instance does not see its metaclass's members
        Model().objects  # noqa: B018


_CONDITIONAL_T = {
    "models": 'from typing import TypeVar\n\nT = TypeVar("T")\n',
    "aio": """
from typing import TYPE_CHECKING, Generic, Optional, TypeVar

if TYPE_CHECKING:
    from gen_conditional_t.models import T
else:
    T = TypeVar("T")


class AsyncQuerySet(Generic[T]):
    def __init__(self, model: Optional[type[T]] = None) -> None:
        self.model = model

    async def first(self) -> Optional[T]:
        return None
""",
}

_CONDITIONAL_T_USAGE = """
from typing import assert_type

from gen_conditional_t.sync import QuerySet

with QuerySet(int) as qs:
    assert_type(qs.first(), int | None)
    assert qs.first() is None
"""


def test_a_type_parameter_bound_differently_for_type_checkers_gets_both_imports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Review 19c: ormar's QuerySet(Generic[T]) with `if TYPE_CHECKING: from ormar import T` / `else: T = TypeVar()`
    # was refused, blaming "a default value" (the twin's Generic[T] base needs T at run time; any type variable
    # does there, and type checkers read the TYPE_CHECKING one).
    output, text = _generate(tmp_path, monkeypatch, "gen_conditional_t", _CONDITIONAL_T, "AsyncQuerySet")
    checking, _, running = text.partition("if _typing.TYPE_CHECKING:\n")[2].partition("\nelse:\n")
    assert "    from gen_conditional_t.models import T\n" in checking + "\n"  # what type checkers read
    assert running.startswith("    from gen_conditional_t.aio import T\n")  # whichever the module made
    output.write_text(text)
    check_and_run_usage(tmp_path, "gen_conditional_t", _CONDITIONAL_T_USAGE)


_CLASS_BODY_IMPORT = {
    "rows": "class Row:\n    name = 'row'\n",
    "aio": """
from typing import TYPE_CHECKING


class AsyncModel:
    if TYPE_CHECKING:  # ormar's ExcludableMixin imports ModelRow so
        from gen_class_import.rows import Row

    async def load(self, kind: type["Row"]) -> "Row":
        return kind()
""",
}

_CLASS_BODY_IMPORT_USAGE = """
from typing import assert_type

from gen_class_import.rows import Row
from gen_class_import.sync import Model

model = Model()
assert_type(model.load(Row), Row)
assert model.load(Row).name == "row"
"""


def test_an_annotation_may_name_what_the_class_body_imports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Review 19c: ormar's Model was refused: "an annotation ... uses the name 'ModelRow', which module ... neither
    # defines nor imports at its top level" (imported in a class body, under TYPE_CHECKING, as mypy reads it).
    output, text = _generate(tmp_path, monkeypatch, "gen_class_import", _CLASS_BODY_IMPORT, "AsyncModel")
    assert "if _typing.TYPE_CHECKING:\n    from gen_class_import.rows import Row\n" in text
    output.write_text(text)
    check_and_run_usage(tmp_path, "gen_class_import", _CLASS_BODY_IMPORT_USAGE)


_ORMAR_SHAPE = {
    "aio": """
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:  # ormar's newbasemodel defines its T so
    T = TypeVar("T", bound="AsyncModel")


class AsyncModel:
    async def save(self) -> int:
        return 1

    @classmethod
    def build(cls: type["T"]) -> "T":
        return cls()


M = TypeVar("M", bound=AsyncModel)


class AsyncQuerySet(Generic[M]):
    def __init__(self, model: type[M]) -> None:
        self.model = model

    def filter(self) -> "AsyncQuerySet[M]":
        return self

    async def first(self) -> M:
        return self.model()
""",
}

_ORMAR_SHAPE_USAGE = """
from typing import assert_type

from gen_ormar_shape.aio import AsyncModel
from gen_ormar_shape.sync import Model, QuerySet

qs = QuerySet(AsyncModel)
assert_type(qs.filter(), QuerySet[AsyncModel])
first = qs.first()
assert_type(first, Model)
assert isinstance(first, Model) and first.save() == 1
"""


def test_a_generic_twin_keeps_its_type_variable_in_its_own_annotations(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Review 19c, ormar's QuerySet(Generic[T]) with T bound to Model, both listed: `filter() -> QuerySet[T]` was
    # written `SyncQuerySet[SyncModel]`, which the twin's own parameter (bound to the async Model) refuses; and
    # `construct(cls: type[T]) -> T`, with T defined under TYPE_CHECKING, failed mypy (the twin drops `cls`'s
    # annotation: the ignore that a return-only type variable gets was not given, its TypeVar() not found).
    output, text = _generate(tmp_path, monkeypatch, "gen_ormar_shape", _ORMAR_SHAPE, "AsyncModel", "AsyncQuerySet")
    assert "def filter(self) -> QuerySet[M]:" in text
    assert "def first(self) -> Model:" in text
    assert "def build(cls) -> T:  # type: ignore[type-var]" in text
    output.write_text(text)
    check_and_run_usage(tmp_path, "gen_ormar_shape", _ORMAR_SHAPE_USAGE)


class _Repository:
    def __init__(self, pool: SlottedPool) -> None:
        self.pool = pool

    async def count(self) -> int:
        return await self.pool.fetchval()


def test_a_twin_call_that_used_an_object_of_another_portal_names_it() -> None:
    # Review 19c (piccolo): a query twin made outside use_portal ran on the default portal, with the engine's pool
    # on another; the library's error said nothing about loops.
    async def make() -> SlottedPool:
        return SlottedPool()

    with dualio.Portal("pool-home") as home, dualio.Portal("elsewhere") as elsewhere:
        pool = home.run(make())
        with use_portal(elsewhere):
            repository = twin.sync_class(_Repository)(pool)
        with pytest.raises(OperationInProgress) as caught:
            repository.count()
        (note,) = caught.value.__notes__
        assert note.startswith("dualio: SlottedPool (in SlottedPool.fetchval) belongs to the loop of portal ")
        assert "'pool-home', but this call ran on the loop of portal 'elsewhere'" in note


class _GqlClient:
    """gql 4.4's Client: execute() and subscribe() run their own loop, and assert that none runs."""

    async def execute_async(self, query: str) -> dict[str, str]:
        return {"query": query}

    def execute(self, query: str) -> dict[str, str]:
        assert asyncio_loop_is_not_running(), (
            "Cannot run client.execute(query) if an asyncio loop is running. Use 'await client.execute_async(query)'"
        )
        return {"query": query}

    def subscribe(self, query: str) -> Iterator[str]:
        assert asyncio_loop_is_not_running(), "Cannot run client.subscribe(query) if an asyncio loop is running."
        yield query


def asyncio_loop_is_not_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return True
    return False


def test_a_sync_method_that_runs_its_own_loop_says_what_to_call_instead(portal: dualio.Portal) -> None:
    # Review 20a: gql's client.execute() / client.subscribe() on a twin failed with gql's "... if an asyncio loop
    # is running. Use 'await client.execute_async(query)'", advice for async code; docs/twin.md even cited
    # gql's subscribe as working.
    with use_portal(portal):
        client = twin.sync_class(_GqlClient)()
    assert client.execute_async("{ a }") == {"query": "{ a }"}
    with pytest.raises(AssertionError, match="if an asyncio loop is running") as caught:
        client.execute("{ a }")
    (note,) = caught.value.__notes__
    assert note.startswith("_GqlClient.execute() is a sync method that runs its own event loop")
    assert "gql: client.execute_async(...)" in note
    with pytest.raises(AssertionError, match="if an asyncio loop is running") as caught:
        list(client.subscribe("subscription { a }"))
    (note,) = caught.value.__notes__
    assert note.startswith("_GqlClient.subscribe() is a sync method that runs its own event loop")


_INIT_IN_BLOCKS = {
    "aio": """
from typing import Optional


class Observation:
    name = "observation"


class AsyncRequest:
    def __init__(self, observe: bool) -> None:
        if observe:  # aiocoap's BlockwiseRequest sets `observation` so
            self.observation: Optional[Observation] = Observation()
        else:
            self.observation = None
        try:
            self.code = int("205")
        except ValueError:
            self.code = 0

        def helper() -> None:
            self.hidden = 1  # a nested def's: not an attribute __init__ sets

        helper()

    async def response(self) -> int:
        return self.code
""",
}

_INIT_IN_BLOCKS_USAGE = """
from typing import Optional, assert_type

from gen_init_blocks.aio import Observation
from gen_init_blocks.sync import Request

request = Request(True)
assert_type(request.observation, Optional[Observation])
assert request.observation is not None and request.observation.name == "observation"
assert Request(False).observation is None
assert request.code == 205 and request.response() == 205
"""


def test_attributes_init_sets_in_its_blocks_are_properties(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Review 20b: the generated twin of aiocoap's BlockwiseRequest had no `observation` (set in an if/else of
    # __init__): `req.observation` was an AttributeError, where the run-time twin gave it.
    output, text = _generate(tmp_path, monkeypatch, "gen_init_blocks", _INIT_IN_BLOCKS, "AsyncRequest")
    assert "def observation(self) -> Optional[Observation]:" in text
    assert "def code(self)" in text
    assert "def hidden(self)" not in text
    output.write_text(text)
    check_and_run_usage(tmp_path, "gen_init_blocks", _INIT_IN_BLOCKS_USAGE)


_UNANNOTATED_AWAIT = {
    "aio": """
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class Future(Generic[T]):
    def __init__(self, value: T) -> None:
        self.value = value

    def __await__(self) -> Any:  # distributed's (unannotated) Future: awaiting gives the value, unsaid here
        return self._value().__await__()

    async def _value(self) -> T:
        return self.value


class AsyncClient:
    def submit(self, value: T) -> Future[T]:
        return Future(value)

    async def close(self) -> None:
        pass
""",
}


def test_a_sync_def_returning_an_object_awaited_to_what_nothing_says_is_typed_any(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Review 20b: distributed's `Client.submit(...) -> Future` (a plain def) was typed as the listed Future's twin,
    # `SyncFuture[_T]`, but the twin awaits what a plain def returns and gives the value: mypy accepted
    # `assert_type(fut, SyncFuture[int])` for an int.
    output, text = _generate(
        tmp_path, monkeypatch, "gen_unannotated_await", _UNANNOTATED_AWAIT, "AsyncClient", "Future"
    )
    assert "def submit(self, value: T) -> _typing.Any:" in text
    output.write_text(text)
    usage = "from gen_unannotated_await.sync import Client\n\nassert Client().submit(42) == 42\n"
    check_and_run_usage(tmp_path, "gen_unannotated_await", usage)


_SHORTCUTS = {
    "aio": """
class AsyncNode:
    async def read(self) -> int:
        return 7


class Shortcuts:  # asyncua's: no async member, but attributes of a class that has some
    objects: AsyncNode

    def __init__(self) -> None:
        self.objects = AsyncNode()


class AsyncClient:
    def __init__(self) -> None:
        self.nodes: Shortcuts = Shortcuts()

    async def connect(self) -> None:
        pass
""",
}

_SHORTCUTS_USAGE = """
from typing import assert_type

from gen_shortcuts.sync import Client, Node

client = Client()
assert_type(client.nodes.objects, Node)
assert client.nodes.objects.read() == 7
"""


@pytest.mark.parametrize("listed", [False, True])
def test_a_class_holding_async_objects_is_not_typed_as_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, listed: bool
) -> None:
    # Review 20a: asyncua's `Client.nodes: Shortcuts` was typed as the async Shortcuts, though the runtime gives
    # its twin (its instances hold Nodes): mypy read `client.nodes.objects.get_child(...)` as a coroutine, and
    # listing Shortcuts was refused ("has no async members").
    names = ("AsyncClient", "AsyncNode", "Shortcuts") if listed else ("AsyncClient", "AsyncNode")
    output, text = _generate(tmp_path, monkeypatch, "gen_shortcuts", _SHORTCUTS, *names)
    if not listed:
        assert "def nodes(self) -> _typing.Any:" in text  # what the runtime builds for it has no generated type
        return
    assert "def nodes(self) -> SyncShortcuts:" in text
    assert "def objects(self) -> Node:" in text
    output.write_text(text)
    check_and_run_usage(tmp_path, "gen_shortcuts", _SHORTCUTS_USAGE)


_ITERABLE_PARAMETER = {
    "aio": """
from collections.abc import Iterable, Sequence


class AsyncNode:
    def __init__(self, value: int) -> None:
        self.value = value

    async def read(self) -> int:
        return self.value


class AsyncClient:
    async def read_values(self, nodes: Iterable[AsyncNode]) -> list[int]:
        return [await node.read() for node in nodes]

    async def first(self, nodes: Sequence[AsyncNode]) -> int:
        return await nodes[0].read()

    async def sum(self, values: Iterable[int]) -> int:
        return sum(values)
""",
}

_ITERABLE_PARAMETER_USAGE = """
from gen_iterable_param.aio import AsyncNode
from gen_iterable_param.sync import Client, Node

client = Client()
nodes = [Node(1), Node(2)]
assert client.read_values(nodes) == [1, 2]
assert client.read_values((Node(3),)) == [3]
assert client.read_values({Node(4)}) == [4]
assert client.first(nodes) == 1
assert client.sum(iter([1, 2])) == 3
"""


def test_an_iterable_parameter_of_listed_objects_takes_containers_of_twins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Review 20a: asyncua's `read_values(nodes: Iterable[Node])` kept its type, so mypy refused a list of twins,
    # which the twin unwraps.
    output, text = _generate(
        tmp_path, monkeypatch, "gen_iterable_param", _ITERABLE_PARAMETER, "AsyncClient", "AsyncNode"
    )
    assert "nodes: list[Node] | tuple[Node, ...] | set[Node] | frozenset[Node]) -> list[int]:" in text
    assert "_support.passed_each(nodes)" in text
    assert "def first(self, nodes: list[Node] | tuple[Node, ...]) -> int:" in text
    assert "values: Iterable[int]" in text
    output.write_text(text)
    check_and_run_usage(tmp_path, "gen_iterable_param", _ITERABLE_PARAMETER_USAGE)


_REVIEW_21A_SHAPES = {
    "aio": """
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, Optional, TypeVar, Union

import typing_extensions

T = TypeVar("T")
M = typing_extensions.TypeVar("M", default=int)
Handler = Callable[[T], Awaitable[None]]  # a generic alias whose meaning the twin changes
Toolset = Union[Sequence[T], Callable[[], T]]


class Part(Generic[T, M]):
    pass


class TextPart(Part[str]):  # M's default fills the second argument (pydantic-ai's ToolReturnPart)
    pass


def validator(function: Callable[..., bool]) -> classmethod:  # type: ignore[type-arg]
    return classmethod(function)


class AsyncAgent(Generic[T]):
    def __init__(self, toolsets: Optional[Sequence[Toolset[T]]] = None) -> None:
        self.toolsets = toolsets

    async def run(self, prompt: str) -> str:
        return prompt


    @validator
    def check(cls, value: bool) -> bool:  # pydantic's validators are classmethods by their decorator
        return value

    async def part(self) -> TextPart:
        return TextPart()

    async def handler(self) -> Handler[int]:
        async def handle(value: int) -> None:
            pass

        return handle
""",
}

_REVIEW_21A_USAGE = """
from gen_review21a.sync import Agent

agent: Agent[int] = Agent(toolsets=[[1, 2]])
assert agent.run("hi") == "hi"
assert Agent.check(True) is True
"""


def test_review_21a_generator_shapes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Review 21a (pydantic-ai, langchain): a base written with fewer arguments than parameters, the rest taking
    # their PEP 696 defaults, was refused ("a type checker rejects it too": it does not); a Sequence of a generic
    # alias was written `list[Union[...][T]]`, no type; a pydantic validator `def v(cls, ...)` (a classmethod by
    # its decorator) was written as an instance method whose body named `self`.
    output, text = _generate(tmp_path, monkeypatch, "gen_review21a", _REVIEW_21A_SHAPES, "AsyncAgent")
    assert "][" not in text.partition("class Agent")[2].partition('"""')[0]
    assert "toolsets: Optional[Sequence[Toolset[T]]] = None" in text
    assert "def handler(self) -> _typing.Any:" in text  # Handler[int] with its body written out: not a type
    assert "    @classmethod\n    def check(cls, value: bool) -> bool:" in text
    output.write_text(text)
    check_and_run_usage(tmp_path, "gen_review21a", _REVIEW_21A_USAGE)


class _AgentRunningItsOwnLoop:
    async def run(self, prompt: str) -> str:
        return prompt

    def run_sync(self, prompt: str) -> str:  # pydantic-ai's: run_until_complete on the thread's loop
        coroutine = self.run(prompt)
        try:
            return asyncio.get_event_loop().run_until_complete(coroutine)
        finally:
            coroutine.close()  # refused before it ran: no "never awaited" warning


def test_run_until_complete_on_the_portal_loop_gets_the_note(portal: dualio.Portal) -> None:
    # Review 21a: pydantic-ai's agent.run_sync() on a twin raised "This event loop is already running" with no note.
    with use_portal(portal):
        agent = twin.sync_class(_AgentRunningItsOwnLoop)()
    with pytest.raises(RuntimeError, match="already running") as caught:
        agent.run_sync("hi")
    (note,) = caught.value.__notes__
    assert note.startswith("_AgentRunningItsOwnLoop.run_sync() is a sync method that runs its own event loop")
    assert "pydantic-ai: agent.run(...), not agent.run_sync(...)" in note
    assert agent.run("hi") == "hi"


_STARRED_PARAMETERS = {
    "aio": """
from typing import Generic, TypeVarTuple

Ts = TypeVarTuple("Ts")


class AsyncResult(Generic[*Ts]):  # SQLAlchemy's AsyncResult: `Generic[Unpack[_Ts]]` written with a star
    def __init__(self, *values: *Ts) -> None:
        self.values = values

    async def one(self) -> tuple[*Ts]:
        return self.values
""",
}


def test_a_type_variable_tuple_written_with_a_star_is_imported_by_its_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Review 21b: SQLAlchemy's AsyncResult could not be listed: "a type parameter ... uses the name '*_Ts', which
    # module ... neither defines nor imports".
    output, text = _generate(tmp_path, monkeypatch, "gen_starred", _STARRED_PARAMETERS, "AsyncResult")
    assert "from gen_starred.aio import AsyncResult, Ts" in text
    output.write_text(text)
    usage = "from gen_starred.sync import Result\n\nassert Result(1, 'a').one() == (1, 'a')\n"
    check_and_run_usage(tmp_path, "gen_starred", usage)


def test_an_object_of_a_base_package_holding_an_async_object_is_a_twin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Review 21c (aioboto3): `s3.meta` is a boto3 ResourceMeta (the sync parent library of aioboto3) holding the
    # aiobotocore client; it came back as it was, and `s3.meta.client.get_object(...)` made a coroutine that
    # nothing awaited (an expected NoSuchKey never came).
    (tmp_path / "syncbase_r21c.py").write_text(
        "class Meta:\n"
        "    def __init__(self, client: object) -> None:\n"
        "        self.client = client\n\n\n"
        "class Resource:\n"
        "    pass\n"
    )
    (tmp_path / "asyncpkg_r21c.py").write_text(
        "import syncbase_r21c\n\n\n"
        "class AsyncClient:\n"
        "    async def get_object(self, key: str) -> str:\n"
        "        return key\n\n\n"
        "class AsyncResource(syncbase_r21c.Resource):\n"
        "    def __init__(self) -> None:\n"
        "        self.meta = syncbase_r21c.Meta(AsyncClient())\n\n"
        "    async def load(self) -> None:\n"
        "        pass\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    asyncpkg = importlib.import_module("asyncpkg_r21c")
    resource = twin.twin_of(asyncpkg.AsyncResource())
    meta = resource.meta
    assert isinstance(meta, twin.Twin)
    assert resource.meta.client.get_object("k") == "k"
