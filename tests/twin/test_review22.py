"""Review 22 (grpc.aio, websockets, Playwright, aiosmtplib, aiofiles, the docs as written): fixes kept fixed."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

import dualio
from dualio import twin
from dualio.twin import use_portal

from .test_review19 import _generate

_STARTED_DRIVER = '''
class AsyncDriver:
    """Playwright's shape: ``start()`` of its context manager replaces ``stop`` on the instance."""

    def __init__(self) -> None:
        self.stopped_by = ""

    async def stop(self) -> None:
        """Stop the driver (the class's does nothing: the context manager that started it replaces it)."""

    def name(self) -> str:
        return "class"


class AsyncStarter:
    async def start(self) -> AsyncDriver:
        driver = AsyncDriver()
        driver.stop = self.stop_driver  # type: ignore[method-assign]
        driver.name = lambda: "own"  # type: ignore[method-assign]
        self.driver = driver
        return driver

    async def stop_driver(self) -> None:
        self.driver.stopped_by = "starter"
'''


def test_a_method_an_instance_replaces_is_called_through_the_instance(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, portal: dualio.Portal
) -> None:
    # Review 22b: `SyncPlaywright.stop()` ran the class's `stop` (which does nothing), not the one
    # `async_playwright().start()` set on the instance: Playwright's driver went on running.
    output, text = _generate(tmp_path, monkeypatch, "gen_started_driver", {"aio": _STARTED_DRIVER}, "AsyncDriver")
    output.write_text(text)
    aio = importlib.import_module("gen_started_driver.aio")
    runtime_starter = twin.sync_class(aio.AsyncStarter)
    with use_portal(portal):
        runtime = runtime_starter().start()  # a run-time twin of AsyncDriver, before the generated one loads
        runtime.stop()
        assert runtime.name() == "own"
        assert runtime.stopped_by == "starter"
    generated = importlib.import_module("gen_started_driver.sync")

    async def start() -> object:
        return await aio.AsyncStarter().start()

    driver = twin.twin_of(portal.run(start()), generated.Driver)
    assert type(driver) is generated.Driver
    driver.stop()
    assert driver.name() == "own"
    assert driver.stopped_by == "starter"
