"""Full-text search on both faces: PostgreSQL tsvector + websearch_to_tsquery, SQLite FTS5 kept by triggers."""

from __future__ import annotations

import pytest

from dualio.db import Database, fulltext
from dualio.db._fulltext import fts5_query
from dualio.testing import Face

from .models import Keyword, Note, Notebook

NOTES = [
    ("Async Python", "Event loops and coroutines in Python"),
    ("Databases", "PostgreSQL indexes and query plans"),
    ("Cooking", "Bread needs time, flour and water"),
    ("Python packaging", "Wheels, sdists and the build backend"),
]


def load(face: Face, db: Database) -> None:
    with face.unit_of_work(db, Notebook) as uow:
        uow.notes.add_many([{"title": title, "body": body} for title, body in NOTES])


def found(face: Face, db: Database, query: str) -> list[str]:
    with face.unit_of_work(db, Notebook) as uow:
        return [note.title for note, _ in uow.notes.search(query)]


def test_words_must_all_match_and_best_comes_first(face: Face, db: Database) -> None:
    load(face, db)
    assert set(found(face, db, "python")) == {"Async Python", "Python packaging"}
    assert found(face, db, "python coroutines") == ["Async Python"]
    assert found(face, db, "nothing-like-this") == []


def test_phrases_exclusion_and_or(face: Face, db: Database) -> None:
    load(face, db)
    assert found(face, db, '"build backend"') == ["Python packaging"]
    assert found(face, db, "python -packaging") == ["Async Python"]
    assert set(found(face, db, "bread or indexes")) == {"Cooking", "Databases"}


def test_the_index_follows_updates_and_deletes(face: Face, db: Database) -> None:
    load(face, db)
    with face.unit_of_work(db, Notebook) as uow:
        cooking = uow.notes.get_one(where={"title": "Cooking"})
        uow.notes.update(cooking, {"body": "Sourdough starter"})
        uow.notes.delete_where(where={"title": "Databases"})
    assert found(face, db, "sourdough") == ["Cooking"]
    assert found(face, db, "bread") == []
    assert found(face, db, "indexes") == []


def test_search_with_filters_limit_and_scores(face: Face, db: Database) -> None:
    load(face, db)
    with face.unit_of_work(db, Notebook) as uow:
        results = uow.notes.search("python", 1)
        assert len(results) == 1
        assert results[0][1] > 0
        assert [n.title for n, _ in uow.notes.search("python", where={"title": "Python packaging"})] == [
            "Python packaging"
        ]


def test_hostile_queries_are_only_text(face: Face, db: Database) -> None:
    load(face, db)
    for query in ['"', "NEAR(a b)", "title:python", "python*", "'; DROP TABLE notes; --", "   ", "-"]:
        found(face, db, query)  # no syntax error, whatever the text
    assert found(face, db, "   ") == []
    with face.unit_of_work(db, Notebook) as uow:
        assert uow.notes.count() == 4


def test_bad_arguments(face: Face, db: Database) -> None:
    with face.unit_of_work(db, Notebook) as uow:
        with pytest.raises(ValueError, match="Keyword is not searchable"):
            uow.keywords.search("x")
        with pytest.raises(TypeError, match="takes the query text as a str"):
            uow.notes.search(None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="already declared"):
        fulltext(Note, "title")
    with pytest.raises(ValueError, match="no column 'nope'"):
        fulltext(Keyword, "nope")


def test_fts5_query_translation() -> None:
    assert fts5_query("python async") == '("python" AND "async")'
    assert fts5_query('"build backend" -rust') == '(("build backend")) NOT "rust"'
    assert fts5_query("a or b") == '("a") OR ("b")'
    assert fts5_query('NEAR(x y) "') == '("NEAR x" AND "y")'  # punctuation splits a word into a phrase
    assert fts5_query("") == ""
