"""The Prometheus collector, scraped over real HTTP on 127.0.0.1 and parsed as the text exposition format."""

from __future__ import annotations

import threading
import urllib.request
from collections.abc import Iterator

import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

import dualio
import dualio.monitor
from dualio.monitor.prometheus import MetricsServer, MonitorCollector, start_metrics_server

from ._workloads import sleep_on_the_loop
from .conftest import wait_until


def scrape(url: str) -> dict[str, list[Sample]]:
    """GET the endpoint and return its samples grouped by sample name."""
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.status == 200
        text = response.read().decode()
    samples: dict[str, list[Sample]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples.setdefault(sample.name, []).append(sample)
    return samples


def value(samples: dict[str, list[Sample]], name: str, **labels: str) -> float:
    (match,) = [s for s in samples[name] if all(s.labels.get(k) == v for k, v in labels.items())]
    return match.value


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


@pytest.fixture
def server(registry: CollectorRegistry) -> Iterator[MetricsServer]:
    with start_metrics_server(0, registry=registry) as started:
        yield started


def test_the_endpoint_exports_lag_stalls_tasks_and_portal_statistics(
    portal: dualio.Portal, registry: CollectorRegistry, server: MetricsServer
) -> None:
    async def stall() -> None:
        sleep_on_the_loop(0.3)

    async def noop() -> int:
        return 1

    with dualio.monitor.watch(portal, threshold=0.05, log=False, count_tasks=True) as monitor:
        registry.register(MonitorCollector(monitor))
        portal.run(stall)
        assert portal.run(noop) == 1
        wait_until(lambda: any(event.finished for event in monitor.statistics().recent_blocking_events))
        samples = scrape(server.url)
        stats = monitor.statistics()
    loop = {"loop": portal.name}
    assert value(samples, "dualio_loop_blocking_events_total", **loop) == 1
    assert value(samples, "dualio_loop_blocked_seconds_total", **loop) >= 0.05
    assert value(samples, "dualio_loop_monitor_running", **loop) == 1
    assert value(samples, "dualio_loop_block_threshold_seconds", **loop) == 0.05
    count = value(samples, "dualio_loop_lag_seconds_count", **loop)
    assert 1 <= count <= stats.heartbeats
    assert value(samples, "dualio_loop_lag_seconds_bucket", le="+Inf", **loop) == count
    assert value(samples, "dualio_loop_lag_seconds_bucket", le="0.1", **loop) < count  # the 0.3 s stall
    assert value(samples, "dualio_loop_lag_seconds_sum", **loop) >= 0.05
    assert {s.labels["quantile"] for s in samples["dualio_loop_lag_recent_seconds"]} == {"0.5", "0.95", "0.99"}
    assert value(samples, "dualio_loop_tasks_pending", **loop) >= 0
    assert value(samples, "dualio_loop_tasks_lost_total", reason="destroyed_pending", **loop) == 0
    assert "dualio_loop_tasks_started_total" in samples
    assert "dualio_loop_tasks_finished_total" in samples
    assert value(samples, "dualio_portal_tasks_submitted_total", portal=portal.name) == 2
    assert value(samples, "dualio_portal_tasks_finished_total", portal=portal.name, outcome="completed") == 2
    assert value(samples, "dualio_portal_tasks_pending", portal=portal.name) == 0
    assert value(samples, "dualio_portal_running", portal=portal.name) == 1


def test_a_scrape_answers_while_the_loop_is_stalled(
    portal: dualio.Portal, registry: CollectorRegistry, server: MetricsServer
) -> None:
    release = threading.Event()
    with dualio.monitor.watch(portal, threshold=0.05, log=False) as monitor:
        registry.register(MonitorCollector(monitor, portals=[portal]))
        portal.loop.call_soon_threadsafe(release.wait, 20)
        try:
            wait_until(lambda: monitor.statistics().blocking_events == 1)
            samples = scrape(server.url)  # served by the server thread: the stalled loop does not matter
        finally:
            release.set()
    assert value(samples, "dualio_loop_blocking_events_total", loop=portal.name) == 1
    assert "dualio_loop_tasks_started_total" not in samples  # not counted by default: absent, not 0
    assert "dualio_loop_tasks_lost_total" in samples


def test_the_server_closes_and_joins_its_thread(registry: CollectorRegistry) -> None:
    threads_before = set(threading.enumerate())
    server = start_metrics_server(0, registry=registry)
    assert server.url == f"http://127.0.0.1:{server.port}/metrics"
    assert scrape(server.url) == {}  # nothing registered yet
    server.close()
    server.close()
    assert set(threading.enumerate()) <= threads_before
    with pytest.raises(OSError):  # noqa: PT011 - the refused connection is all there is to check
        urllib.request.urlopen(server.url, timeout=5)


def test_bad_arguments_are_refused(portal: dualio.Portal) -> None:
    with pytest.raises(ValueError, match="port must be an int"):
        start_metrics_server(70000)
    with pytest.raises(ValueError, match="port must be an int"):
        start_metrics_server(True)
    with pytest.raises(TypeError, match="CollectorRegistry"):
        start_metrics_server(0, registry="default")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Monitor objects"):
        MonitorCollector(portal)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Portal objects"):
        MonitorCollector(portals=["portal"])  # type: ignore[list-item]
    with (
        dualio.monitor.watch(portal, log=False) as first,
        dualio.monitor.watch(portal, log=False) as second,
        pytest.raises(ValueError, match="distinct names"),
    ):
        MonitorCollector(first, second)
