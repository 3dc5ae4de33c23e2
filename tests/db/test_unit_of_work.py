"""Unit-of-work semantics on both faces and both databases: commit, rollback, savepoints, on_commit, retries."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.orm import selectinload

from dualio.db import Database, Retry
from dualio.errors import IntegrityError, TransientDatabaseError
from dualio.testing import Face

from .models import Keyword, Note, Notebook, Project, add_note


class Boom(Exception):
    pass


def titles(face: Face, db: Database) -> list[str]:
    with face.unit_of_work(db, Notebook) as uow:
        return [n.title for n in uow.notes.list(order_by="title")]


def test_clean_exit_commits(face: Face, db: Database) -> None:
    with face.unit_of_work(db, Notebook) as uow:
        uow.notes.add(Note(title="kept"))
    assert titles(face, db) == ["kept"]


def test_exception_rolls_back_everything(face: Face, db: Database) -> None:
    with pytest.raises(Boom), face.unit_of_work(db, Notebook) as uow:
        uow.notes.add(Note(title="lost"))
        raise Boom
    assert titles(face, db) == []


def test_explicit_commit_inside_keeps_the_committed_part(face: Face, db: Database) -> None:
    with pytest.raises(Boom), face.unit_of_work(db, Notebook) as uow:
        uow.notes.add(Note(title="committed"))
        uow.commit()
        uow.notes.add(Note(title="after"))
        raise Boom
    assert titles(face, db) == ["committed"]


def test_explicit_rollback_inside_discards_and_continues(face: Face, db: Database) -> None:
    with face.unit_of_work(db, Notebook) as uow:
        uow.notes.add(Note(title="discarded"))
        uow.rollback()
        uow.notes.add(Note(title="second"))
    assert titles(face, db) == ["second"]


def test_savepoint_rollback_keeps_outer_work(face: Face, db: Database) -> None:
    with face.unit_of_work(db, Notebook) as uow:
        uow.notes.add(Note(title="outer"))
        with pytest.raises(Boom), uow.savepoint():
            uow.notes.add(Note(title="inner-failed"))
            raise Boom
        with uow.savepoint() as savepoint:
            uow.notes.add(Note(title="inner-undone"))
            savepoint.rollback()
        with uow.savepoint():
            uow.notes.add(Note(title="inner-kept"))
            with pytest.raises(Boom), uow.savepoint():  # savepoints nest
                uow.notes.add(Note(title="nested-failed"))
                raise Boom
    assert titles(face, db) == ["inner-kept", "outer"]


def test_flush_checks_constraints_inside_the_unit(face: Face, db: Database) -> None:
    with face.unit_of_work(db, Notebook) as uow:
        uow.notes.add(Note(title="f"))
        uow.flush()
        assert uow.notes.count() == 1


def test_on_commit_runs_only_after_a_successful_commit(face: Face, db: Database) -> None:
    events: list[str] = []
    with face.unit_of_work(db, Notebook) as uow:
        uow.notes.add(Note(title="x"))
        uow.on_commit(lambda: events.append("committed"))
        assert events == []
    assert events == ["committed"]
    with pytest.raises(Boom), face.unit_of_work(db, Notebook) as uow:
        uow.on_commit(lambda: events.append("rolled back"))
        raise Boom
    with face.unit_of_work(db, Notebook) as uow:
        with pytest.raises(Boom), uow.savepoint():
            uow.on_commit(lambda: events.append("in a failed savepoint"))
            raise Boom
        uow.on_commit(lambda: events.append("second"))
    assert events == ["committed", "second"]


def test_on_commit_error_is_raised_after_the_commit(face: Face, db: Database) -> None:
    ran: list[str] = []

    def broken() -> None:
        raise Boom("callback failed")

    with pytest.raises(Boom) as caught, face.unit_of_work(db, Notebook) as uow:
        uow.notes.add(Note(title="still-committed"))
        uow.on_commit(broken)
        uow.on_commit(lambda: ran.append("later callback"))
    assert "was committed" in "".join(caught.value.__notes__)
    assert ran == ["later callback"]
    assert titles(face, db) == ["still-committed"]


def test_objects_are_readable_after_the_unit_closes(face: Face, db: Database) -> None:
    with face.unit_of_work(db, Notebook) as uow:
        project = uow.projects.add(Project(name="p"))
        uow.notes.add(Note(title="n", project_id=project.id))
    with face.unit_of_work(db, Notebook) as uow:
        loaded = uow.projects.get(project.id, options=[selectinload(Project.notes)])
        bare = uow.projects.get_one(where={"name": "p"}, options=[])
    assert [n.title for n in loaded.notes] == ["n"]  # loaded explicitly: readable after close
    assert loaded.name == "p"  # expire_on_commit=False: no lazy refresh after the commit
    assert bare is loaded


def test_lazy_load_is_refused_clearly(face: Face, db: Database) -> None:
    with face.unit_of_work(db, Notebook) as uow:
        project = uow.projects.add(Project(name="lazy"))
    with face.unit_of_work(db, Notebook) as uow:
        fresh = uow.projects.get(project.id)
    with pytest.raises(InvalidRequestError, match="lazy='raise'"):
        _ = fresh.notes


def test_use_case_written_once_runs_on_both_faces(face: Face, db: Database) -> None:
    note = face.transaction(db, Notebook, add_note, "use-case", 3)
    assert (note.title, note.rank) == ("use-case", 3)
    assert titles(face, db) == ["use-case"]


def test_transaction_retries_transient_failures_without_partial_commits(face: Face, db: Database) -> None:
    attempts: list[int] = []

    def flaky(uow: Notebook) -> str:
        uow.notes.add(Note(title=f"attempt-{len(attempts)}"))
        attempts.append(1)
        if len(attempts) < 3:
            raise TransientDatabaseError("simulated serialization failure")
        return "done"

    assert face.transaction(db, Notebook, flaky) == "done"
    assert len(attempts) == 3
    assert titles(face, db) == ["attempt-2"]  # the failed attempts were rolled back


def test_transaction_gives_up_after_the_last_attempt(face: Face, db: Database) -> None:
    def always_failing(uow: Notebook) -> None:
        uow.notes.add(Note(title="never"))
        raise TransientDatabaseError("still failing")

    with pytest.raises(TransientDatabaseError):
        face.transaction(db, Notebook, always_failing, retry=Retry(attempts=2, base_delay=0))
    assert titles(face, db) == []


def test_non_transient_errors_are_not_retried(face: Face, db: Database) -> None:
    calls: list[int] = []

    def failing(uow: Notebook) -> None:
        calls.append(1)
        raise Boom

    with pytest.raises(Boom):
        face.transaction(db, Notebook, failing)
    assert calls == [1]


def test_a_failed_statement_in_a_savepoint_leaves_the_unit_usable(face: Face, db: Database) -> None:
    with face.unit_of_work(db, Notebook) as uow:
        uow.keywords.add(Keyword(name="taken"))
        with pytest.raises(IntegrityError), uow.savepoint():
            uow.keywords.add(Keyword(name="taken"))
        uow.keywords.add(Keyword(name="free"))
        assert uow.keywords.count() == 2
    with face.unit_of_work(db, Notebook) as uow:
        assert sorted(k.name for k in uow.keywords.list()) == ["free", "taken"]


def test_driver_errors_from_raw_statements_leave_both_faces_translated(face: Face, db: Database) -> None:
    def raw_duplicate(uow: Notebook) -> None:
        statement = text("INSERT INTO keywords (name, uses) VALUES ('raw', 0)")
        uow.session.execute(statement)
        uow.session.execute(statement)

    with pytest.raises(IntegrityError) as caught:
        face.transaction(db, Notebook, raw_duplicate)
    assert "sqlalchemy" in type(caught.value.__cause__).__module__
