"""The in-memory FakeDatabase passes the same repository and unit-of-work tests as the real databases.

The test bodies are taken from test_repository.py and test_unit_of_work.py; the ``db`` fixture below overrides
conftest's, so here they run (on both faces) against ``FakeDatabase``.
"""

from __future__ import annotations

from typing import cast

import pytest

from dualio.db import Database
from dualio.testing import FakeDatabase

from . import test_repository, test_unit_of_work

# What only a real database can show: driver errors chained under dualio's, raw SQL, and relationship loading.
REAL_DATABASE_ONLY = {
    "test_integrity_error_is_translated_and_chained",
    "test_objects_are_readable_after_the_unit_closes",
    "test_lazy_load_is_refused_clearly",
    "test_driver_errors_from_raw_statements_leave_both_faces_translated",
}

for _module in (test_repository, test_unit_of_work):
    for _name, _test in vars(_module).items():
        if _name.startswith("test_") and _name not in REAL_DATABASE_ONLY:
            globals()[_name] = _test


@pytest.fixture
def db() -> Database:
    return cast(Database, FakeDatabase())


def test_the_fake_refuses_sql_clearly() -> None:
    from sqlalchemy import text

    from .models import Notebook

    fake = FakeDatabase()
    with pytest.raises(NotImplementedError, match="not SQL"), fake.unit_of_work(Notebook) as uow:
        uow.session.execute(text("select 1"))


def test_the_fake_searches_vectors_exactly() -> None:
    from .models import Notebook

    fake = FakeDatabase()
    with fake.unit_of_work(Notebook) as uow:
        uow.passages.add_many(
            [{"text": "east", "embedding": [1.0, 0.0, 0.0]}, {"text": "north", "embedding": [0.0, 1.0, 0.0]}]
        )
    with fake.unit_of_work(Notebook) as uow:
        nearest = uow.passages.nearest([0.9, 0.1, 0.0], 1)
        assert [(p.text, round(d, 4)) for p, d in nearest] == [("east", 0.0061)]
        with pytest.raises(NotImplementedError, match="full-text"):
            uow.notes.search("anything")
