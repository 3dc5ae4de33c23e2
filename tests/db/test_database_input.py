"""Bad input to Database and to declarations gets a clear error; URLs map to the right drivers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dualio.db import Database, Repository, Retry, UnitOfWork

from .models import Note, Notebook

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("url", "sync_driver", "async_driver"),
    [
        ("postgresql://u@h/db", "postgresql+psycopg", "greenlet"),
        ("postgresql+asyncpg://u@h/db", "postgresql+psycopg", "greenlet"),
        ("sqlite:///x.db", "sqlite+pysqlite", "thread"),
        ("sqlite+aiosqlite:///x.db", "sqlite+pysqlite", "greenlet"),
        ("sqlite://", "sqlite+pysqlite", "thread"),
    ],
)
def test_urls_choose_drivers(url: str, sync_driver: str, async_driver: str) -> None:
    db = Database(url)
    assert db.target.sync_url.drivername == sync_driver
    assert db.target.async_driver == async_driver


@pytest.mark.parametrize(
    ("url", "error", "message"),
    [
        (123, TypeError, "takes a URL string"),
        ("", TypeError, "takes a URL string"),
        ("mysql://u@h/db", ValueError, "supports PostgreSQL and SQLite"),
        ("postgresql+pg8000://u@h/db", ValueError, "driver 'pg8000' is not supported"),
        ("sqlite+aiosqlite://", ValueError, "in-memory database cannot be shared with aiosqlite"),
        ("not a url", ValueError, "is not a database URL"),
    ],
)
def test_bad_urls(url: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        Database(url)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"pool_size": -1}, "pool_size= must be a non-negative int"),
        ({"pool_timeout": float("nan")}, "pool_timeout= must be a finite"),
        ({"statement_timeout": "30"}, "statement_timeout= must be a finite"),
        ({"pool_sise": 3}, "unexpected keyword argument 'pool_sise'"),
        ({"engine_options": []}, "engine_options= takes a dict"),
        ({"engine_options": {"pool_size": 3}}, "engine_options= must not set pool_size"),
    ],
)
def test_bad_options(options: dict[str, object], message: str) -> None:
    with pytest.raises((TypeError, ValueError), match=message):
        Database("sqlite://", **options)


def test_statement_timeout_can_be_turned_off() -> None:
    assert Database("postgresql://u@h/db", statement_timeout=None).options.statement_timeout is None


def test_declaration_must_be_a_unit_of_work_subclass() -> None:
    db = Database("sqlite://")
    with pytest.raises(TypeError, match="expected a UnitOfWork subclass"), db.unit_of_work(Note):  # type: ignore[type-var]
        pass
    with pytest.raises(TypeError, match="expected a UnitOfWork subclass"):
        db.transaction(object, lambda uow: None)  # type: ignore[type-var]
    db.dispose()


def test_repository_without_a_model_is_a_clear_error() -> None:
    class Loose(UnitOfWork):
        things: Repository  # type: ignore[type-arg]

    db = Database("sqlite://")
    with pytest.raises(TypeError, match="does not know its model"), db.unit_of_work(Loose):
        pass
    db.dispose()


def test_a_declaration_that_fails_to_build_gives_its_worker_thread_back(tmp_path: Path) -> None:
    class Loose(UnitOfWork):
        things: Repository  # type: ignore[type-arg]

    db = Database(f"sqlite:///{tmp_path / 'x.db'}", pool_size=1, max_overflow=0)

    async def open_loose() -> None:
        async with db.async_unit_of_work(Loose):
            pass

    import asyncio

    for _ in range(3):  # with one worker thread, a leak would make the second attempt wait forever
        with pytest.raises(TypeError, match="does not know its model"):
            asyncio.run(asyncio.wait_for(open_loose(), 5))
    db.dispose()


def test_an_async_unit_scope_is_entered_once(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'once.db'}")
    scope = db.async_unit_of_work(Notebook)

    async def enter_twice() -> None:
        async with scope:
            pass
        async with scope:
            pass

    import asyncio

    with pytest.raises(RuntimeError, match="already entered; call async_unit_of_work\\(\\) for a new one"):
        asyncio.run(enter_twice())
    db.dispose()


def test_retry_policy_is_validated() -> None:
    with pytest.raises(ValueError, match=r"attempts=\) must be an int >= 1"):
        Retry(attempts=0)
    with pytest.raises(ValueError, match=r"base_delay=\) must be a finite"):
        Retry(base_delay=-1)


def test_in_memory_database_is_shared_by_both_faces() -> None:
    from .conftest import fresh_schema
    from .models import add_note

    db = fresh_schema(Database("sqlite://"))
    db.transaction(Notebook, add_note, "sync")
    import dualio

    dualio.run(db.atransaction(Notebook, add_note, "async"))
    with db.unit_of_work(Notebook) as uow:
        assert sorted(n.title for n in uow.notes.list()) == ["async", "sync"]
    db.dispose()


def test_dispose_from_a_running_loop_is_refused() -> None:
    import asyncio

    from dualio.errors import DeadlockError

    db = Database("sqlite://")

    async def wrong() -> None:
        db.dispose()

    with pytest.raises(DeadlockError, match=r"await db\.adispose"):
        asyncio.run(wrong())


def test_generated_async_face_is_checked_for_drift(tmp_path: Path) -> None:
    script = ROOT / "scripts" / "generate_async_faces.py"
    ok = subprocess.run([sys.executable, str(script), "--check"], capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stderr
    stale = tmp_path / "_repository_async.py"
    stale.write_text("# stale\n")
    code = (
        "import runpy, sys, pathlib; sys.argv = ['gen', '--check']; "
        f"namespace = runpy.run_path({str(script)!r}, run_name='not_main'); "
        f"namespace['main'].__globals__['TARGET'] = pathlib.Path({str(stale)!r}); "
        "sys.exit(namespace['main']())"
    )
    failed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert failed.returncode == 1
    assert "stale or missing" in failed.stderr


def test_connect_args_in_engine_options_are_merged(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'x.db'}", engine_options={"connect_args": {"cached_statements": 7}})
    with db.sync_engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1  # dualio's own set-up still ran
    db.dispose()
