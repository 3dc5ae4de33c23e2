"""A listed subclass's twin subclasses its listed base's twin (``_hierarchy``), and writes only what it adds.

Before (stop 21): every twin subclassed ``Twin`` alone, so ``isinstance(admin, Client)`` was false and mypy
refused an ``Admin`` where a ``Client`` was expected, though ``AsyncAdmin`` is an ``AsyncClient``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .test_generated_spellings import generate_and_use

SOURCE = """
from typing import Self


class AsyncClient:
    RETRIES = 3

    def __init__(self, name: str) -> None:
        self.name = name
        self.log: list[str] = []

    async def get(self, key: str) -> str:
        return f"{self.name}:{key}"

    async def ping(self) -> bool:
        return True

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.log.append("exit")

    async def aclose(self, *, force: bool = False) -> None:
        self.log.append(f"closed force={force}")


class AsyncMixin:  # not listed: what it adds is written in the twin of the listed class below it
    async def describe(self) -> str:
        return "mixin"


class AsyncAdmin(AsyncMixin, AsyncClient):
    async def get(self, key: str, *, audit: bool = True) -> str:  # a compatible override
        return f"admin {await super().get(key)} audit={audit}"

    async def ping(self) -> int:  # type: ignore[override]  # an incompatible one, as libraries do
        return 1

    async def grant(self, user: str) -> list[str]:
        return [user]

    async def __aenter__(self) -> Self:  # does more than `return self`: must run on the loop
        self.log.append("entered")
        return self

    async def aclose(self) -> None:  # type: ignore[override]
        self.log.append("admin closed")
"""

USAGE = """
from typing import assert_type

from gen_hierarchy.sync import Admin, Client


def name_of(client: Client) -> str:
    return client.name


admin = Admin("root")
assert isinstance(admin, Client)
assert name_of(admin) == "root"  # an Admin is a Client to mypy too
assert_type(admin.get("k"), str)
assert admin.get("k", audit=False) == "admin root:k audit=False"
assert_type(admin.ping(), int)
assert admin.ping() == 1
assert_type(admin.grant("ann"), list[str])
assert admin.describe() == "mixin"
assert Admin.RETRIES == 3
with admin as entered:
    assert_type(entered, Admin)
    assert admin.log == ["entered"]
assert admin.log == ["entered", "exit"]
admin.close()
assert admin.log[-1] == "admin closed"

client = Client("c")
assert not isinstance(client, Admin)
assert_type(client.ping(), bool)
with client:
    assert client.log == []
client.close(force=True)
assert client.log[-1] == "closed force=True"
"""


def test_a_listed_subclass_twin_subclasses_the_listed_base_twin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # AsyncAdmin listed first: the module still defines Client before Admin, whose class statement names it.
    text = generate_and_use(tmp_path, monkeypatch, "gen_hierarchy", SOURCE, "AsyncAdmin", USAGE, "AsyncClient")
    assert "class Admin(Client):" in text
    assert text.index("class Client(") < text.index("class Admin(")
    admin = text[text.index("class Admin(") :]
    assert "def grant(self, user: str) -> list[str]:" in admin
    assert "def describe(self) -> str:" in admin  # from the unlisted class between the two
    assert "RETRIES" not in admin  # inherited from Client's twin, not written again
    ignore = "# type: ignore[override, assignment, misc, unused-ignore]"
    assert f"def ping(self) -> int:  {ignore}" in admin
    assert "def __init__(self, name: str) -> None:\n" in admin  # a constructor is not held to its base's


BASE_MODULE = """
from __future__ import annotations

import logging


class Connection:  # not listed, in another module of the package (websockets' asyncio.connection)
    def __init__(self, peer: str, *, ping_interval: float | None = 20.0) -> None:
        self.peer = peer
        self.ping_interval = ping_interval
        self.latency: float = 0.0
        self.logger = logging.getLogger("gen_base_init")
        if ping_interval is not None:
            self.keepalive: bool = True

    async def send(self, message: str) -> str:
        return f"{self.peer} <- {message}"

    async def __aenter__(self) -> Connection:  # `return self` typed with the base, which has no twin
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.latency = -1.0
"""

BASE_INIT_SOURCE = """
from gen_base_init.connection import Connection


class ClientConnection(Connection):
    def __init__(self, peer: str, *, ping_interval: float | None = 20.0, token: str = "") -> None:
        self.token = token
        super().__init__(peer, ping_interval=ping_interval)


class Middle(ClientConnection):  # a chain: Middle -> ClientConnection -> Connection, by class name
    def __init__(self, peer: str) -> None:
        ClientConnection.__init__(self, peer, token="m")
        self.middle = True


class Standalone(Connection):  # sets its own attributes and never runs the base's __init__
    def __init__(self, label: str) -> None:
        self.label = label

    async def ping(self) -> str:
        return self.label

    async def connect(self) -> None:
        self.transport = "tcp"  # set outside __init__: not read by the generator, still read at run time
"""

BASE_INIT_USAGE = """
import logging
from typing import Any, assert_type, cast

from gen_base_init.sync import SyncClientConnection, SyncMiddle, SyncStandalone

client = SyncClientConnection("peer", ping_interval=None, token="t")
assert_type(client.token, str)
assert_type(client.peer, str)  # set by the base's __init__, which the class's runs through super()
assert_type(client.latency, float)
assert_type(client.ping_interval, float | None)
assert isinstance(client.logger, logging.Logger)  # set from a call: Any, as for an attribute of the class's own
assert (client.token, client.peer, client.latency, client.ping_interval) == ("t", "peer", 0.0, None)
assert client.send("hi") == "peer <- hi"
with client as entered:  # the base's `return self`: the twin itself, typed so
    assert_type(entered, SyncClientConnection)
    assert entered is client
assert client.latency == -1.0

middle = SyncMiddle("m")
assert_type(middle.middle, bool)
assert (middle.middle, middle.token, middle.peer, middle.keepalive) == (True, "m", "m", True)

standalone = SyncStandalone("s")
assert standalone.label == "s" and standalone.ping() == "s"
standalone.connect()
assert cast(Any, standalone).transport == "tcp"
try:
    cast(Any, standalone).peer  # Standalone's __init__ never ran Connection's
except AttributeError as error:
    assert "peer" in str(error)
else:
    raise AssertionError("no AttributeError")
"""


def test_attributes_a_base_init_sets_through_super_are_the_twins_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = generate_and_use(
        tmp_path,
        monkeypatch,
        "gen_base_init",
        BASE_INIT_SOURCE,
        "ClientConnection",
        BASE_INIT_USAGE,
        "Middle",
        "Standalone",
        modules={"connection": BASE_MODULE},
    )
    standalone = text[text.index("class SyncStandalone(") :]
    assert "def label(self)" in standalone
    assert "def peer(self)" not in standalone  # its __init__ does not run Connection's: no such attribute
