"""Vector search on embedded PostgreSQL with pgvector: HNSW top-10 latency and recall@10 against exact search.

Claim measured (issue 3, section 5): ``nearest`` top-10 over 100,000 vectors of dimension 384 with an HNSW index
returns in a small median latency with recall@10 >= 0.95 against exact search.

dualio.db has no ``Vector`` type or ``nearest()`` yet, so this script measures the floor such a method stands on:
raw SQLAlchemy with pgvector's ``Vector`` column (``ORDER BY embedding <=> :query LIMIT 10``), one unit of work
per query (open a ``Session``, ``SET LOCAL hnsw.ef_search``, query, commit, close), which is what a per-transaction
``ef_search`` costs. Exact search orders by ``(embedding <=> :query) + 0``, which the index cannot serve (a
sequential scan; see ``nearest`` for why not ``enable_indexscan = off`` alone). Recall is computed against exact
distances from numpy (float64); the exact search must score 1.0 by it.

The data is synthetic (no data set can be downloaded here): ``--data clustered`` (default) draws each vector
from one of 1,000 Gaussian clusters (centres N(0, 1), noise N(0, 0.75²) per coordinate), like embeddings of
topical text; ``--data uniform`` draws i.i.d. N(0, 1) coordinates (random directions), the hardest case for
HNSW. Queries are fresh draws from the same distribution, not stored vectors. Index: ``hnsw (embedding
vector_cosine_ops) WITH (m = 16, ef_construction = 64)`` (pgvector's defaults); searched at several
``ef_search`` values, interleaved in rounds (see _harness.py) with the exact search.

Run: ``.venv/bin/python benchmarks/bench_vector.py`` (``--quick`` for a smoke test).
"""

from __future__ import annotations

import argparse
import functools
import statistics
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import psycopg
from pgvector.psycopg import register_vector
from pgvector.sqlalchemy import Vector
from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from _harness import Contender, Target, default_output, markdown_table, publish, report, run_interleaved
from bench_db import start_postgres

PACKAGES = ("SQLAlchemy", "psycopg", "psycopg-binary", "pgvector", "numpy", "pgserver")
K = 10
EXACT = "exact (sequential scan)"
Floats = npt.NDArray[np.float32]


class Base(DeclarativeBase):
    pass


def document_model(dimension: int) -> type[Base]:
    class Document(Base):
        __tablename__ = "bench_document"
        id: Mapped[int] = mapped_column(primary_key=True)
        embedding: Mapped[Floats] = mapped_column(Vector(dimension))

    return Document


def draw(rng: np.random.Generator, count: int, dimension: int, kind: str, centres: Floats | None) -> Floats:
    if kind == "uniform" or centres is None:
        return rng.standard_normal((count, dimension), dtype=np.float32)
    picks = rng.integers(0, len(centres), count)
    noise = rng.standard_normal((count, dimension), dtype=np.float32) * np.float32(0.75)
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
    answers: list[list[int]]


def nearest(model: type[Base], query: Floats, exact: bool) -> Any:
    """``SELECT id ORDER BY embedding <=> :query LIMIT k``; for exact search ordered by ``(... <=> ...) + 0``.

    The exact search does not rely on ``enable_indexscan = off`` alone: psycopg prepares a statement after five
    executions, and a prepared statement keeps the plan it was made with (the HNSW plan, if the index search ran
    first), whatever planner setting a later transaction makes. An expression the index cannot serve is safe.
    """
    distance = model.embedding.cosine_distance(query)  # type: ignore[attr-defined]
    return select(model.id).order_by(distance + 0 if exact else distance).limit(K)  # type: ignore[attr-defined]


def search(engine: Engine, model: type[Base], queries: Floats, setting: str, exact: bool, timings: Timings) -> float:
    """Run every query as one unit of work with ``setting`` applied by ``SET LOCAL``; return the median latency."""
    batch = []
    answers = []
    perf_counter = time.perf_counter
    for query in queries:
        start = perf_counter()
        with Session(engine, expire_on_commit=False) as session:
            session.execute(text(setting))
            ids = list(session.scalars(nearest(model, query, exact)))
            session.commit()
        batch.append(perf_counter() - start)
        answers.append(ids)
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
            "CREATE INDEX bench_document_hnsw ON bench_document "
            "USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64)"
        )
    return time.perf_counter() - start


def plan(engine: Engine, model: type[Base], query: Floats, setting: str, exact: bool) -> str:
    """The plan's node names (without costs or the query vector), e.g. ``Limit / Index Scan using ...``."""
    compiled = nearest(model, query, exact).compile(engine, compile_kwargs={"literal_binds": True})
    with Session(engine) as session:
        session.execute(text(setting))
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
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--quick", action="store_true", help="small numbers for a smoke test; writes no file")
    parser.add_argument("--output", default=None, help="Markdown file to write (default results/vector.md)")
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
    rng = np.random.default_rng(args.seed)
    centres = rng.standard_normal((1000, args.dimension), dtype=np.float32) if args.data == "clustered" else None
    data = draw(rng, args.vectors, args.dimension, args.data, centres)
    queries = draw(rng, args.queries, args.dimension, args.data, centres)
    model = document_model(args.dimension)
    settings = {f"HNSW, ef_search={ef}": f"SET LOCAL hnsw.ef_search = {ef}" for ef in args.ef_search}
    settings[EXACT] = "SET LOCAL enable_indexscan = off"
    with ExitStack() as stack:
        url = start_postgres(stack)
        engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
        stack.callback(engine.dispose)
        with engine.begin() as connection:
            connection.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS vector")
        Base.metadata.create_all(engine)
        start = time.perf_counter()
        load(url, data)
        load_seconds = time.perf_counter() - start
        print(f"loaded {args.vectors:,} vectors in {load_seconds:.1f} s; building the index", file=sys.stderr)
        build_seconds = build_index(url)
        print(f"HNSW index built in {build_seconds:.1f} s", file=sys.stderr)
        plans = {name: plan(engine, model, queries[0], setting, name == EXACT) for name, setting in settings.items()}
        for name, text_plan in plans.items():
            uses_index = "bench_document_hnsw" in text_plan
            if uses_index != (name != EXACT):
                raise RuntimeError(f"{name}: unexpected plan {text_plan}")
        timings = {name: Timings([], []) for name in settings}
        contenders = [
            Contender(name, functools.partial(search, engine, model, queries, setting, name == EXACT, timings[name]))
            for name, setting in settings.items()
        ]
        run_interleaved(contenders, args.rounds, warmup_rounds=1)
        for name in settings:  # only recorded rounds count: the warm-up round's latencies are dropped
            timings[name].seconds = timings[name].seconds[args.queries :]
    truth = Truth(data, queries)
    exact_recall = truth.recall(timings[EXACT].answers)
    if exact_recall < 0.999:
        raise RuntimeError(f"the exact search finds only {exact_recall:.4f} of numpy's top {K}: a wrong result")
    exact_median = statistics.median(timings[EXACT].seconds)
    rows = []
    targets = []
    for name, timing in timings.items():
        ordered = sorted(timing.seconds)
        value = truth.recall(timing.answers)
        median = statistics.median(ordered)
        p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
        rows.append(
            [
                name,
                f"{median * 1e3:.2f}",
                f"{ordered[0] * 1e3:.2f}",
                f"{p95 * 1e3:.2f}",
                f"{value:.3f}",
                f"{exact_median / median:.1f}x",
            ]
        )
        if name != EXACT:
            targets.append(Target(f"{name}: recall@{K} >= 0.95 against exact search", value, 0.95))
    headers = ["search", "median ms", "min ms", "p95 ms", f"recall@{K}", "faster than exact"]
    intro = (
        f"Top-{K} cosine search over {args.vectors:,} vectors of dimension {args.dimension} ({args.data} data, seed "
        f"{args.seed}) on embedded PostgreSQL with pgvector, through raw SQLAlchemy (dualio's `nearest()` is not "
        f"built yet): one unit of work per query (Session, `SET LOCAL`, SELECT, commit, close). {args.queries} "
        f"queries per round, {args.rounds} interleaved rounds after one warm-up round; latencies are pooled over "
        f"the recorded rounds. Load (binary COPY): {load_seconds:.1f} s; HNSW build (m=16, ef_construction=64, "
        f"maintenance_work_mem=2GB): {build_seconds:.1f} s. Recall@{K}: the share of returned ids whose exact "
        f"cosine distance (numpy, float64) is at most the {K}th smallest (ties count), as ann-benchmarks computes "
        f"it; the exact search scores {exact_recall:.3f} by it. Plans: "
        + "; ".join(f"{name}: `{text_plan}`" for name, text_plan in plans.items())
    )
    text_ = report("Vector search (pgvector HNSW)", intro, markdown_table(headers, rows), targets, PACKAGES)
    publish(text_, default_output(f"vector-{args.data}.md", args.quick, args.output))


if __name__ == "__main__":
    main()
