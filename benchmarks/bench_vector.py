"""Vector search on embedded PostgreSQL with pgvector: dualio's ``nearest()`` against raw SQLAlchemy and exact search.

Claims measured (issue 3, section 5): ``nearest`` top-10 over 100,000 vectors of dimension 384 with an HNSW index:
median latency, and recall@10 >= 0.95 against exact search; like every face, ``nearest()`` should cost at most
1.10x the same work in raw SQLAlchemy.

Contenders, each query one unit of work (open a session, set ``hnsw.ef_search`` for the transaction, query,
commit, close), at several ``ef_search`` values: ``uow.documents.nearest(query, 10, ef_search=n)`` on a model with
``dualio.db.Vector``; the same work in raw SQLAlchemy with pgvector's own ``Vector`` column (``SET LOCAL
hnsw.ef_search``, then ``SELECT document, embedding <=> :q ... ORDER BY 2 LIMIT 10``, rows and distances); and exact
search: the raw query ordered by ``(embedding <=> :q) + 0``, which the index cannot serve (a sequential scan; see
``raw_statement`` for why not ``enable_indexscan = off``). Both sides use the engine of one dualio ``Database``
(same pool, pre-ping and timeouts). Recall is computed against exact distances from numpy (float64); the exact
search must score 1.0 by it.

The data is synthetic (no data set can be downloaded here): ``--data clustered`` (default) draws each vector
from one of 1,000 Gaussian clusters (centres N(0, 1), Gaussian noise of standard deviation ``--noise``, 0.75 by
default, per coordinate), like embeddings of topical text; ``--data uniform`` draws i.i.d. N(0, 1) coordinates
(random directions: no neighbourhood structure at all), the hardest case for HNSW. Queries are fresh draws from
the same distribution, not stored vectors. Index: ``hnsw (embedding vector_cosine_ops) WITH (m = 16,
ef_construction = 64)`` (pgvector's defaults, and ``hnsw_index``'s). Contenders run interleaved in rounds (see
_harness.py).

Run: ``.venv/bin/python benchmarks/bench_vector.py`` (``--quick`` for a smoke test).
"""

from __future__ import annotations

import argparse
import functools
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import psycopg
from pgvector.psycopg import register_vector
from pgvector.sqlalchemy import Vector as PgVector
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from _harness import Contender, Target, default_output, markdown_table, publish, report, run_interleaved
from bench_db import load_average_note, start_postgres
from dualio.db import Database, Repository, UnitOfWork, Vector

PACKAGES = ("dualio", "SQLAlchemy", "psycopg", "psycopg-binary", "pgvector", "numpy", "pgserver")
K = 10
TABLE = "bench_document"
INDEX = "bench_document_hnsw"
EXACT = "exact (sequential scan), raw SQLAlchemy"
Floats = npt.NDArray[np.float32]
Answer = list[int]


class RawBase(DeclarativeBase):
    pass


class DualioBase(DeclarativeBase):
    pass


def models(dimension: int) -> tuple[type[Any], type[Any], type[UnitOfWork]]:
    """The same table mapped twice, with pgvector's column type (raw) and with ``dualio.db.Vector``; and a unit.

    The dimension is a command-line option, so the classes are made here; the unit of work declares
    ``documents: Repository[Document]`` through ``__annotations__`` for the same reason.
    """

    class RawDocument(RawBase):
        __tablename__ = TABLE
        id: Mapped[int] = mapped_column(primary_key=True)
        embedding: Mapped[Floats] = mapped_column(PgVector(dimension))

    class Document(DualioBase):
        __tablename__ = TABLE
        id: Mapped[int] = mapped_column(primary_key=True)
        embedding: Mapped[list[float]] = mapped_column(Vector(dimension))

    library = type("Library", (UnitOfWork,), {"__annotations__": {"documents": Repository[Document]}})
    return RawDocument, Document, library


def draw(
    rng: np.random.Generator, count: int, dimension: int, kind: str, centres: Floats | None, noise_scale: float
) -> Floats:
    if kind == "uniform" or centres is None:
        return rng.standard_normal((count, dimension), dtype=np.float32)
    picks = rng.integers(0, len(centres), count)
    noise = rng.standard_normal((count, dimension), dtype=np.float32) * np.float32(noise_scale)
    result: Floats = centres[picks] + noise
    return result


class Truth:
    """Exact cosine distances (float64, numpy) from every query to every stored vector."""

    def __init__(self, data: Floats, queries: Floats) -> None:
        unit = data.astype(np.float64)
        unit /= np.linalg.norm(unit, axis=1, keepdims=True)
        query_units = queries.astype(np.float64)
        query_units /= np.linalg.norm(query_units, axis=1, keepdims=True)
        self.distances = 1.0 - query_units @ unit.T  # (queries, vectors); vector id n is column n - 1
        self.kth = np.partition(self.distances, K - 1, axis=1)[:, K - 1]

    def recall(self, answers: list[list[int]]) -> float:
        """The share of returned ids that are true top-k neighbours (ties at the k-th distance count, 1e-6 slack).

        As in ann-benchmarks: a returned vector counts if its exact distance is no more than the k-th smallest.
        """
        hits = 0
        for row, answer in enumerate(answers):
            distances = self.distances[row, [number - 1 for number in answer]]
            hits += int(np.count_nonzero(distances <= self.kth[row] + 1e-6))
        return hits / (K * len(answers))


@dataclass
class Timings:
    """Every query's latency, pooled over rounds, and the ids each query returned (last round)."""

    seconds: list[float]
    answers: list[Answer]


def raw_statement(model: type[Any], query: Floats, exact: bool) -> Any:
    """What ``nearest()`` sends, in raw SQLAlchemy: rows and distances, nearest first; exact: ordered by ``d + 0``.

    The exact search does not rely on ``enable_indexscan = off``: psycopg prepares a statement after five
    executions, and a prepared statement keeps the plan it was made with (the HNSW plan, if an index search ran
    first), whatever planner setting a later transaction makes. An order the index cannot serve is safe.
    """
    distance = model.embedding.cosine_distance(query)
    return (
        select(model, distance.label("distance"))
        .where(model.embedding.is_not(None))
        .order_by(distance + 0 if exact else distance)
        .limit(K)
    )


def raw_search(engine: Engine, model: type[Any], ef_search: int | None) -> Callable[[Floats], Answer]:
    setting = f"SET LOCAL hnsw.ef_search = {ef_search}" if ef_search else "SET LOCAL enable_indexscan = off"

    def search(query: Floats) -> Answer:
        with Session(engine, expire_on_commit=False) as session:
            session.execute(text(setting))
            rows = [
                (row, float(distance)) for row, distance in session.execute(raw_statement(model, query, not ef_search))
            ]
            session.commit()
        return [row.id for row, _ in rows]

    return search


def dualio_search(db: Database, library: type[UnitOfWork], ef_search: int) -> Callable[[Floats], Answer]:
    def search(query: Floats) -> Answer:
        with db.unit_of_work(library) as uow:
            documents: Repository[Any] = uow.documents  # type: ignore[attr-defined]
            # nearest() is typed Sequence[float]; Vector documents NumPy arrays as accepted, and they are.
            found = documents.nearest(cast(Sequence[float], query), K, ef_search=ef_search)
        return [row.id for row, _ in found]

    return search


def timed(search: Callable[[Floats], Answer], queries: Floats, timings: Timings) -> float:
    """Run every query; record each latency and answer; return the batch's median latency (one sample)."""
    batch = []
    answers = []
    perf_counter = time.perf_counter
    for query in queries:
        start = perf_counter()
        answer = search(query)
        batch.append(perf_counter() - start)
        answers.append(answer)
    timings.seconds += batch
    timings.answers = answers
    return statistics.median(batch)


def load(url: str, data: Floats) -> None:
    """Copy the vectors in (binary COPY through psycopg)."""
    with psycopg.connect(url, autocommit=True) as connection:
        register_vector(connection)
        with connection.cursor() as cursor:
            with cursor.copy("COPY bench_document (id, embedding) FROM STDIN WITH (FORMAT BINARY)") as copy:
                copy.set_types(["int4", "vector"])
                for number, vector in enumerate(data, start=1):
                    copy.write_row((number, vector))
            cursor.execute("VACUUM ANALYZE bench_document")


def build_index(url: str) -> float:
    start = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("SET maintenance_work_mem = '2GB'")
        connection.execute(
            f"CREATE INDEX {INDEX} ON {TABLE} "
            "USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64)"
        )
    return time.perf_counter() - start


def plan(engine: Engine, model: type[Any], query: Floats, ef_search: int | None) -> str:
    """The plan's node names (without costs or the query vector), e.g. ``Limit / Index Scan using ...``."""
    compiled = raw_statement(model, query, not ef_search).compile(engine, compile_kwargs={"literal_binds": True})
    with Session(engine) as session:
        lines = session.execute(text(f"EXPLAIN {compiled}")).scalars().all()
    nodes = [line.split("(cost=")[0].strip(" ->") for line in lines if "(cost=" in line]
    return " / ".join(nodes)


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=None, help="recorded rounds (default 5; 1 with --quick)")
    parser.add_argument("--vectors", type=int, default=None, help="stored vectors (default 100000; 2000 --quick)")
    parser.add_argument("--dimension", type=int, default=None, help="dimension (default 384; 32 with --quick)")
    parser.add_argument("--queries", type=int, default=None, help="queries per round (default 100; 10 --quick)")
    parser.add_argument(
        "--ef-search", default="40,100,200", help="comma-separated hnsw.ef_search values (default 40,100,200)"
    )
    parser.add_argument("--data", choices=("clustered", "uniform"), default="clustered")
    parser.add_argument(
        "--noise",
        type=float,
        default=0.75,
        help="clustered data: noise standard deviation per coordinate (default 0.75; more is harder)",
    )
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--quick", action="store_true", help="small numbers for a smoke test; writes no file")
    parser.add_argument("--output", default=None, help="Markdown file to write (default results/vector-<data>.md)")
    args = parser.parse_args()
    args.rounds = args.rounds or (1 if args.quick else 5)
    args.vectors = args.vectors or (2000 if args.quick else 100_000)
    args.dimension = args.dimension or (32 if args.quick else 384)
    args.queries = args.queries or (10 if args.quick else 100)
    args.ef_search = [int(value) for value in args.ef_search.split(",")]
    if args.vectors <= K:
        parser.error(f"--vectors must be more than {K}")
    return args


def main() -> None:
    args = parse_arguments()
    load_before = os.getloadavg()
    rng = np.random.default_rng(args.seed)
    centres = rng.standard_normal((1000, args.dimension), dtype=np.float32) if args.data == "clustered" else None
    data = draw(rng, args.vectors, args.dimension, args.data, centres, args.noise)
    queries = draw(rng, args.queries, args.dimension, args.data, centres, args.noise)
    raw_model, _, library = models(args.dimension)
    with ExitStack() as stack:
        url = start_postgres(stack)
        db = Database(url)
        stack.callback(db.dispose)
        engine = db.sync_engine
        with engine.begin() as connection:
            connection.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS vector")
        RawBase.metadata.create_all(engine)
        start = time.perf_counter()
        load(url, data)
        load_seconds = time.perf_counter() - start
        print(f"loaded {args.vectors:,} vectors in {load_seconds:.1f} s; building the index", file=sys.stderr)
        build_seconds = build_index(url)
        print(f"HNSW index built in {build_seconds:.1f} s", file=sys.stderr)
        searches: dict[str, Callable[[Floats], Answer]] = {}
        for ef in args.ef_search:
            searches[raw_name(ef)] = raw_search(engine, raw_model, ef)
            searches[dualio_name(ef)] = dualio_search(db, library, ef)
        searches[EXACT] = raw_search(engine, raw_model, None)
        plans = {
            "HNSW": plan(engine, raw_model, queries[0], args.ef_search[0]),
            EXACT: plan(engine, raw_model, queries[0], None),
        }
        if INDEX not in plans["HNSW"] or INDEX in plans[EXACT]:
            raise RuntimeError(f"unexpected plans: {plans}")
        timings = {name: Timings([], []) for name in searches}
        contenders = [
            Contender(name, functools.partial(timed, search, queries, timings[name]))
            for name, search in searches.items()
        ]
        run_interleaved(contenders, args.rounds, warmup_rounds=1)
        for name in searches:  # only recorded rounds count: the warm-up round's latencies are dropped
            timings[name].seconds = timings[name].seconds[args.queries :]
    truth = Truth(data, queries)
    exact_recall = truth.recall(timings[EXACT].answers)
    if exact_recall < 0.999:
        raise RuntimeError(f"the exact search finds only {exact_recall:.4f} of numpy's top {K}: a wrong result")
    medians = {name: statistics.median(timing.seconds) for name, timing in timings.items()}
    rows = []
    for name, timing in timings.items():
        ordered = sorted(timing.seconds)
        p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
        raw = raw_name(int(name.rsplit("=", 1)[1])) if "dualio" in name else None
        cells = [f"{value * 1e3:.2f}" for value in (medians[name], ordered[0], p95)]
        cells += [f"{truth.recall(timing.answers):.3f}", f"{medians[EXACT] / medians[name]:.1f}x"]
        cells += [f"{medians[name] / medians[raw]:.2f}x" if raw else ""]
        cells += ["" if raw is None else ("yes" if timing.answers == timings[raw].answers else "no")]
        rows.append([name, *cells])
    headers = ["search", "median ms", "min ms", "p95 ms", f"recall@{K}", "faster than exact", "vs raw", "same ids"]
    targets = []
    for ef in args.ef_search:
        name = dualio_name(ef)
        targets.append(
            Target(f"{name}: recall@{K} >= 0.95 against exact search", truth.recall(timings[name].answers), 0.95)
        )
        ratio = medians[name] / medians[raw_name(ef)]
        targets.append(Target(f"{name}: median latency <= 1.10x raw SQLAlchemy + pgvector", ratio, 1.10, at_most=True))
    intro = (
        f"Top-{K} cosine search over {args.vectors:,} vectors of dimension {args.dimension} ({data_name(args)}, seed "
        f"{args.seed}) on embedded PostgreSQL with pgvector; each query is one unit of work. {args.queries} queries "
        f"per round, {args.rounds} interleaved rounds after one warm-up round; latencies are pooled over the "
        f"recorded rounds. `nearest()` uses ef_search=100 when none is given. Load (binary COPY): "
        f"{load_seconds:.1f} s; HNSW build (m=16, ef_construction=64, maintenance_work_mem=2GB): "
        f"{build_seconds:.1f} s. "
        f"Recall@{K}: the share of returned ids whose exact cosine distance (numpy, float64) is at most the {K}th "
        f"smallest (ties count), as ann-benchmarks computes it; the exact search scores {exact_recall:.3f} by it. "
        f"'same ids': dualio returned exactly the raw query's ids for every query. Plans: "
        + "; ".join(f"{name}: `{text_plan}`" for name, text_plan in plans.items())
        + f". {load_average_note(load_before)}"
    )
    text_ = report("Vector search: nearest() on pgvector HNSW", intro, markdown_table(headers, rows), targets, PACKAGES)
    publish(text_, default_output(f"vector-{data_name(args).split()[0]}.md", args.quick, args.output))


def data_name(args: argparse.Namespace) -> str:
    return "uniform data" if args.data == "uniform" else f"clustered data, noise sd {args.noise:g}"


def raw_name(ef_search: int) -> str:
    return f"HNSW, raw SQLAlchemy + pgvector, ef_search={ef_search}"


def dualio_name(ef_search: int) -> str:
    return f"HNSW, dualio nearest(), ef_search={ef_search}"


if __name__ == "__main__":
    main()
