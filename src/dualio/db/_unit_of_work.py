"""``UnitOfWork``: the declaration of a unit's repositories, and its sync face over a ``Session``.

A declaration is a subclass that annotates its repositories::

    class Notebook(UnitOfWork):
        notes: NoteRepository          # a Repository[Note] subclass
        keywords: Repository[Keyword]  # the generic repository

``with db.unit_of_work(Notebook) as uow`` gives an instance of it over a sync ``Session``; ``async with
db.async_unit_of_work(Notebook) as uow`` gives an :class:`AsyncUnitOfWork` whose ``run()`` calls functions
written against this sync face, and whose repositories are the same code, awaited.
"""

from __future__ import annotations

import inspect
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ClassVar, TypeVar, get_args, get_origin

from sqlalchemy.orm import Session, SessionTransaction

from ._repository import Repository
from ._translate import translate, translating

logger = logging.getLogger("dualio.db")

Callback = Callable[[], object]
U = TypeVar("U", bound="UnitOfWork")


_Repositories = dict[str, tuple[type[Repository[Any]], type[Any] | None]]
_declared: dict[type[UnitOfWork], _Repositories] = {}


def repositories_of(declaration: type[UnitOfWork]) -> _Repositories:
    """Return ``{attribute: (repository class, model or None)}`` for the repositories a declaration annotates."""
    known = _declared.get(declaration)
    if known is None:
        known = _declared[declaration] = _find_repositories(declaration)
    return known


def _find_repositories(declaration: type[UnitOfWork]) -> _Repositories:
    found: _Repositories = {}
    for klass in reversed(declaration.__mro__):
        if klass is UnitOfWork or not issubclass(klass, UnitOfWork):
            continue
        namespace = vars(sys.modules[klass.__module__])
        for name, annotation in vars(klass).get("__annotations__", {}).items():
            hint = eval(annotation, namespace, dict(vars(klass))) if isinstance(annotation, str) else annotation
            if name.startswith("_") or get_origin(hint) is ClassVar:
                continue
            origin = get_origin(hint)
            if isinstance(origin, type) and issubclass(origin, Repository):
                (model,) = get_args(hint)
                found[name] = (origin, model)
            elif isinstance(hint, type) and issubclass(hint, Repository):
                found[name] = (hint, None)
    return found


def attach_repositories(unit: UnitOfWork, choose: Callable[[type[Repository[Any]]], type[Any]]) -> None:
    """Give ``unit`` an instance of each repository its declaration lists (of the class ``choose`` returns)."""
    for name, (repository_class, model) in repositories_of(type(unit)).items():
        setattr(unit, name, choose(repository_class)(unit.session, model))


@contextmanager
def sync_unit(unit: U) -> Iterator[U]:
    """Yield ``unit``; commit on a clean exit (then run its callbacks), roll back on an exception; always close."""
    try:
        yield unit
    except BaseException as error:
        unit._finish(error)
        translated = translate(error)
        if translated is not None:
            raise translated from error
        raise
    unit._run_callbacks(unit._finish(None))


class CallbackErrors:
    """Collect the errors of ``on_commit`` callbacks: each is logged, the first is raised after all have run."""

    def __init__(self) -> None:
        self.first: Exception | None = None

    def record(self, callback: object, error: Exception) -> None:
        logger.exception("on_commit callback %r failed after a successful commit", callback, exc_info=error)
        self.first = self.first or error

    def raise_first(self) -> None:
        if self.first is not None:
            self.first.add_note("dualio: the unit of work was committed before this on_commit callback failed")
            raise self.first


def _open_transactions(session: Session) -> list[SessionTransaction]:
    """The session's transactions from the innermost out (those not yet closed)."""
    found = []
    transaction = session.get_transaction()
    nested = session.get_nested_transaction()
    current = nested or transaction
    while current is not None:
        found.append(current)
        current = current.parent
    return found


class Savepoint:
    """A nested transaction (``SAVEPOINT``) inside a unit of work; see :meth:`UnitOfWork.savepoint`."""

    def __init__(self, transaction: SessionTransaction, unit: UnitOfWork) -> None:
        self._transaction = transaction
        self._unit = unit
        self._callbacks_before = len(unit._on_commit)

    def rollback(self) -> None:
        """Undo what was done since the savepoint began; the outer unit keeps its earlier work."""
        # A failed flush leaves the savepoint inactive but still open: it must be rolled back all the same.
        if self._transaction.is_active or self._transaction in _open_transactions(self._unit.session):
            with translating():
                self._transaction.rollback()
        del self._unit._on_commit[self._callbacks_before :]


class UnitOfWork:
    """A unit of work: one session, one transaction, and the repositories declared on the subclass.

    Do not instantiate it yourself: ``Database.unit_of_work(Declaration)`` makes one, commits it when the block
    exits cleanly, rolls it back when the block raises (any exception, ``KeyboardInterrupt`` included), and
    always closes the session, which returns its connection to the pool. Objects read in it stay readable after it
    closes (``expire_on_commit=False``); load relationships explicitly (``options=[selectinload(...)]``).

    Not thread-safe, like the ``Session`` under it: one unit of work belongs to one thread or task.
    """

    session: Session
    """The SQLAlchemy ``Session`` of this unit (on the async face, only usable inside ``run()``)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._on_commit: list[Callback] = []
        attach_repositories(self, lambda repository_class: repository_class)

    def commit(self) -> None:
        """Commit the work so far, then run the ``on_commit`` callbacks; the unit stays usable afterwards."""
        self._commit_only()
        self._run_callbacks()

    def _commit_only(self) -> None:
        with translating():
            self.session.commit()

    def rollback(self) -> None:
        """Roll back the work so far and forget the ``on_commit`` callbacks registered for it."""
        with translating():
            self.session.rollback()
        self._on_commit.clear()

    def flush(self) -> None:
        """Send pending changes to the database (inside the transaction), so that constraints are checked now."""
        with translating():
            self.session.flush()

    @contextmanager
    def savepoint(self) -> Iterator[Savepoint]:
        """Run the block in a nested transaction: an exception (or ``rollback()``) undoes only the block's work.

        The exception still propagates; catch it outside the ``with`` to carry on with the outer unit.
        ``on_commit`` callbacks registered in a rolled-back savepoint are dropped.
        """
        with translating():
            transaction = self.session.begin_nested()
        savepoint = Savepoint(transaction, self)
        try:
            yield savepoint
        except BaseException:
            savepoint.rollback()
            raise
        if transaction.is_active:
            with translating():
                transaction.commit()

    def on_commit(self, callback: Callback) -> None:
        """Call ``callback()`` after the unit commits successfully, never if it rolls back.

        Callbacks run in the order registered, after the commit, in the committing thread. If one raises, the
        others still run, and the first error is raised afterwards with a note that the data *was* committed.
        """
        if not callable(callback):
            raise TypeError(f"on_commit() takes a callable with no arguments, got {type(callback).__name__}")
        self._on_commit.append(callback)

    def _run_callbacks(self, callbacks: list[Callback] | None = None) -> None:
        if callbacks is None:
            callbacks, self._on_commit = self._on_commit, []
        errors = CallbackErrors()
        for callback in callbacks:
            try:
                outcome = callback()
                if inspect.isawaitable(outcome):
                    if inspect.iscoroutine(outcome):
                        outcome.close()
                    raise TypeError(
                        f"on_commit callback {callback!r} returned an awaitable on the sync face; register async "
                        "callbacks on the async unit of work (its commit awaits them)"
                    )
            except Exception as error:
                errors.record(callback, error)
        errors.raise_first()

    def _finish(self, error: BaseException | None) -> list[Callback]:
        """End the unit: commit if ``error`` is None, else roll back; always close the session.

        Return the ``on_commit`` callbacks to run now (none after a rollback); the caller runs them, so that the
        async face can await the async ones on its loop.
        """
        try:
            if error is None:
                self._commit_only()
                callbacks, self._on_commit = self._on_commit, []
                return callbacks
            try:
                self.rollback()
            except Exception:
                logger.exception("rolling back after %r failed", error)
            return []
        finally:
            self.session.close()
