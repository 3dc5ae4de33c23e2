"""Watch a live event loop: stalls with the stack that caused them, loop lag, and lost tasks.

::

    import dualio.monitor

    async def main() -> None:
        with dualio.monitor.watch(threshold=0.1) as monitor:   # the loop running here; or watch(loop) / watch(portal)
            await serve()
        print(monitor.statistics())

A watchdog thread sends the loop a heartbeat; when the loop does not answer within ``threshold`` it samples the
loop thread's stack and records a :class:`BlockingEvent` naming the function and line that blocked. Loop lag
goes into a histogram; tasks are counted and lost ones (destroyed while pending, exception never retrieved)
reported. Works on asyncio and uvloop. The core uses the standard library only; Prometheus metrics are in
:mod:`dualio.monitor.prometheus` (``pip install 'dualio[monitor]'``). See docs/monitor.md.
"""

from ._errors import LoopNotRunningError
from ._lag import LAG_BUCKETS
from ._monitor import Monitor, watch
from ._records import BlockingEvent, MonitorStatistics, TaskIssue

__all__ = (
    "LAG_BUCKETS",
    "BlockingEvent",
    "LoopNotRunningError",
    "Monitor",
    "MonitorStatistics",
    "TaskIssue",
    "watch",
)

for _cls in (BlockingEvent, LoopNotRunningError, Monitor, MonitorStatistics, TaskIssue):
    _cls.__module__ = __name__
del _cls
