"""The models, repositories and unit-of-work declaration the db tests share."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from dualio.db import Repository, UnitOfWork, Vector, Versioned, fulltext, hnsw_index


class Base(DeclarativeBase):
    pass


class Project(Base):
    __tablename__ = "projects"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    notes: Mapped[list[Note]] = relationship(back_populates="project", lazy="raise")


class Note(Versioned, Base):
    __tablename__ = "notes"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200), unique=True)
    body: Mapped[str] = mapped_column(default="")
    rank: Mapped[int] = mapped_column(default=0)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"))
    created_at: Mapped[dt.datetime] = mapped_column(server_default=func.current_timestamp())
    project: Mapped[Project | None] = relationship(back_populates="notes", lazy="raise")


class Keyword(Base):
    __tablename__ = "keywords"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    uses: Mapped[int] = mapped_column(default=0)


class Passage(Base):
    __tablename__ = "passages"
    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str]
    topic: Mapped[str] = mapped_column(default="")
    embedding: Mapped[list[float] | None] = mapped_column(Vector(3))
    __table_args__ = (
        hnsw_index("passages_embedding_cosine", "embedding", metric="cosine"),
        hnsw_index("passages_embedding_l2", "embedding", metric="l2"),
    )


fulltext(Note, "title", "body")


class NoteRepository(Repository[Note]):
    """A repository with a query of its own, written once against the sync face."""

    def by_title(self, title: str) -> Note | None:
        return self.get_or_none(where={"title": title})


class Notebook(UnitOfWork):
    notes: NoteRepository
    keywords: Repository[Keyword]
    projects: Repository[Project]
    passages: Repository[Passage]


def add_note(uow: Notebook, title: str, rank: int = 0) -> Note:
    """A use case written once against the sync face."""
    return uow.notes.add(Note(title=title, rank=rank))
