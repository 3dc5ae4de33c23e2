"""DIO101 (blocking call in async def) and DIO102 (reached through the project's own sync functions)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .helpers import audit_source, audit_tree, codes


@pytest.mark.parametrize(
    "call",
    [
        "time.sleep(1)",
        "open('f').read()",
        "input()",
        "os.listdir('.')",
        "os.path.exists('x')",
        "shutil.rmtree('x')",
        "subprocess.run(['ls'])",
        "requests.get('http://x', timeout=3)",
        "urllib.request.urlopen('http://x')",
        "httpx.get('http://x')",
        "sqlite3.connect('db')",
        "psycopg2.connect('dsn')",
        "psycopg.connect('dsn')",
        "pymysql.connect()",
        "boto3.client('s3')",
        "pathlib.Path('x').read_text()",
        "(pathlib.Path('x') / 'y').write_text('z')",
    ],
)
def test_catalogue_calls_in_async_def_are_blocking(tmp_path: Path, call: str) -> None:
    source = f"""
    import os, os.path, shutil, subprocess, time, sqlite3, pathlib, urllib.request
    import requests, httpx, psycopg2, psycopg, pymysql, boto3

    async def handler():
        {call}
    """
    findings = audit_source(tmp_path, source)
    assert codes(findings) == ["DIO101"]
    assert findings[0].line == 6
    assert "handler" in findings[0].message


@pytest.mark.parametrize(
    "code",
    [
        "client = httpx.Client()\n        client.get('u')",
        "with httpx.Client() as c:\n            c.post('u')",
        "s = requests.Session()\n        s.get('u')",
        "conn = sqlite3.connect('x')\n        conn.execute('select 1')",
        "r = redis.Redis()\n        r.get('k')",
        "r = redis.from_url('redis://')\n        r.hgetall('k')",
        "s3 = boto3.client('s3')\n        s3.put_object(Bucket='b', Key='k', Body=b'')",
        "engine = create_engine('sqlite://')\n        engine.connect()",
        "with Session(engine) as session:\n            session.execute(text)",
    ],
)
def test_methods_on_sync_clients_are_blocking(tmp_path: Path, code: str) -> None:
    source = f"""
    import httpx, requests, sqlite3, redis, boto3
    from sqlalchemy import create_engine, text
    from sqlalchemy.orm import Session
    engine = None

    async def handler():
        {code}
    """
    assert "DIO101" in codes(audit_source(tmp_path, source))


def test_annotated_parameters_and_self_attributes_give_types(tmp_path: Path) -> None:
    source = """
    import requests
    from sqlalchemy.orm import Session

    async def endpoint(db: Session, other: "Session | None" = None):
        return db.scalars(1)

    class Api:
        def __init__(self) -> None:
            self.http = requests.Session()

        async def fetch(self):
            return self.http.get("u")
    """
    findings = audit_source(tmp_path, source)
    assert [(f.code, f.line) for f in findings] == [("DIO101", 6), ("DIO101", 13)]


@pytest.mark.parametrize(
    "body",
    [
        "await asyncio.to_thread(time.sleep, 1)",
        "await asyncio.get_running_loop().run_in_executor(None, requests.get, 'u')",
        "await anyio.to_thread.run_sync(helper)",
        "await asyncio.to_thread(functools.partial(helper))",
        "def inner():\n            time.sleep(1)\n        await asyncio.to_thread(inner)",
        "fn = lambda: time.sleep(1)",
        "async with httpx.AsyncClient() as c:\n            await c.get('u')",
        "await asyncio.sleep(1)",
        "client = httpx.AsyncClient()\n        await client.get('u')",
        "r = redis.asyncio.Redis()\n        await r.get('k')",
    ],
)
def test_offloaded_nested_and_async_calls_are_not_blocking(tmp_path: Path, body: str) -> None:
    source = f"""
    import asyncio, functools, time
    import anyio, anyio.to_thread, httpx, requests, redis.asyncio

    def helper():
        time.sleep(1)

    async def handler():
        {body}
    """
    assert codes(audit_source(tmp_path, source, select="DIO1")) == []


def test_sync_function_calling_blocking_is_not_reported_itself(tmp_path: Path) -> None:
    source = """
    import time

    def sync_only():
        time.sleep(1)
    """
    assert audit_source(tmp_path, source) == []


def test_local_shadowing_is_respected(tmp_path: Path) -> None:
    source = """
    async def handler(open):
        return open("x")

    async def other():
        def open(name):
            return name
        return open("x")
    """
    assert audit_source(tmp_path, source) == []


def test_call_path_through_helpers_is_shown(tmp_path: Path) -> None:
    source = """
    import requests

    def _post(note):
        return requests.post("u", json=note, timeout=5)

    def save_note(note):
        return _post(note)

    async def handler(note):
        save_note(note)
    """
    [finding] = audit_source(tmp_path, source)
    assert finding.code == "DIO102"
    assert finding.line == 11
    assert "handler -> save_note -> _post -> requests.post" in finding.message
    assert finding.call_path == ("mod.handler", "mod.save_note", "mod._post", "requests.post")


def test_call_path_across_modules_and_import_styles(tmp_path: Path) -> None:
    files = {
        "app/__init__.py": "from .store import save_note as save\n",
        "app/store.py": """
            import requests as http
            from .util import log_to_file

            def save_note(note):
                log_to_file(note)
                return note

            def push(note):
                return http.post("u", json=note, timeout=5)
        """,
        "app/util.py": """
            def log_to_file(note):
                with open("log.txt", "a") as f:
                    f.write(str(note))
        """,
        "app/api/__init__.py": "",
        "app/api/handlers.py": """
            import app
            from .. import store
            from ..store import save_note
            from app import save as exported

            async def handler(note):
                save_note(note)

            async def handler2(note):
                store.save_note(note)

            async def handler3(note):
                app.save(note)

            async def handler4(note):
                exported(note)

            async def handler5(note):
                store.push(note)
        """,
    }
    findings = audit_tree(tmp_path, files)
    assert [(f.code, f.line) for f in findings] == [
        ("DIO102", 8),
        ("DIO102", 11),
        ("DIO102", 14),
        ("DIO102", 17),
        ("DIO102", 20),
    ]
    assert "handler5 -> push -> requests.post" in findings.pop().message
    assert all("save_note -> log_to_file -> open" in f.message for f in findings), [f.message for f in findings]
    assert findings[0].path.endswith("app/api/handlers.py")
    assert findings[0].call_path == ("app.api.handlers.handler", "app.store.save_note", "app.util.log_to_file", "open")


def test_methods_on_self_super_and_project_instances(tmp_path: Path) -> None:
    source = """
    import time

    class Base:
        def load(self):
            time.sleep(1)

    class Repo(Base):
        def save(self):
            self.load()

    class Service(Repo):
        def __init__(self):
            self.repo = Repo()

        async def via_self(self):
            self.save()

        async def via_attribute(self):
            self.repo.save()

        async def via_local(self):
            repo = Repo()
            repo.load()

        def load(self):
            return super().load()

        async def via_super_override(self):
            self.load()

        @classmethod
        async def via_cls(cls):
            cls().save()
    """
    findings = audit_source(tmp_path, source)
    messages = {f.line: f.message for f in findings}
    assert codes(findings) == ["DIO102"] * 5
    assert "Service.via_self -> Repo.save -> Base.load -> time.sleep" in messages[17]
    assert "Service.via_attribute -> Repo.save" in messages[20]
    assert "Service.via_local -> Base.load -> time.sleep" in messages[24]
    assert "Service.via_super_override -> Service.load -> Base.load" in messages[30]


def test_constructor_of_project_class_is_followed(tmp_path: Path) -> None:
    source = """
    import sqlite3

    class Store:
        def __init__(self, path):
            self.conn = sqlite3.connect(path)

    async def handler():
        Store("db")
    """
    [finding] = audit_source(tmp_path, source)
    assert finding.code == "DIO102"
    assert "handler -> Store.__init__ -> sqlite3.connect" in finding.message


def test_recursion_and_cycles_terminate_and_find_the_shortest_path(tmp_path: Path) -> None:
    source = """
    import time

    def a(n):
        return b(n - 1) if n else time.sleep(1)

    def b(n):
        return a(n)

    def loop_forever():
        return loop_forever()

    async def handler():
        b(3)
        loop_forever()
    """
    findings = audit_source(tmp_path, source)
    assert [(f.code, f.line) for f in findings] == [("DIO102", 14)]
    assert "handler -> b -> a -> time.sleep" in findings[0].message


def test_function_local_imports_resolve(tmp_path: Path) -> None:
    source = """
    async def handler():
        import requests as r
        from time import sleep as nap
        nap(1)
        r.get("u")
    """
    assert codes(audit_source(tmp_path, source)) == ["DIO101", "DIO101"]


def test_extra_blocking_names(tmp_path: Path) -> None:
    files = {
        "mod.py": """
            import mylib
            from telebot import TeleBot

            bot = TeleBot("token")

            async def handler():
                mylib.fetch()
                bot.send_message(1, "hi")
                mylib.other()
        """
    }
    findings = audit_tree(tmp_path, files, extra_blocking=frozenset({"mylib.fetch", "telebot.TeleBot.*"}))
    assert [(f.code, f.line) for f in findings] == [("DIO101", 8), ("DIO101", 9)]
    assert "`telebot.TeleBot.send_message`" in findings[1].message


def test_sync_to_async_decorated_helper_is_not_followed(tmp_path: Path) -> None:
    source = """
    import time
    from asgiref.sync import sync_to_async

    @sync_to_async
    def slow():
        time.sleep(1)

    async def handler():
        await slow()
    """
    assert audit_source(tmp_path, source) == []


def test_directory_without_init_is_importable_by_relative_path(tmp_path: Path) -> None:
    files = {
        "svc/db.py": "import time\n\ndef save():\n    time.sleep(1)\n",
        "svc/main.py": "from db import save\n\nasync def handler():\n    save()\n",
    }
    assert codes(audit_tree(tmp_path / "proj", files)) == ["DIO102"]


def test_sync_sdk_clients_django_orm_and_their_sub_clients(tmp_path: Path) -> None:
    source = """
    from openai import AsyncOpenAI, OpenAI
    from pymongo import MongoClient
    from notes.models import Note

    client = OpenAI()
    aclient = AsyncOpenAI()
    mongo = MongoClient()

    async def ask(cache: dict):
        client.chat.completions.create(model="m", messages=[])
        await aclient.chat.completions.create(model="m", messages=[])
        mongo["app"]["notes"].find_one({})
        db = mongo.app
        db.notes.insert_one({})
        Note.objects.filter(done=False).first()
        await Note.objects.aget(id=1)
        query = Note.objects.filter(done=False)
        cache.get("objects")
        return query
    """
    findings = audit_source(tmp_path, source, select="DIO1")
    assert [(f.code, f.line) for f in findings] == [("DIO101", n) for n in (11, 13, 15, 16)]


def test_subclass_of_a_sync_client_and_nested_helpers(tmp_path: Path) -> None:
    source = """
    import time
    import requests

    class Api(requests.Session):
        def ping(self):
            return self.head("u")

        async def fetch(self):
            return self.get("u")

        async def check(self):
            return self.ping()

    async def handler():
        def work():
            time.sleep(1)
        work()
    """
    findings = audit_source(tmp_path, source)
    assert [(f.code, f.line) for f in findings] == [("DIO101", 10), ("DIO102", 13), ("DIO102", 18)]
    assert "`requests.Session.get`" in findings[0].message
    assert "Api.check -> Api.ping -> requests.Session.head" in findings[1].message
    assert "handler -> handler.work -> time.sleep" in findings[2].message


def test_two_scripts_with_the_same_name_stay_apart(tmp_path: Path) -> None:
    files = {
        "one/main.py": "import time\n\ndef helper():\n    time.sleep(1)\n",
        "two/main.py": "def helper():\n    return 1\n\nasync def handler():\n    helper()\n",
    }
    assert audit_tree(tmp_path, files) == []


def test_sqlmodel_sessions_and_waiting_on_a_threadsafe_future(tmp_path: Path) -> None:
    source = """
    import asyncio
    from sqlmodel import Session, create_engine, select

    engine = create_engine("sqlite://")

    async def items(loop):
        with Session(engine) as session:
            session.exec(select(1))
            session.get(int, 1)
        return asyncio.run_coroutine_threadsafe(asyncio.sleep(1), loop).result()
    """
    findings = audit_source(tmp_path, source, select="DIO1")
    assert [(f.code, f.line) for f in findings] == [("DIO101", 9), ("DIO101", 10), ("DIO101", 11)]
    assert "concurrent.futures.Future.result" in findings[2].message


def test_callbacks_scheduled_on_the_loop_run_on_the_loop(tmp_path: Path) -> None:
    source = """
    import asyncio, time

    def flush():
        with open("log.txt", "a") as f:
            f.write("x")

    def cheap():
        return 1

    def schedule(loop):
        loop.call_soon(flush)
        loop.call_later(1, time.sleep, 1)
        loop.call_soon(cheap)
        return flush

    async def main():
        loop = asyncio.get_running_loop()
        loop.call_soon_threadsafe(flush)
        await asyncio.to_thread(flush)
        await loop.run_in_executor(None, flush)
    """
    findings = audit_source(tmp_path, source)
    assert [(f.code, f.line) for f in findings] == [("DIO102", 12), ("DIO101", 13), ("DIO102", 19)]
    assert "schedule -> loop.call_soon(flush) -> open" in findings[0].message
    assert "`time.sleep` scheduled on the event loop with `loop.call_later`" in findings[1].message


def test_waitpid_with_wnohang_does_not_block(tmp_path: Path) -> None:
    source = """
    import os

    async def reap(pid):
        os.waitpid(pid, os.WNOHANG)
        os.waitpid(pid, 0)
    """
    assert [(f.code, f.line) for f in audit_source(tmp_path, source)] == [("DIO101", 6)]


def test_calling_a_generator_runs_none_of_its_body(tmp_path: Path) -> None:
    # Before (until stop 24): all four calls below were DIO102, though only the iterating ones run the body.
    source = """
    import asyncio

    from starlette.responses import StreamingResponse

    def read_chunks(path):
        with open(path, "rb") as f:
            yield from iter(lambda: f.read(65536), b"")

    def chunks_of(path):
        return read_chunks(path)

    async def download(path):
        return StreamingResponse(read_chunks(path))  # iterated later, by starlette in a worker thread

    async def count(path):
        return await asyncio.to_thread(sum, (len(c) for c in chunks_of(path)))  # iterated in the thread

    async def size(path):
        return sum(len(chunk) for chunk in chunks_of(path))  # iterated here, on the loop

    async def first(path):
        chunks = read_chunks(path)
        for chunk in chunks:
            return chunk
    """
    findings = audit_source(tmp_path, source)
    assert [(f.code, f.line) for f in findings] == [("DIO102", 20), ("DIO102", 23)], [f.message for f in findings]
    assert "size -> chunks_of -> read_chunks -> open" in findings[0].message
    assert "first -> read_chunks -> open" in findings[1].message


def test_a_generator_iterating_a_blocking_generator_reaches_it_when_iterated(tmp_path: Path) -> None:
    source = """
    import time

    def ticks():
        while True:
            time.sleep(1)
            yield

    def numbered():
        for n, _ in enumerate(ticks()):
            yield n

    def builds_a_generator():
        gen = numbered()
        return gen

    async def handler():
        gen = builds_a_generator()  # a function that returns a generator through a name: not followed
        labels = [str(n) for n in numbered()]
        next(numbered())
        return gen, labels
    """
    findings = audit_source(tmp_path, source)
    assert [(f.code, f.line) for f in findings] == [("DIO102", 19), ("DIO102", 20)], [f.message for f in findings]
    assert all("handler -> numbered -> ticks -> time.sleep" in f.message for f in findings)


def test_a_decorated_generator_still_runs_its_body_when_called(tmp_path: Path) -> None:
    # prompt_toolkit's `PosixPipeInput.create`, a @contextmanager generator whose body writes to a pipe on `with`.
    source = """
    import contextlib
    import os
    from contextlib import contextmanager

    @contextmanager
    def pipe_input(fd):
        os.write(fd, b"x")
        yield fd

    @contextlib.contextmanager
    def other_input(fd):
        os.write(fd, b"x")
        yield fd

    async def handler(fd):
        with pipe_input(fd), other_input(fd):
            pass
    """
    assert [(f.code, f.line) for f in audit_source(tmp_path, source)] == [("DIO102", 17), ("DIO102", 17)]
