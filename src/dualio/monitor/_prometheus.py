"""Prometheus export: a custom collector over monitors and portals, and a metrics server on its own thread.

The collector reads ``statistics()`` snapshots when Prometheus scrapes, on the HTTP server's thread: nothing
runs on the event loop for a scrape, and a stalled loop can still be scraped (that is when you need it).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Iterator
from types import TracebackType
from typing import Self
from wsgiref.simple_server import WSGIServer

from prometheus_client import REGISTRY, CollectorRegistry, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from dualio._portal import Portal

from ._monitor import Monitor

__all__ = ("MetricsServer", "MonitorCollector", "start_metrics_server")


class MonitorCollector(Collector):
    """Export monitors' and portals' statistics as Prometheus metrics (register it on a registry).

    Args:
        monitors: the :class:`~dualio.monitor.Monitor` objects to export, labelled ``loop=<monitor name>``.
        portals: ``dualio.Portal`` objects whose ``statistics()`` to export, labelled ``portal=<name>``. A
            monitor that watches a portal brings that portal in by itself.

    Register it once: ``prometheus_client.REGISTRY.register(MonitorCollector(monitor))``. A stopped monitor
    keeps exporting its last counters (``dualio_loop_monitor_running`` says 0). The metric names are listed in
    docs/monitor.md. ``collect()`` is thread-safe and never touches the event loop.
    """

    def __init__(self, *monitors: Monitor, portals: Iterable[Portal] = ()) -> None:
        for monitor in monitors:
            if not isinstance(monitor, Monitor):
                raise TypeError(f"MonitorCollector takes dualio.monitor.Monitor objects, got {type(monitor).__name__}")
        portal_list: list[Portal] = [portals] if isinstance(portals, Portal) else list(portals)
        for portal in portal_list:
            if not isinstance(portal, Portal):
                raise TypeError(f"portals must be dualio.Portal objects, got {type(portal).__name__}")
        for monitor in monitors:
            if monitor.portal is not None and monitor.portal not in portal_list:
                portal_list.append(monitor.portal)
        names = [monitor.name for monitor in monitors]
        if len(set(names)) != len(names):
            raise ValueError(f"monitors must have distinct names (they become the 'loop' label), got {names}")
        self._monitors = monitors
        self._portals = tuple(portal_list)

    def collect(self) -> Iterator[Metric]:
        """Yield the current metric families (called by the registry on each scrape)."""
        yield from self._loop_metrics()
        if self._portals:
            yield from self._portal_metrics()

    def _loop_metrics(self) -> Iterator[Metric]:
        lag = HistogramMetricFamily(
            "dualio_loop_lag_seconds",
            "How late the loop ran its heartbeat timer (the wait of a ready callback).",
            labels=["loop"],
        )
        recent = GaugeMetricFamily(
            "dualio_loop_lag_recent_seconds",
            "Percentiles of the loop lag over the most recent heartbeats (up to 1024).",
            labels=["loop", "quantile"],
        )
        running = GaugeMetricFamily(
            "dualio_loop_monitor_running", "1 while the monitor watches the loop.", labels=["loop"]
        )
        blocks = CounterMetricFamily(
            "dualio_loop_blocking_events", "Stalls longer than the monitor's threshold.", labels=["loop"]
        )
        blocked = CounterMetricFamily(
            "dualio_loop_blocked_seconds", "Time the loop spent in recorded stalls.", labels=["loop"]
        )
        threshold = GaugeMetricFamily(
            "dualio_loop_block_threshold_seconds", "The monitor's stall threshold.", labels=["loop"]
        )
        started = CounterMetricFamily(
            "dualio_loop_tasks_started",
            "Tasks created by loop.create_task while watched (count_tasks=True).",
            labels=["loop"],
        )
        finished = CounterMetricFamily(
            "dualio_loop_tasks_finished", "Of those, tasks that finished (any outcome).", labels=["loop"]
        )
        pending = GaugeMetricFamily("dualio_loop_tasks_pending", "Unfinished tasks on the loop now.", labels=["loop"])
        lost = CounterMetricFamily(
            "dualio_loop_tasks_lost",
            "Tasks garbage-collected while pending, or whose exception was never retrieved.",
            labels=["loop", "reason"],
        )
        for monitor in self._monitors:
            stats = monitor.statistics()
            label = [stats.name]
            cumulative, buckets = 0, []
            for bound, count in zip(stats.lag_bucket_bounds, stats.lag_bucket_counts, strict=True):
                cumulative += count
                buckets.append(("+Inf" if math.isinf(bound) else repr(bound), float(cumulative)))
            lag.add_metric(label, buckets, stats.lag_sum)
            for quantile, value in (("0.5", stats.lag_p50), ("0.95", stats.lag_p95), ("0.99", stats.lag_p99)):
                if value is not None:
                    recent.add_metric([stats.name, quantile], value)
            running.add_metric(label, float(stats.running))
            blocks.add_metric(label, stats.blocking_events)
            blocked.add_metric(label, stats.blocked_seconds)
            threshold.add_metric(label, stats.threshold)
            if monitor.count_tasks:  # absent rather than a misleading 0
                started.add_metric(label, stats.tasks_started)
                finished.add_metric(label, stats.tasks_finished)
            pending.add_metric(label, stats.tasks_pending)
            if monitor.track_tasks:
                lost.add_metric([stats.name, "destroyed_pending"], stats.tasks_destroyed_pending)
                lost.add_metric([stats.name, "exception_never_retrieved"], stats.tasks_exception_never_retrieved)
        yield from (lag, recent, running, blocks, blocked, threshold, started, finished, pending, lost)

    def _portal_metrics(self) -> Iterator[Metric]:
        running = GaugeMetricFamily(
            "dualio_portal_running", "1 while the portal's loop thread runs.", labels=["portal"]
        )
        pending = GaugeMetricFamily(
            "dualio_portal_tasks_pending", "Portal calls queued or running now.", labels=["portal"]
        )
        submitted = CounterMetricFamily(
            "dualio_portal_tasks_submitted", "Coroutines handed to the portal.", labels=["portal"]
        )
        ended = CounterMetricFamily(
            "dualio_portal_tasks_finished", "Portal calls that ended, by outcome.", labels=["portal", "outcome"]
        )
        for portal in self._portals:
            stats = portal.statistics()
            running.add_metric([stats.name], float(stats.running))
            pending.add_metric([stats.name], stats.tasks_pending)
            submitted.add_metric([stats.name], stats.tasks_submitted)
            ended.add_metric([stats.name, "completed"], stats.tasks_completed)
            ended.add_metric([stats.name, "failed"], stats.tasks_failed)
            ended.add_metric([stats.name, "cancelled"], stats.tasks_cancelled)
        yield from (running, pending, submitted, ended)


class MetricsServer:
    """A running Prometheus HTTP endpoint (``/metrics``) on a thread of its own; ``close()`` stops it.

    Use it as a context manager, or call ``close()``: it shuts the server down, closes its socket and joins
    its thread. ``port`` is the bound port (useful with ``port=0``), ``url`` the full metrics URL.
    """

    def __init__(self, server: WSGIServer, thread: threading.Thread) -> None:
        self._server = server
        self._thread = thread
        self._closed = False
        self._lock = threading.Lock()
        host, port = server.server_address[:2]
        self.host: str = str(host)
        self.port: int = int(port)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/metrics"

    def close(self) -> None:
        """Stop serving and join the server thread (idempotent, thread-safe)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<MetricsServer {self.url}{' closed' if self._closed else ''}>"


def start_metrics_server(
    port: int, addr: str = "127.0.0.1", *, registry: CollectorRegistry = REGISTRY
) -> MetricsServer:
    """Serve ``registry`` for Prometheus at ``http://addr:port/metrics`` from a daemon thread; return the server.

    ``port=0`` picks a free port (read it from ``server.port``). The default address is the loopback interface:
    pass ``"0.0.0.0"`` to be scraped from other hosts. Scrapes run on the server thread, never on an event loop.
    Raises ``ValueError`` for a port outside 0-65535 and ``OSError`` when the address cannot be bound.
    """
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise ValueError(f"port must be an int from 0 to 65535 (0 picks a free one), got {port!r}")
    if not isinstance(addr, str) or not addr:
        raise ValueError(f"addr must be a host name or IP address string, got {addr!r}")
    if not isinstance(registry, CollectorRegistry):
        raise TypeError(f"registry must be a prometheus_client.CollectorRegistry, got {type(registry).__name__}")
    server, thread = start_http_server(port, addr, registry=registry)
    return MetricsServer(server, thread)
