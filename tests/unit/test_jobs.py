"""The child-process job protocol: one-shot children and the long-lived ChildService that keeps
the Generation tab's models warm (state between calls, events, cancel, errors, a dying child)."""

from __future__ import annotations

import threading

import pytest

from mixgrv_app.core.errors import MixgrvError
from mixgrv_app.core.child_jobs import child_command, ChildDied, ChildService
from mixgrv_app.core.jobs import Cancelled, CancelToken, Progress

COUNTER = "tests.support.counter_service:create"


@pytest.fixture
def service():
    service = ChildService(COUNTER, {"start": 10})
    yield service
    service.close()


def test_state_survives_between_calls_and_events_arrive_in_order(service):
    events: list = []
    first = service.call("add", {"n": 3}, events.append)
    second = service.call("add", {"n": 2}, events.append)
    assert first["total"] == 13 and second["total"] == 15
    assert first["pid"] == second["pid"] == service.pid and service.starts == 1
    assert [e.message for e in events if isinstance(e, Progress)] == ["11", "12", "13", "14", "15"]


def test_cancel_stops_the_running_call_and_the_process_stays_warm(service):
    cancel = CancelToken()
    seen: list = []

    def on_event(event) -> None:
        seen.append(event)
        if len(seen) == 2:
            cancel.cancel()

    with pytest.raises(Cancelled):
        service.call("add", {"n": 1000, "pause": 0.01}, on_event, cancel)
    after = service.call("add", {"n": 1})
    assert 12 <= after["total"] < 1000 and service.starts == 1


def test_errors_come_back_typed_and_do_not_end_the_process(service):
    with pytest.raises(MixgrvError) as refused:
        service.call("refuse", {"steps": 0})
    assert refused.value.code == "request.bad_steps" and refused.value.params == {"steps": "0"}
    with pytest.raises(MixgrvError) as crashed:
        service.call("crash")
    assert crashed.value.code == "job.internal" and "ZeroDivisionError" in crashed.value.params["reason"]
    assert service.call("add", {"n": 1})["total"] == 11 and service.starts == 1


def test_a_dead_child_is_reported_and_the_next_call_starts_a_fresh_one(service):
    pid = service.call("add", {"n": 1})["pid"]
    with pytest.raises(ChildDied) as died:
        service.call("die")
    assert died.value.returncode == 3
    fresh = service.call("add", {"n": 1})
    assert fresh["pid"] != pid and fresh["total"] == 11 and service.starts == 2  # state rebuilt from init


def test_calls_from_two_threads_run_one_at_a_time(service):
    totals: list[int] = []
    threads = [threading.Thread(target=lambda: totals.append(service.call("add", {"n": 5, "pause": 0.001})["total"]))
               for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(totals) == [15, 20]


def test_close_ends_the_process(service):
    service.call("add", {"n": 1})
    proc = service._proc
    service.close()
    assert proc is not None and proc.poll() is not None and service.pid is None


def test_frozen_app_runs_children_through_its_own_binary(monkeypatch):
    import sys

    assert child_command("--job-child", "m:f")[1:] == ["-m", "mixgrv_app", "--job-child", "m:f"]
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert child_command("--job-service", "m:f") == [sys.executable, "--job-service", "m:f"]
