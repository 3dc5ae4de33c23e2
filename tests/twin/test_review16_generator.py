"""Generator fixes from stop 27, each generated, checked with ``mypy --strict`` against a usage script, and run:

- a base of another package bound to a name of the module by assignment, differently for type checkers and at
  run time (arq's ``if TYPE_CHECKING: BaseRedis = Redis[bytes]`` / ``else: BaseRedis = Redis``; ``class
  ArqRedis(BaseRedis)``), is followed like a base written directly: the twin declares ``__getattr__ -> Any`` for
  its members (review 15d r08; before, no declaration, so ``pool.ping()`` failed ``mypy --strict`` although it ran).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .test_generated_spellings import generate_and_use

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
