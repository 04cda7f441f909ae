"""The writer's retry policy for errors the emulator cannot produce (quota, rate limits, 5xx).

These exercise BigQueryWriter.call with a failing callable; they claim nothing about rows landing."""

from __future__ import annotations

import logging

import pytest
from google.api_core import exceptions as gexc

from target_bigquery_audit.writer import BigQueryUnavailable, BigQueryWriter


class FakeClient:
    project = "p"


def failing(errors: list[Exception]):
    calls = []

    def func():
        calls.append(1)
        if errors:
            raise errors.pop(0)
        return "ok"

    return func, calls


def writer(waits: list[float], tries: int = 4) -> BigQueryWriter:
    return BigQueryWriter(FakeClient(), "d", logging.getLogger("t"), max_tries=tries, backoff_max=0.01,
                          quota_wait=600, sleep=waits.append)


def test_rate_limits_and_5xx_are_retried(monkeypatch):
    monkeypatch.setattr("time.sleep", lambda s: None)
    waits: list[float] = []
    func, calls = failing([gexc.Forbidden("slow down", errors=[{"reason": "rateLimitExceeded"}]),
                           gexc.ServiceUnavailable("busy"), gexc.InternalServerError("oops")])
    assert writer(waits).call(func) == "ok" and len(calls) == 4
    assert waits == []  # short-term limits: backoff only, no long wait


def test_long_term_quota_errors_wait_longer(monkeypatch):
    monkeypatch.setattr("time.sleep", lambda s: None)
    waits: list[float] = []
    func, calls = failing([gexc.Forbidden("quota", errors=[{"reason": "quotaExceeded"}])])
    assert writer(waits).call(func) == "ok"
    assert waits == [600]


def test_persistent_unavailability_is_reported_for_the_retry_queue(monkeypatch):
    monkeypatch.setattr("time.sleep", lambda s: None)
    func, calls = failing([gexc.ServiceUnavailable("down")] * 10)
    with pytest.raises(BigQueryUnavailable, match="after 3 tries"):
        writer([], tries=3).call(func)
    assert len(calls) == 3


def test_client_errors_are_not_retried():
    func, calls = failing([gexc.BadRequest("bad schema")])
    with pytest.raises(gexc.BadRequest):
        writer([]).call(func)
    assert len(calls) == 1
