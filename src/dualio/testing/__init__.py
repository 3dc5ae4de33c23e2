"""Test support for code built on dualio: a pytest plugin and helpers (install ``dualio[testing]``).

The plugin is registered through the ``pytest11`` entry point as ``dualio``; it is made of one module per concern,
listed in :mod:`dualio.testing.plugin`. Its fixtures:

- ``dualio_postgres_url``: an embedded PostgreSQL with pgvector for the test session (``pgserver``);
- ``face``: runs a test once on the sync face of ``dualio.db`` and once on the async face (:class:`Face`).

Helpers importable from here (they need ``dualio[db]``): :func:`rolled_back` (per-test isolation by an outer
transaction rolled back afterwards), :class:`Face`, :class:`FakeDatabase` (an in-memory unit of work for pure
unit tests of use cases) and :func:`embedded_postgres` (a throw-away PostgreSQL with pgvector for scripts).
"""

from typing import TYPE_CHECKING, Any

__all__ = ("Face", "FakeDatabase", "embedded_postgres", "rolled_back")

if TYPE_CHECKING:
    from ._faces import Face
    from ._fake import FakeDatabase
    from ._isolation import rolled_back
    from ._postgres import embedded_postgres


def __getattr__(name: str) -> Any:
    # Lazy: importing dualio.testing (as the pytest plugin does) must not import SQLAlchemy.
    if name == "Face":
        from ._faces import Face

        return Face
    if name == "FakeDatabase":
        from ._fake import FakeDatabase

        return FakeDatabase
    if name == "embedded_postgres":
        from ._postgres import embedded_postgres

        return embedded_postgres
    if name == "rolled_back":
        from ._isolation import rolled_back

        return rolled_back
    raise AttributeError(f"module 'dualio.testing' has no attribute {name!r}")
