"""Bases the generator follows: a base named by an alias, a base with conditional members, and another
package's base (iterated through, bound to a name by assignment, or holding all the async members).

Each case is generated from source into ``tmp_path``, checked with ``mypy --strict`` against a usage script where
it has one, and run.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dualio.twin import GenerateError
from dualio.twin._generator import render_module
from dualio.twin._source import Target

from .test_generated_spellings import generate_and_use
from .test_generator import one_module_package

ALIASED_BASE_SOURCE = """
class ListCommands:
    async def lpush(self, name: str, value: str) -> int:
        return 1


AsyncListCommands = ListCommands  # as redis-py names its async command mixins


class AsyncClient(AsyncListCommands):
    async def ping(self) -> bool:
        return True
"""


ALIASED_BASE_USAGE = """
from typing import assert_type

from gen_aliased_base.sync import Client

client = Client()
assert_type(client.lpush("q", "x"), int)
assert client.lpush("q", "x") == 1
client.close()
"""


def test_a_base_named_by_an_alias_in_its_module_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Before: skipped without a word, so redis-py's generated Redis twin lacked 205 of its 526 methods (the list,
    # set, sorted set, hash, stream, geo, pub/sub and ACL commands).
    text = generate_and_use(
        tmp_path, monkeypatch, "gen_aliased_base", ALIASED_BASE_SOURCE, "AsyncClient", ALIASED_BASE_USAGE
    )
    assert "def lpush(self, name: str, value: str) -> int:" in text


def test_a_base_with_conditional_members_is_named_with_the_class_listed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "gen_branched_base").mkdir()
    (tmp_path / "gen_branched_base" / "__init__.py").write_text("")
    (tmp_path / "gen_branched_base" / "models.py").write_text(
        "import os\n\n\nclass BaseModel:\n    if os.environ.get('V2'):  # undecided: a sys.version_info test is read\n"
        "        def dump(self) -> int: ...\n    else:\n        def dump(self) -> int: ...\n"
    )
    (tmp_path / "gen_branched_base" / "pages.py").write_text(
        "from gen_branched_base.models import BaseModel\n\n\n"
        "class AsyncPage(BaseModel):\n    async def next_page(self) -> int:\n        return 1\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(GenerateError) as caught:
        render_module([Target("gen_branched_base.pages", "AsyncPage", tmp_path / "page.py")])
    assert str(caught.value).startswith(
        "gen_branched_base.pages.AsyncPage cannot be generated: its base gen_branched_base.models.BaseModel defines "
        "members inside statements of its class body: dump (in the if at line 5)."
    )
    assert "Use dualio.twin.sync_class(AsyncPage) at run time" in str(caught.value)


FOREIGN_BASE = """
from __future__ import annotations


class Countdown:
    def __init__(self, start: int) -> None:
        self.left = start

    def __aiter__(self) -> Countdown:
        return self

    async def __anext__(self) -> int:
        if self.left == 0:
            raise StopAsyncIteration
        self.left -= 1
        return self.left

    async def peek(self) -> int:
        return self.left

    def reset(self, start: int) -> None:
        self.left = start
"""


FOREIGN_SOURCE = """
from __future__ import annotations

import asyncio

from foreign_countdown import Countdown


class AsyncFeed(Countdown):
    async def name(self) -> str:
        return "feed"


class AsyncLines(asyncio.StreamReader):
    async def name(self) -> str:
        return "lines"
"""


FOREIGN_USAGE = """
from typing import Any, assert_type, cast

from dualio.twin import portal_of, sync_class, unwrap
from gen_foreign.aio import AsyncFeed, AsyncLines
from gen_foreign.sync import Feed, Lines

feed = Feed(3)
assert feed.name() == "feed"
items = [item for item in feed]
assert_type(items, list[Any])
assert items == [2, 1, 0]
assert next(Feed(2)) == 1
feed.reset(2)  # a member of the other package's base: Any to mypy, mapped when the module registered Feed
assert feed.peek() == 2
assert list(feed) == [1, 0]
assert_type(feed.peek(), Any)
assert sync_class(AsyncFeed) is Feed  # the generated class, which has the base's members too



async def fill(reader: AsyncLines) -> None:
    reader.feed_data(b"a\\nb\\n")
    reader.feed_eof()


lines = Lines()  # asyncio.StreamReader's __aiter__: the standard library is not read; given at run time
portal_of(lines).run(fill(unwrap(lines)))
assert list(cast(Any, lines)) == [b"a\\n", b"b\\n"]
"""


def test_iteration_from_a_base_of_another_package_works(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "foreign_countdown").mkdir()
    (tmp_path / "foreign_countdown" / "__init__.py").write_text(FOREIGN_BASE)
    text = generate_and_use(
        tmp_path, monkeypatch, "gen_foreign", FOREIGN_SOURCE, "AsyncFeed", FOREIGN_USAGE, "AsyncLines"
    )
    feed = text[text.index("class Feed") : text.index("class Lines")]
    assert "def __iter__(self) -> _abc.Iterator[_typing.Any]:" in feed
    assert "def __next__(self) -> _typing.Any:" in feed
    assert "__iter__" not in text[text.index("class Lines") :]
    assert "# Members from Countdown (another package) are not read: typed Any here, and mapped" in feed
    assert "def __getattr__(self, name: str) -> _typing.Any: ..." in feed


FOREIGN_STORE = """
from __future__ import annotations

from typing import Generic, TypeVar

T = TypeVar("T")


class Store(Generic[T]):
    def __init__(self) -> None:
        self.items: dict[str, T] = {}

    async def put(self, key: str, value: T) -> None:
        self.items[key] = value

    async def ping(self) -> bool:
        return True
"""


ALIAS_SOURCE = """
from __future__ import annotations

from typing import TYPE_CHECKING

from foreign_store import Store

if TYPE_CHECKING:
    BaseStore = Store[bytes]
else:
    BaseStore = Store


class AsyncQueue(BaseStore):
    async def enqueue(self, job: bytes) -> int:
        await self.put(str(len(self.items)), job)
        return len(self.items)
"""


ALIAS_USAGE = """
from typing import Any, assert_type

from gen_alias_base.sync import Queue

queue = Queue()
assert_type(queue.enqueue(b"job"), int)
assert queue.enqueue(b"job") == 2
assert_type(queue.ping(), Any)  # a member of the other package's base, through the alias
assert queue.ping() is True
"""


def test_a_base_of_another_package_bound_by_assignment_is_followed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "foreign_store").mkdir()
    (tmp_path / "foreign_store" / "__init__.py").write_text(FOREIGN_STORE)
    text = generate_and_use(tmp_path, monkeypatch, "gen_alias_base", ALIAS_SOURCE, "AsyncQueue", ALIAS_USAGE)
    queue = text[text.index("class Queue") :]
    assert "# Members from BaseStore (another package) are not read: typed Any here, and mapped" in queue
    assert "def __getattr__(self, name: str) -> _typing.Any: ..." in queue


FOREIGN_MODEL = """
class Model:
    async def save(self) -> None:
        pass

    @classmethod
    async def create(cls, **fields: object) -> "Model":
        return cls()
"""


MODEL_SUBCLASS_SOURCE = """
from foreign_models import Model


class User(Model):
    name: str = ""
"""


def test_a_class_whose_async_members_are_in_another_package_s_base_says_where_to_go(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before, listing a tortoise Model subclass said only "has no async members".
    (tmp_path / "foreign_models").mkdir()
    (tmp_path / "foreign_models" / "__init__.py").write_text(FOREIGN_MODEL)
    one_module_package(tmp_path, monkeypatch, "gen_models", MODEL_SUBCLASS_SOURCE)
    with pytest.raises(GenerateError) as caught:
        render_module([Target("gen_models.aio", "User", tmp_path / "gen_models" / "sync.py")])
    message = str(caught.value)
    assert message.startswith("gen_models.aio:User has no async members")
    assert message.endswith(
        ". Its base Model comes from another package, which the generator does not read: if the async members are "
        "there, use dualio.twin.sync_class(User) at run time, which sees them (list foreign_models:Model to "
        "generate its twin)"
    )


FOREIGN_ENTERED = """
# mypy: ignore-errors
# (an installed package's errors are not reported: BaseSession's __aenter__ is unannotated)
from __future__ import annotations

from typing import Any

from typing_extensions import Self


class BaseBroker:  # as taskiq's AsyncBroker: `async with broker` gives None
    async def startup(self) -> None:
        self.started = True

    async def __aenter__(self) -> None:
        await self.startup()

    async def __aexit__(self, *args: object) -> None:
        return None


class BaseChannel:  # starts, then gives itself (typed Self)
    async def __aenter__(self) -> Self:
        self.open = True
        return self

    async def __aexit__(self, *args: object) -> None:
        return None


class BaseSession:  # unannotated, connects, then gives itself
    async def __aenter__(self):
        self.connected = True
        return self

    async def __aexit__(self, *args):
        return None


class BaseLease:  # gives something else
    async def __aenter__(self) -> dict[str, Any]:
        return {"lease": 1}

    async def __aexit__(self, *args: object) -> None:
        return None
"""

ENTERED_SOURCE = """
from __future__ import annotations

from foreign_entered import BaseBroker, BaseChannel, BaseLease, BaseSession


class AsyncListBroker(BaseBroker):
    async def kiq(self, job: str) -> str:
        return job


class AsyncChannel(BaseChannel):
    async def send(self, data: str) -> int:
        return len(data)


class AsyncSession(BaseSession):
    async def ping(self) -> bool:
        return True


class AsyncLease(BaseLease):
    async def renew(self) -> bool:
        return True
"""

ENTERED_USAGE = """
from typing import Any, assert_type

from gen_entered.sync import Channel, Lease, ListBroker, Session

with ListBroker() as entered_broker:
    assert_type(entered_broker, None)
assert entered_broker is None
with Channel() as channel:
    assert_type(channel, Channel)
    assert channel.send("abc") == 3
with Session() as session:
    assert_type(session, Session)
    assert session.ping()
with Lease() as lease:
    assert_type(lease, Any)
    assert lease == {"lease": 1}
"""


def test_with_on_a_base_of_another_package_is_typed_as_its_aenter_returns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before, every such twin's __enter__ was typed Self: taskiq's broker, whose __aenter__ returns None, gave None
    # at run time to code mypy had let use it as the broker (review 38b r08).
    (tmp_path / "foreign_entered").mkdir()
    (tmp_path / "foreign_entered" / "__init__.py").write_text(FOREIGN_ENTERED)
    text = generate_and_use(
        tmp_path,
        monkeypatch,
        "gen_entered",
        ENTERED_SOURCE,
        "AsyncListBroker",
        ENTERED_USAGE,
        "AsyncChannel",
        "AsyncLease",
        "AsyncSession",
    )
    assert "def __enter__(self) -> None: ..." in text
    assert "def __enter__(self) -> _typing.Self: ..." in text
    assert "def __enter__(self) -> _typing.Any: ..." in text
