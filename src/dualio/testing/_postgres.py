"""An embedded PostgreSQL (with pgvector) for a whole test session, from PyPI's ``pgserver``: no root, no install.

The ``dualio_postgres_url`` fixture starts one server per test session in a temporary directory, creates the
``vector`` extension, yields a ``postgresql://`` URL (over a Unix socket) and stops the server at the end.
``--dualio-postgres-url=URL`` (or the ``DUALIO_POSTGRES_URL`` environment variable) uses a server of your own
instead. Without ``pgserver`` installed (``pip install dualio[testing]``) the tests that ask for it are skipped
with a message saying so.
"""

from __future__ import annotations

import importlib.util
import os
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--dualio-postgres-url",
        default=os.environ.get("DUALIO_POSTGRES_URL"),
        help="use this PostgreSQL server for dualio_postgres_url instead of starting an embedded one",
    )


def start_embedded_postgres(directory: Path | None = None) -> tuple[str, Any]:
    """Start pgserver in ``directory`` (default: a new temporary one); return its URL and the server handle.

    Call the handle's ``cleanup()`` to stop the server and delete its data directory. When run as root, pgserver
    runs PostgreSQL as a ``pgserver`` user, which must be able to reach the directory: pytest's own temporary
    directories are private to their owner, so the default is a directory of our own under the system's temp.
    """
    if directory is None:
        directory = Path(tempfile.mkdtemp(prefix="dualio-postgres-"))
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset, which is normal in containers and CI.
        warnings.simplefilter("ignore")
        import pgserver

        server = pgserver.get_server(directory, cleanup_mode="delete")  # type: ignore[attr-defined]
    server.psql("CREATE EXTENSION IF NOT EXISTS vector;")
    url: str = server.get_uri()
    return url, server


@contextmanager
def embedded_postgres() -> Iterator[str]:
    """Start an embedded PostgreSQL with pgvector (``pgserver``) and yield its URL; stop and delete it after.

    For demos and scripts; tests use the ``dualio_postgres_url`` fixture. Starting takes about a second.
    """
    url, server = start_embedded_postgres()
    try:
        yield url
    finally:
        server.cleanup()


@pytest.fixture(scope="session")
def dualio_postgres_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """The URL of a PostgreSQL server with pgvector, started once for the test session and stopped after it."""
    external: str | None = request.config.getoption("--dualio-postgres-url")
    if external:
        yield external
        return
    if importlib.util.find_spec("pgserver") is None:
        pytest.skip(
            "embedded PostgreSQL needs pgserver (pip install 'dualio[testing]'; it has no wheels for Python 3.13 "
            "yet): or name a server with --dualio-postgres-url / DUALIO_POSTGRES_URL"
        )
    url, server = start_embedded_postgres()
    try:
        yield url
    finally:
        server.cleanup()
