"""Every Repository method, written once and run on both faces and both databases (4 runs per test)."""

from __future__ import annotations

import pytest
from sqlalchemy import true

from dualio.db import Database
from dualio.errors import ConflictError, IntegrityError, NotFoundError
from dualio.testing import Face

from .models import Keyword, Note, Notebook


def test_add_then_get_by_primary_key(face: Face, db: Database) -> None:
    with face.unit_of_work(db, Notebook) as uow:
        note = uow.notes.add(Note(title="first", body="hello"))
        assert note.id is not None
        assert note.version == 1
    with face.unit_of_work(db, Notebook) as uow:
        again = uow.notes.get(note.id)
        assert (again.title, again.body) == ("first", "hello")
        with pytest.raises(NotFoundError, match="no Note with primary key 999999"):
            uow.notes.get(999999)


def test_get_one_and_get_or_none_by_filters(face: Face, db: Database) -> None:
    with face.unit_of_work(db, Notebook) as uow:
        uow.notes.add_many([{"title": "a", "rank": 1}, {"title": "b", "rank": 1}, {"title": "c", "rank": 2}])
        assert uow.notes.get_one(where={"title": "b"}).rank == 1
        assert uow.notes.get_or_none(where={"title": "zzz"}) is None
        assert uow.notes.get_one(Note.rank > 1).title == "c"
        with pytest.raises(NotFoundError):
            uow.notes.get_one(where={"title": "zzz"})
        with pytest.raises(LookupError, match="more than one Note"):
            uow.notes.get_or_none(where={"rank": 1})
        found = uow.notes.by_title("c")  # a method of the repository subclass, on both faces
        assert found is not None
        assert found.rank == 2


def test_list_filters_orders_and_offset_pages(face: Face, db: Database) -> None:
    with face.unit_of_work(db, Notebook) as uow:
        uow.notes.add_many([{"title": f"n{i}", "rank": i % 3} for i in range(10)])
        titles = [n.title for n in uow.notes.list(where={"rank": 0}, order_by="title")]
        assert titles == ["n0", "n3", "n6", "n9"]
        assert [n.title for n in uow.notes.list(where={"rank": [1, 2]}, order_by="-title", limit=3)] == [
            "n8",
            "n7",
            "n5",
        ]
        assert [n.title for n in uow.notes.list(order_by=["rank", "title"], limit=2, offset=4)] == ["n1", "n4"]
        assert uow.notes.list(where={"project_id": None}, limit=1)[0].project_id is None


def test_keyset_pages_visit_every_row_once(face: Face, db: Database) -> None:
    with face.unit_of_work(db, Notebook) as uow:
        uow.notes.add_many([{"title": f"k{i:02}", "rank": i % 4} for i in range(23)])
        seen: list[str] = []
        cursor = None
        pages = 0
        while True:
            page = uow.notes.page(order_by="-rank", limit=5, after=cursor)
            seen += [n.title for n in page.items]
            pages += 1
            cursor = page.next_cursor
            if cursor is None:
                break
        assert pages == 5
        assert sorted(seen) == [f"k{i:02}" for i in range(23)]
        assert len(set(seen)) == 23
        ranks = [uow.notes.get_one(where={"title": t}).rank for t in seen]
        assert ranks == sorted(ranks, reverse=True)


def test_count_and_exists(face: Face, db: Database) -> None:
    with face.unit_of_work(db, Notebook) as uow:
        assert uow.notes.count() == 0
        assert not uow.notes.exists(where={"title": "x"})
        uow.notes.add_many([{"title": "x", "rank": 5}, {"title": "y", "rank": 6}])
        assert uow.notes.count() == 2
        assert uow.notes.count(Note.rank > 5) == 1
        assert uow.notes.exists(where={"title": "x"})


def test_add_many_returns_rows_in_order_with_keys(face: Face, db: Database) -> None:
    with face.unit_of_work(db, Notebook) as uow:
        rows = uow.notes.add_many([{"title": f"bulk{i}", "rank": i} for i in range(300)])
        assert [r.rank for r in rows] == list(range(300))
        assert all(r.id is not None and r.version == 1 for r in rows)
        objects = uow.keywords.add_many([Keyword(name="a"), Keyword(name="b")])
        assert [k.id is not None for k in objects] == [True, True]
        assert uow.notes.add_many([]) == []


def test_update_is_partial_and_versioned(face: Face, db: Database) -> None:
    with face.unit_of_work(db, Notebook) as uow:
        note = uow.notes.add(Note(title="v", body="one", rank=1))
        updated = uow.notes.update(note.id, {"body": "two"})
        assert (updated.body, updated.rank, updated.version) == ("two", 1, 2)
        with pytest.raises(ConflictError, match="is at version 2, not 1"):
            uow.notes.update(note.id, {"body": "three"}, expected_version=1)
        with pytest.raises(ValueError, match="version column"):
            uow.notes.update(note.id, {"version": 7})
    with face.unit_of_work(db, Notebook) as uow:
        assert uow.notes.get(note.id).body == "two"


def test_delete_and_delete_where(face: Face, db: Database) -> None:
    with face.unit_of_work(db, Notebook) as uow:
        rows = uow.notes.add_many([{"title": f"d{i}", "rank": i % 2} for i in range(6)])
        uow.notes.delete(rows[0].id)
        with pytest.raises(NotFoundError):
            uow.notes.delete(rows[0].id)
        assert uow.notes.delete_where(where={"rank": 1}) == 3
        assert uow.notes.count() == 2
        with pytest.raises(ValueError, match=r"needs a filter; pass sqlalchemy.true\(\)"):
            uow.notes.delete_where()
        assert uow.notes.delete_where(true()) == 2


def test_upsert_inserts_then_updates(face: Face, db: Database) -> None:
    with face.unit_of_work(db, Notebook) as uow:
        first = uow.keywords.upsert({"name": "python", "uses": 1}, conflict=["name"])
        second = uow.keywords.upsert({"name": "python", "uses": 5}, conflict=["name"])
        assert first.id == second.id
        assert second.uses == 5
        assert uow.keywords.count() == 1
        note = uow.notes.upsert({"title": "u", "body": "a"}, conflict=["title"])
        again = uow.notes.upsert({"title": "u", "body": "b"}, conflict=["title"])
        assert (again.id, again.body, again.version) == (note.id, "b", 2)


def test_get_or_create_creates_once(face: Face, db: Database) -> None:
    with face.unit_of_work(db, Notebook) as uow:
        keyword, created = uow.keywords.get_or_create({"name": "async"}, {"uses": 3})
        assert created
        assert keyword.uses == 3
        same, created_again = uow.keywords.get_or_create({"name": "async"}, {"uses": 9})
        assert not created_again
        assert (same.id, same.uses) == (keyword.id, 3)


def test_bad_filters_are_clear_errors_and_never_sql(face: Face, db: Database) -> None:
    with face.unit_of_work(db, Notebook) as uow:
        with pytest.raises(ValueError, match=r"Note has no column 'title; DROP TABLE notes' \(used in where=\)"):
            uow.notes.list(where={"title; DROP TABLE notes": 1})
        with pytest.raises(ValueError, match=r"no column 'nope' .*order_by"):
            uow.notes.list(order_by="-nope")
        with pytest.raises(ValueError, match="limit= must be a non-negative int"):
            uow.notes.list(limit=-1)
        with pytest.raises(TypeError, match="positional filter must be a SQLAlchemy condition"):
            uow.notes.list("rank > 1")  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="not a cursor"):
            uow.notes.page(after="not-a-cursor")
        with pytest.raises(TypeError, match="stores Note rows, got Keyword"):
            uow.notes.add(Keyword(name="k"))  # type: ignore[arg-type]
        assert uow.notes.count() == 0


def test_integrity_error_is_translated_and_chained(face: Face, db: Database) -> None:
    def add_twice(uow: Notebook) -> None:
        uow.keywords.add(Keyword(name="dup"))
        uow.keywords.add(Keyword(name="dup"))

    with pytest.raises(IntegrityError) as caught:
        face.transaction(db, Notebook, add_twice)
    assert caught.value.__cause__ is not None
    assert "sqlalchemy" in type(caught.value.__cause__).__module__
    with face.unit_of_work(db, Notebook) as uow:
        assert uow.keywords.count() == 0  # the whole unit was rolled back


def test_update_and_delete_take_rows_read_in_an_earlier_unit(face: Face, db: Database) -> None:
    with face.unit_of_work(db, Notebook) as uow:
        note = uow.notes.add(Note(title="detached", body="one"))
        other = uow.notes.add(Note(title="to-delete"))
    with face.unit_of_work(db, Notebook) as uow:
        updated = uow.notes.update(note, {"body": "two"})
        assert (updated.body, updated.version) == ("two", 2)
        uow.notes.delete(other)
    with face.unit_of_work(db, Notebook) as uow:
        assert uow.notes.get(note.id).body == "two"
        assert not uow.notes.exists(where={"title": "to-delete"})
        with pytest.raises(ConflictError, match="is at version 2, not 1"):
            uow.notes.update(note, {"body": "three"})  # `note` was read at version 1: a stale edit
