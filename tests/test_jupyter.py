"""Behaviour 5 in a real Jupyter kernel: where ``asyncio.run`` fails, ``dualio.run`` works and warns once."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from typing import Any

import pytest
from jupyter_client.blocking.client import BlockingKernelClient
from jupyter_client.manager import KernelManager


@pytest.fixture(scope="module")
def kernel() -> Iterator[BlockingKernelClient]:
    """An ipykernel started for this module (the venv's Python), shut down at the end."""
    manager = KernelManager(kernel_name="python3")
    manager.start_kernel()
    client = manager.blocking_client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        yield client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def run_cell(kernel: BlockingKernelClient, code: str) -> str:
    """Execute ``code`` as one cell; return what it printed, failing on an error in the cell."""
    printed: list[str] = []

    def collect(message: dict[str, Any]) -> None:
        if message["msg_type"] == "stream":
            printed.append(message["content"]["text"])

    reply = kernel.execute_interactive(textwrap.dedent(code), output_hook=collect, timeout=60)
    assert reply["content"]["status"] == "ok", reply["content"]
    return "".join(printed)


def test_in_a_jupyter_cell_asyncio_run_fails_and_dualio_run_works(kernel: BlockingKernelClient) -> None:
    out = run_cell(
        kernel,
        """
        import asyncio, warnings
        import dualio

        async def answer():
            await asyncio.sleep(0)
            return 42

        coro = answer()
        try:
            asyncio.run(coro)
        except RuntimeError as exc:
            coro.close()
            print("asyncio.run:", exc)

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            results = [dualio.run(answer) for _ in range(3)]
        print("dualio.run:", results)
        print("warnings:", [w.category.__name__ for w in caught])
        print("loop running in the cell:", asyncio.get_running_loop().is_running())
        """,
    )
    assert "asyncio.run: asyncio.run() cannot be called from a running event loop" in out
    assert "dualio.run: [42, 42, 42]" in out
    assert "warnings: ['BlockingCallWarning']" in out  # once for the call site, not three times
    assert "loop running in the cell: True" in out


def test_the_portal_keeps_its_state_across_cells(kernel: BlockingKernelClient) -> None:
    run_cell(
        kernel,
        """
        import asyncio, dualio
        dualio.configure(running_loop_policy="allow")

        class Counter:
            def __init__(self):
                self.lock = None
                self.value = 0

            async def bump(self):
                if self.lock is None:
                    self.lock = asyncio.Lock()  # loop-bound: created on the portal's loop
                async with self.lock:
                    self.value += 1
                    return self.value

        counter = Counter()
        dualio.run(counter.bump)
        """,
    )
    out = run_cell(
        kernel, "print('second cell:', dualio.run(counter.bump), dualio.default_portal().statistics().running)"
    )
    assert "second cell: 2 True" in out
