"""asgiref's thread-sensitive ``sync_to_async`` inside a dualio call runs in the waiting thread (``_thread_work``).

A Django sync view under ASGI runs in asgiref's thread for its request; when it calls ``dualio.run(coro)`` and
``coro`` awaits ``sync_to_async(f)`` (Django's async ORM does), asgiref sends ``f`` to that same thread. These
tests use asgiref itself (``ThreadSensitiveContext`` is what Django's ASGI handler enters per request) and
check that ``f`` runs in the view's thread while it waits, as under asgiref's own ``async_to_sync``.
"""

from __future__ import annotations

import asyncio
import contextvars
import ctypes
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
from asgiref.sync import SyncToAsync, ThreadSensitiveContext, async_to_sync, sync_to_async

import dualio
import dualio.twin
from tests.helpers import Boom, interrupt_main_thread

T = TypeVar("T")


def in_a_request(view: Callable[[], T], *, until: threading.Event | None = None) -> T:
    """Run the sync ``view`` as Django's ASGI handler runs a sync view: in asgiref's thread for one request
    (which lasts, after the view, until ``until`` is set, if given)."""

    async def handle() -> T:
        async with ThreadSensitiveContext():
            response = await sync_to_async(view)()
            if until is not None:
                await asyncio.to_thread(until.wait, 5)
            return response

    return asyncio.run(handle())


def thread_name() -> str:
    return threading.current_thread().name


def test_thread_sensitive_work_runs_in_the_view_thread_while_it_waits(portal: dualio.Portal) -> None:
    async def coro() -> str:
        return await sync_to_async(thread_name)()

    def view() -> tuple[str, str]:
        return thread_name(), portal.run(coro(), timeout=5)

    started = time.monotonic()
    view_thread, work_thread = in_a_request(view)
    assert work_thread == view_thread != threading.current_thread().name
    assert time.monotonic() - started < 2, "the view waited for itself until its timeout"


def test_twin_calls_and_nested_calls_run_their_work_in_the_view_thread(portal: dualio.Portal) -> None:
    class Orm:
        async def count(self) -> tuple[str, str]:
            return await sync_to_async(self.count_in_sync_code)()

        def count_in_sync_code(self) -> tuple[str, str]:  # sync code that calls dualio again, nested
            async def inner() -> str:
                return await sync_to_async(thread_name)()

            return thread_name(), portal.run(inner(), timeout=5)

    SyncOrm = dualio.twin.sync_class(Orm)

    def view() -> tuple[str, tuple[str, str]]:
        with dualio.twin.use_portal(portal):
            return thread_name(), SyncOrm().count()

    view_thread, (outer, inner) = in_a_request(view)
    assert outer == inner == view_thread


def test_errors_of_the_work_arrive_unchanged(portal: dualio.Portal) -> None:
    def fails() -> None:
        raise Boom("from the ORM")

    async def coro() -> None:
        await sync_to_async(fails)()

    def view() -> BaseException:
        with pytest.raises(Boom, match="from the ORM") as caught:
            portal.run(coro(), timeout=5)
        return caught.value

    error = in_a_request(view)
    assert type(error) is Boom


def test_a_timeout_still_applies_once_the_work_returns(portal: dualio.Portal) -> None:
    ran = threading.Event()

    def slow() -> None:
        time.sleep(0.3)  # runs in the waiting thread: the timeout cannot interrupt it, as under async_to_sync
        ran.set()

    async def coro() -> None:
        await sync_to_async(slow)()
        await asyncio.sleep(10)

    def view() -> float:
        started = time.monotonic()
        with pytest.raises(TimeoutError, match=r"did not finish within 0\.1 s"):
            portal.run(coro(), timeout=0.1)
        return time.monotonic() - started

    took = in_a_request(view)
    assert ran.is_set()
    assert 0.25 < took < 3


def test_work_sent_after_the_call_ended_goes_where_asgiref_would_send_it(portal: dualio.Portal) -> None:
    later = threading.Event()
    where: list[str] = []
    tasks: list[asyncio.Task[None]] = []

    async def outlives_the_call() -> None:
        await asyncio.sleep(0.1)
        where.append(await sync_to_async(thread_name)())
        later.set()

    async def coro() -> None:
        tasks.append(asyncio.get_running_loop().create_task(outlives_the_call()))

    def view() -> str:
        portal.run(coro(), timeout=5)
        return thread_name()

    view_thread = in_a_request(view, until=later)  # the request's thread runs its work once the view returned
    assert later.is_set(), "the work sent after the call ended never ran"
    assert where == [view_thread]


def test_outside_asgiref_contexts_nothing_changes(portal: dualio.Portal) -> None:
    async def coro() -> str:
        return await sync_to_async(thread_name)()

    assert portal.run(coro(), timeout=5) != threading.current_thread().name  # asgiref's own thread, as before


def test_code_in_asgiref_single_thread_no_longer_deadlocks(portal: dualio.Portal) -> None:
    """``sync_to_async(view)`` outside a request context runs in asgiref's single thread, which refused the
    nested ``sync_to_async`` ("would deadlock"); waiting in dualio, the thread runs it."""

    async def coro() -> str:
        return await sync_to_async(thread_name)()

    def view() -> tuple[str, str]:
        return thread_name(), portal.run(coro(), timeout=5)

    async def app() -> tuple[str, str]:
        return await sync_to_async(view)()

    view_thread, work_thread = asyncio.run(app())
    assert work_thread == view_thread


def test_ctrl_c_in_the_work_stops_the_call_and_cancels_its_task() -> None:
    started = threading.Event()
    cleaned_up = threading.Event()

    def slow() -> None:
        started.set()
        time.sleep(5)

    async def coro() -> None:
        try:
            await sync_to_async(slow)()
        finally:
            cleaned_up.set()

    def in_request_context() -> float:
        SyncToAsync.thread_sensitive_context.set(ThreadSensitiveContext())
        begun = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            dualio.run(coro(), timeout=10)
        return time.monotonic() - begun

    interrupter = interrupt_main_thread(started)
    took = contextvars.copy_context().run(in_request_context)  # the main thread, as in a request's thread
    interrupter.join()
    assert took < 3
    assert cleaned_up.wait(5), "the call's task was not cancelled"


class _TimeLimit(BaseException):
    """What Dramatiq's time limit raises in a worker thread, from another thread."""


def test_an_exception_raised_in_the_waiting_thread_by_another_thread_stops_the_call(portal: dualio.Portal) -> None:
    # A Django process (django_dramatiq) waits for asgiref's work: the wait is sliced there too.
    cleaned_up = threading.Event()
    caught: list[float] = []

    async def slow() -> None:
        try:
            await asyncio.sleep(5)
        finally:
            cleaned_up.set()

    def in_request_context() -> None:
        SyncToAsync.thread_sensitive_context.set(ThreadSensitiveContext())
        began = time.monotonic()
        try:
            portal.run(slow())
        except _TimeLimit:
            caught.append(time.monotonic() - began)

    worker = threading.Thread(target=lambda: contextvars.copy_context().run(in_request_context))
    worker.start()
    time.sleep(0.3)
    assert worker.ident is not None
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(worker.ident), ctypes.py_object(_TimeLimit))
    worker.join(10)
    assert len(caught) == 1
    assert caught[0] < 2, f"the exception landed only after {caught[0]:.2f} s"
    assert cleaned_up.wait(2), "the call's task was not cancelled (it would end at 5 s)"


def test_work_runs_in_order_while_the_thread_waits(portal: dualio.Portal) -> None:
    order: list[int] = []

    def record(number: int) -> int:
        order.append(number)
        return number

    async def coro() -> list[Any]:
        return list(await asyncio.gather(*(sync_to_async(record)(n) for n in range(5))))

    def view() -> list[Any]:
        return portal.run(coro(), timeout=5)

    assert in_a_request(view) == [0, 1, 2, 3, 4]
    assert sorted(order) == [0, 1, 2, 3, 4]


DJANGO_SITE = """
import asyncio, json, sys, threading

import django
from django.conf import settings

settings.configure(
    SECRET_KEY="test", ALLOWED_HOSTS=["127.0.0.1"], ROOT_URLCONF=__name__,
    INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth"],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": sys.argv[1]}},
)
django.setup()
from django.contrib.auth.models import User
from django.core.asgi import get_asgi_application
from django.core.management import call_command
from django.http import JsonResponse
from django.urls import path
from asgiref.sync import sync_to_async

import dualio
import dualio.twin


async def count_users():  # async-first library code: Django's async ORM (thread-sensitive sync_to_async)
    return await User.objects.acount(), await sync_to_async(threading.get_ident)()


def view(request):  # a sync view: Django's ASGI handler runs it in asgiref's thread for the request
    User.objects.create(username=f"user{User.objects.count()}")
    users, orm_thread = dualio.run(count_users(), timeout=5)
    return JsonResponse({"users": users, "same_thread": orm_thread == threading.get_ident()})


urlpatterns = [path("count", view)]


async def get(application, path):  # one HTTP request through the ASGI interface, as a server sends it
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": [(b"host", b"127.0.0.1")], "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 80)}
    sent, requests = [], [{"type": "http.request", "body": b"", "more_body": False}]

    async def receive():  # the request, then nothing: the client stays connected
        if requests:
            return requests.pop()
        await asyncio.Event().wait()

    async def send(message):
        sent.append(message)

    await application(scope, receive, send)
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


async def main():
    application = get_asgi_application()
    for _ in range(3):
        status, body = await get(application, "/count")
        print(status, json.loads(body) if status == 200 else body[:300])


call_command("migrate", verbosity=0)
asyncio.run(main())


class Accounts:  # async-first library code, used through its twin
    async def open(self, name):
        return (await User.objects.acreate(username=name)).pk


from django.db import transaction  # the rest: sync code outside ASGI (a management command, WSGI, a test)

Sync = dualio.twin.sync_class(Accounts)
try:
    with transaction.atomic():
        User.objects.create(username="in-atomic")
        users, orm_thread = dualio.run(count_users(), timeout=3)  # the caller's connection: sees the new user
        Sync().open("by-twin")
        print("in atomic", users, orm_thread == threading.get_ident())
        raise RuntimeError("roll back")
except RuntimeError:
    pass
print("after rollback", User.objects.filter(username__in=["in-atomic", "by-twin"]).count())
"""


def test_a_django_sync_view_under_asgi_runs_the_async_orm_through_dualio_run(tmp_path: Any) -> None:
    """The case review 20c found: a sync view's ``dualio.run`` of a coroutine using Django's async ORM waited
    until its timeout; Django's real ASGI handler, ORM and SQLite here."""
    script = tmp_path / "site.py"
    script.write_text(DJANGO_SITE)
    done = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "db.sqlite3")], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.splitlines() == [
        "200 {'users': 1, 'same_thread': True}",
        "200 {'users': 2, 'same_thread': True}",
        "200 {'users': 3, 'same_thread': True}",
        "in atomic 4 True",  # review 23a: outside ASGI the work ran in asgiref's thread, on another connection
        "after rollback 0",  # and the twin's write inside the rolled-back atomic() was committed
    ], done.stdout + done.stderr[-3000:]


def test_inside_an_outer_async_to_sync_several_pieces_of_work_come_back(portal: dualio.Portal) -> None:
    """Review 23a: sync code run under ``async_to_sync`` (Django's ``AsyncClient``, async tests) that calls dualio:
    after the first ``sync_to_async``, asgiref moved the caller's context to the loop, and the second one was
    sent to the outer ``async_to_sync``'s executor, whose thread was blocked in ``dualio.run``: a hang."""

    async def coro() -> list[str]:
        return [await sync_to_async(thread_name)(), await sync_to_async(thread_name)()]

    def sync_code() -> tuple[str, list[str]]:
        return thread_name(), portal.run(coro(), timeout=5)

    async def main() -> tuple[str, list[str]]:
        return await sync_to_async(sync_code)()

    caller, workers = async_to_sync(main)()
    assert workers == [caller, caller]

    async def loop_thread() -> int:
        return threading.get_ident()

    if portal.lend_loop:  # once async_to_sync has returned, this thread's calls lend the loop again
        assert portal.run(loop_thread()) == threading.get_ident()
