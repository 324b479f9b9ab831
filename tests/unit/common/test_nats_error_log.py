"""The NATS client's error callback during an outage (issue 20): one warning per 30 s, not a
traceback per reconnect attempt (every 0.5 s); errors other than unreachability still logged each."""

from __future__ import annotations

import logging

from assay.common.nats import ConnectionErrorLog


async def test_unreachable_nats_is_reported_once_per_period_with_the_count_in_between(caplog):
    now = [0.0]
    log = ConnectionErrorLog("assay-test", every=30.0, clock=lambda: now[0])
    with caplog.at_level(logging.INFO, logger="assay.common.nats"):
        for _ in range(60):  # 30 s of attempts every 0.5 s
            await log.report(ConnectionRefusedError(111, "Connect call failed"))
            now[0] += 0.5
        await log.report(ConnectionRefusedError(111, "Connect call failed"))
    lines = [r for r in caplog.records if r.name == "assay.common.nats"]
    assert [r.levelno for r in lines] == [logging.WARNING, logging.WARNING]
    assert lines[1].failures_since_last_report == 59 and not any(r.exc_info for r in lines)


async def test_other_errors_are_logged_each_time_with_their_traceback(caplog):
    log = ConnectionErrorLog("assay-test")
    with caplog.at_level(logging.INFO, logger="assay.common.nats"):
        for _ in range(2):
            try:
                raise ValueError("a protocol surprise")
            except ValueError as error:
                await log.report(error)
    errors = [r for r in caplog.records if r.name == "assay.common.nats"]
    assert [r.levelno for r in errors] == [logging.ERROR, logging.ERROR] and all(r.exc_info for r in errors)

