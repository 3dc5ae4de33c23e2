"""Generator fixes from review 13 (nats-py, aio-pika, aiomqtt, asyncua): each case is generated, checked with
``mypy --strict`` against a usage script, and run.

- a nested class named bare in a method's annotation (nats' ``Msg.metadata() -> Metadata``) is the nested class,
  as mypy reads it in the class's scope (before: "neither defines nor imports"); one with async members, which
  comes back as a twin built at run time, is ``Any`` (nats' ``JetStreamContext.PullSubscription``);
- listing a nested class says that only top-level classes can be listed (before: "no Python source to read");
- a parameter annotated without ``None`` but defaulting to it (nats' ``filters: List[str] = None``) is written
  ``... | None``, so that the twin passes ``mypy --strict`` (before: "Incompatible default for parameter").
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dualio.twin import GenerateError
from dualio.twin._source import Target

from .test_generated_spellings import generate_and_use

SOURCE = """
from __future__ import annotations

from typing import Any, List, Optional


class AsyncMsg:
    class Metadata:
        def __init__(self, sequence: int) -> None:
            self.sequence = sequence

    class Pull:  # nested, with async members: a twin built at run time, typed Any (nats' PullSubscription)
        async def fetch(self) -> int:
            return 3

    async def metadata(self) -> Metadata:
        return AsyncMsg.Metadata(7)

    async def pull(self) -> Pull:
        return AsyncMsg.Pull()

    async def metadata_or_none(self, present: bool = True) -> Optional[Metadata]:
        return AsyncMsg.Metadata(8) if present else None

    async def keys(
        self,
        filters: List[str] = None,  # type: ignore[assignment]  # as nats wrote it
        limit: int = None,  # type: ignore[assignment]
        extra: Any = None,
    ) -> list[str]:
        return [*(filters or ["all"]), str(limit)]

    async def named(self, name: Optional[str] = None, other: str | None = None) -> str:
        return f"{name} {other}"
"""

USAGE = """
from typing import Any, assert_type

from gen_nested.aio import AsyncMsg
from gen_nested.sync import Msg

message = Msg()
metadata = message.metadata()
assert_type(metadata, AsyncMsg.Metadata)
assert metadata.sequence == 7
maybe = message.metadata_or_none(present=False)
assert_type(maybe, AsyncMsg.Metadata | None)
assert maybe is None
pulled = message.pull()
assert_type(pulled, Any)
assert pulled.fetch() == 3
assert message.keys() == ["all", "None"]
assert message.keys(None, None) == ["all", "None"]
assert message.keys(["a"], 2) == ["a", "2"]
assert message.named() == "None None"
"""


def test_nested_class_names_and_implicit_optional_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = generate_and_use(tmp_path, monkeypatch, "gen_nested", SOURCE, "AsyncMsg", USAGE)
    assert "def metadata(self) -> AsyncMsg.Metadata:" in text
    assert "def pull(self) -> _typing.Any:" in text
    assert "filters: List[str] | None = None" in text
    assert "limit: int | None = None" in text
    assert "extra: Any = None" in text
    assert "name: Optional[str] = None" in text
    assert "other: str | None = None" in text


def test_listing_a_nested_class_says_only_top_level_classes_can_be(tmp_path: Path) -> None:
    with pytest.raises(GenerateError, match=r"names a nested class \(Pull inside AsyncMsg\); only classes defined"):
        Target.parse("gen_nested.aio:AsyncMsg.Pull", "sync.py", tmp_path)
