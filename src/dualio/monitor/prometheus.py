"""Prometheus metrics for :mod:`dualio.monitor` (needs ``pip install 'dualio[monitor]'``).

::

    from prometheus_client import REGISTRY
    from dualio.monitor.prometheus import MonitorCollector, start_metrics_server

    REGISTRY.register(MonitorCollector(monitor))          # and portals=[portal] for portal statistics
    server = start_metrics_server(9464)                   # http://127.0.0.1:9464/metrics, on its own thread
    ...
    server.close()

Metric names, labels and meanings: docs/monitor.md.
"""

from ._prometheus import MetricsServer, MonitorCollector, start_metrics_server

__all__ = ("MetricsServer", "MonitorCollector", "start_metrics_server")

for _cls in (MetricsServer, MonitorCollector):
    _cls.__module__ = __name__
del _cls
