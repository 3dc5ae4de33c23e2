"""The pytest blocking guard of dualio.testing, run on sample test files in a fresh pytest process (pytester)."""

from __future__ import annotations

import pytest

SAMPLE = """
import asyncio
import time

import pytest
import uvloop

import dualio


def stall_the_loop():
    time.sleep(0.6)  # the blocking line


async def blocking_main():
    await asyncio.sleep(0.01)
    stall_the_loop()


async def polite_main():
    await asyncio.gather(*(asyncio.sleep(0.001) for _ in range(200)))


def test_asyncio_run_that_blocks():
    asyncio.run(blocking_main())


def test_uvloop_run_that_blocks():
    uvloop.run(blocking_main())


def test_portal_call_that_blocks():
    with dualio.Portal("guarded") as portal:
        portal.run(blocking_main)


def test_polite_asyncio_run():
    asyncio.run(polite_main())


def test_polite_portal():
    with dualio.Portal("polite") as portal:
        portal.run(polite_main)


@pytest.mark.dualio_block_threshold(None)
def test_allowed_to_block():
    asyncio.run(blocking_main())


@pytest.mark.dualio_block_threshold(5)
def test_blocks_less_than_its_own_threshold():
    asyncio.run(blocking_main())
"""


def test_blocking_tests_fail_with_the_stack_and_polite_ones_pass(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_sample=SAMPLE)
    result = pytester.runpytest_subprocess("--dualio-block-threshold=0.1", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=4, failed=3)
    for name in ("asyncio_run_that_blocks", "uvloop_run_that_blocks", "portal_call_that_blocks"):
        result.stdout.fnmatch_lines([f"FAILED test_sample.py::test_{name}*"])
    result.stdout.fnmatch_lines(
        [
            "dualio blocking guard: the event loop was blocked longer than 0.1 s (--dualio-block-threshold)*",
            "event loop * blocked for * at stall_the_loop (*test_sample.py:11)",
            "Stack of the loop thread (most recent call last):",
            '  File "*test_sample.py", line 16, in blocking_main',
            "    stall_the_loop()",
            '  File "*test_sample.py", line 11, in stall_the_loop',
            "    time.sleep(0.6)  # the blocking line",
        ]
    )
    assert "event loop 'guarded' blocked" in result.stdout.str()  # the portal's loop, named after the portal


def test_the_guard_is_off_by_default(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_sample=SAMPLE)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=7)


def test_the_ini_option_and_a_marker_alone_turn_it_on(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\ndualio_block_threshold = 0.1\n")
    pytester.makepyfile(
        test_ini="""
        import asyncio, time

        def test_blocks():
            async def main():
                time.sleep(0.6)
            asyncio.run(main())
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*blocked longer than 0.1 s (ini option dualio_block_threshold)*", "*at main (*test_ini.py:5)"]
    )

    pytester.makeini("[pytest]\n")
    pytester.makepyfile(
        test_marker="""
        import asyncio, time
        import pytest

        @pytest.mark.dualio_block_threshold(0.1)
        def test_marked():
            async def main():
                time.sleep(0.6)
            asyncio.run(main())

        def test_unmarked():
            async def main():
                time.sleep(0.6)
            asyncio.run(main())
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "test_marker.py")
    result.assert_outcomes(failed=1, passed=1)
    result.stdout.fnmatch_lines(["*blocked longer than 0.1 s (@pytest.mark.dualio_block_threshold)*"])


def test_a_stall_in_a_failing_test_is_added_as_a_report_section(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_fails="""
        import asyncio, time

        def test_fails_and_blocks():
            async def main():
                time.sleep(0.6)
            asyncio.run(main())
            assert False, "the test's own failure"
        """
    )
    result = pytester.runpytest_subprocess("--dualio-block-threshold=0.1", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*the test's own failure*", "*Captured dualio blocking guard call*", "*in main*"])


def test_loops_run_by_anyios_pytest_plugin_are_guarded(pytester: pytest.Pytester) -> None:
    pytest.importorskip("anyio")
    pytester.makepyfile(
        test_anyio="""
        import time
        import pytest

        @pytest.fixture
        def anyio_backend():
            return "asyncio"

        @pytest.mark.anyio
        async def test_blocks_under_anyio():
            time.sleep(0.6)
        """
    )
    result = pytester.runpytest_subprocess("--dualio-block-threshold=0.1", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*at test_blocks_under_anyio (*test_anyio.py:10)"])


@pytest.mark.parametrize("threshold", ["soon", "-1", "nan"])
def test_a_bad_threshold_is_a_usage_error(pytester: pytest.Pytester, threshold: str) -> None:
    pytester.makepyfile(test_nothing="def test_nothing():\n    pass\n")
    result = pytester.runpytest_subprocess(f"--dualio-block-threshold={threshold}", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--dualio-block-threshold must be a*"])


def test_a_bad_marker_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_marker="""
        import pytest

        @pytest.mark.dualio_block_threshold("soon")
        def test_marked():
            pass
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(["*dualio_block_threshold takes a positive number of seconds or None*"])
    assert result.ret != pytest.ExitCode.OK


def test_a_blocking_dualio_call_on_the_loop_is_named_by_the_line_that_made_it(pytester: pytest.Pytester) -> None:
    # Review 23b: the summary named dualio's own wait (`_call_and_wait (_portal.py:518)`), not the caller.
    pytester.makepyfile(
        test_dualio_call="""
        import asyncio
        import warnings

        import dualio


        async def slow():
            await asyncio.sleep(0.6)


        async def route():
            dualio.run(slow())  # the blocking line


        def test_blocks():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", dualio.BlockingCallWarning)
                asyncio.run(route())
        """
    )
    result = pytester.runpytest_subprocess("--dualio-block-threshold=0.1", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["event loop * blocked for * at route (*test_dualio_call.py:12)"])
