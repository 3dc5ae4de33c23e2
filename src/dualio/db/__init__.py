"""``dualio.db``: one unit of work and repository layer for sync and async SQLAlchemy (``pip install dualio[db]``).

Declare once, use from both worlds::

    class Notebook(UnitOfWork):
        notes: Repository[Note]

    db = Database("postgresql://localhost/kairos")           # or "sqlite:///kairos.db"

    with db.unit_of_work(Notebook) as uow:                    # scripts, CLIs, Streamlit, Celery
        uow.notes.add(Note(title="sync"))

    async with db.async_unit_of_work(Notebook) as uow:        # FastAPI, bots, workers
        await uow.notes.add(Note(title="async"))

See docs/db.md for the tutorial and the decision guide.
"""

from ._async_unit_of_work import AsyncSavepoint, AsyncUnitOfWork
from ._database import Database
from ._fulltext import fulltext
from ._inline import reads
from ._pagination import Page
from ._repository import Repository
from ._repository_async import AsyncRepository
from ._retry import Retry
from ._unit_of_work import Savepoint, UnitOfWork
from ._vector import Vector, hnsw_index
from ._versioning import Versioned

__all__ = (
    "AsyncRepository",
    "AsyncSavepoint",
    "AsyncUnitOfWork",
    "Database",
    "Page",
    "Repository",
    "Retry",
    "Savepoint",
    "UnitOfWork",
    "Vector",
    "Versioned",
    "fulltext",
    "hnsw_index",
    "reads",
)

for _name in __all__:
    globals()[_name].__module__ = __name__
del _name
