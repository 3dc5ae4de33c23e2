"""add_many: batched statements on both databases, rows back in the order given."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from dualio.db import Database

from .models import Notebook


@contextmanager
def counting_statements(db: Database) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    event.listen(db.sync_engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(db.sync_engine, "before_cursor_execute", record)


def test_add_many_inserts_in_batches_and_returns_rows_in_order(db: Database) -> None:
    with db.unit_of_work(Notebook) as uow, counting_statements(db) as statements:
        rows = uow.notes.add_many([{"title": f"batch{i}", "rank": i} for i in range(1200)])
    assert [row.rank for row in rows] == list(range(1200))
    assert [row.title for row in rows] == [f"batch{i}" for i in range(1200)]
    inserts = [s for s in statements if s.lstrip().upper().startswith("INSERT")]
    assert 1 <= len(inserts) <= 12, len(inserts)  # batches, not one statement per row


def test_add_many_with_the_keys_given_returns_rows_in_the_order_given(db: Database) -> None:
    ids = list(range(500, 800))
    random.Random(7).shuffle(ids)
    with db.unit_of_work(Notebook) as uow:
        rows = uow.notes.add_many([{"id": key, "title": f"given{key}"} for key in ids])
    assert [row.id for row in rows] == ids
    assert [row.title for row in rows] == [f"given{key}" for key in ids]


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_add_many_refuses_rows_it_cannot_order_and_keeps_nothing(db: Database) -> None:
    # Once the rowid has reached its maximum, SQLite numbers new rows at random: the order is lost.
    with db.unit_of_work(Notebook) as uow:
        uow.notes.add_many([{"id": 2**63 - 1, "title": "last rowid"}])
    refused = pytest.raises(RuntimeError, match="did not number the new rows one after another")
    with refused, db.unit_of_work(Notebook) as uow:
        uow.notes.add_many([{"title": f"random{i}"} for i in range(50)])
    with db.unit_of_work(Notebook) as uow:
        assert uow.notes.count() == 1
