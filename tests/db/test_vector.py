"""Vector columns and nearest-neighbour search on both faces: pgvector (HNSW) on PostgreSQL, exact on SQLite."""

from __future__ import annotations

import math

import pytest
from sqlalchemy import inspect, text

from dualio.db import Database, Vector
from dualio.testing import Face

from .models import Notebook, Passage

POINTS = {
    "east": [1.0, 0.0, 0.0],
    "north": [0.0, 1.0, 0.0],
    "up": [0.0, 0.0, 1.0],
    "north-east": [1.0, 1.0, 0.0],
    "far-east": [10.0, 0.0, 0.0],
}


def load(face: Face, db: Database) -> None:
    with face.unit_of_work(db, Notebook) as uow:
        uow.passages.add_many(
            [{"text": name, "embedding": vector, "topic": name.split("-")[0]} for name, vector in POINTS.items()]
            + [{"text": "no embedding", "embedding": None}]
        )


def test_vectors_round_trip_as_lists_of_floats(face: Face, db: Database) -> None:
    load(face, db)
    with face.unit_of_work(db, Notebook) as uow:
        passage = uow.passages.get_one(where={"text": "north-east"})
        assert passage.embedding == [1.0, 1.0, 0.0]
        assert uow.passages.get_one(where={"text": "no embedding"}).embedding is None


def test_nearest_by_cosine_and_l2(face: Face, db: Database) -> None:
    load(face, db)
    with face.unit_of_work(db, Notebook) as uow:
        cosine = uow.passages.nearest([2.0, 0.1, 0.0], 3)
        assert [p.text for p, _ in cosine][:1] in (["east"], ["far-east"])  # same direction: both at ~0.001
        assert {p.text for p, _ in cosine[:2]} == {"east", "far-east"}
        assert cosine[2][0].text == "north-east"
        assert math.isclose(cosine[2][1], 1 - (2.0 + 0.1) / (math.hypot(2.0, 0.1) * math.sqrt(2)), abs_tol=1e-5)
        l2 = uow.passages.nearest([9.0, 0.0, 0.0], 2, metric="l2")
        assert [(p.text, round(d, 4)) for p, d in l2] == [("far-east", 1.0), ("east", 8.0)]


def test_nearest_with_filters(face: Face, db: Database) -> None:
    load(face, db)
    with face.unit_of_work(db, Notebook) as uow:
        found = uow.passages.nearest([1.0, 0.0, 0.0], 5, where={"topic": "north"})
        assert [p.text for p, _ in found] == ["north-east", "north"]
        found = uow.passages.nearest([1.0, 0.0, 0.0], 5, conditions=[Passage.text != "east"], ef_search=200)
        assert "east" not in [p.text for p, _ in found]


def test_bad_vectors_and_arguments(face: Face, db: Database) -> None:
    with face.unit_of_work(db, Notebook) as uow:
        with pytest.raises(ValueError, match=r"needs 3 numbers, got 2"):
            uow.passages.nearest([1.0, 2.0], 3)
        with pytest.raises(ValueError, match="finite numbers"):
            uow.passages.nearest([1.0, float("nan"), 0.0], 3)
        with pytest.raises(ValueError, match="metric= must be one of"):
            uow.passages.nearest([1.0, 0.0, 0.0], 3, metric="dot")  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="Note has 0 Vector columns"):
            uow.notes.nearest([1.0, 0.0, 0.0], 3)
    with pytest.raises(ValueError, match="needs 3 numbers"), face.unit_of_work(db, Notebook) as uow:
        uow.passages.add(Passage(text="good", embedding=[1.0, 2.0, 3.0]))
        uow.passages.add(Passage(text="bad", embedding=[1.0]))  # the flush fails: the whole unit rolls back
    with face.unit_of_work(db, Notebook) as uow:
        assert uow.passages.count() == 0


def test_hnsw_indexes_exist_on_postgresql_only(db: Database) -> None:
    with db.unit_of_work(Notebook) as uow:  # the test's own connection: SQLite has one writer at a time
        connection = uow.session.connection()
        names = {index["name"] for index in inspect(connection).get_indexes("passages")}
        if db.backend == "postgresql":
            assert {"passages_embedding_cosine", "passages_embedding_l2"} <= names
            definition = connection.execute(
                text("select indexdef from pg_indexes where indexname = 'passages_embedding_cosine'")
            ).scalar_one()
            assert "hnsw" in definition
            assert "vector_cosine_ops" in definition
        else:
            assert not names & {"passages_embedding_cosine", "passages_embedding_l2"}


def test_vector_dimension_is_validated() -> None:
    with pytest.raises(ValueError, match="Vector\\(dim\\) takes the number of dimensions"):
        Vector(0)
