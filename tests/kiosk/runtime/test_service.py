"""The worker-thread lifecycle: ended, stopped, crashed, and restarted with backoff."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from checkin_protocol.keys import TrustStore, generate_key
from kiosk.config import RegistryConfig
from kiosk.policy.denylist import DenyList
from kiosk.runtime.service import Health, Restart, Service, State
from kiosk.store import RecordStore
from kiosk.sync.client import RegistryClient
from kiosk.sync.lists import ListState
from kiosk.sync.worker import SyncWorker
from support.timing import wait_for


class Worker(Service):
    """Runs `plan` one step per loop: "end" returns, "crash" raises, "wait" idles until stop."""

    def __init__(self, plan: list[str], restart: Restart | None = None) -> None:
        super().__init__("worker", restart=restart)
        self.plan = plan
        self.runs = 0
        self.woken = threading.Event()

    def serve(self) -> None:
        self.runs += 1
        step = self.plan.pop(0) if self.plan else "wait"
        if step == "crash":
            raise ValueError(f"bug {self.runs}")
        if step == "wait":
            while not self.wait_stopping(5.0):
                pass

    def wake(self) -> None:
        self.woken.set()


def test_a_worker_that_runs_out_has_ended_not_crashed() -> None:
    with Worker(["end"]) as w:
        assert wait_for(lambda: w.health.finished)
        assert w.health.state is State.ENDED and not w.health.crashed


def test_stop_is_prompt_and_is_not_a_crash() -> None:
    w = Worker(["wait"])
    w.start()
    assert state(w) is State.RUNNING
    assert w.stop(timeout=10)
    assert state(w) is State.STOPPED and w.woken.is_set() and not w.is_alive()


def test_a_crash_is_final_without_a_restart_policy(caplog: pytest.LogCaptureFixture) -> None:
    with Worker(["crash"]) as w:
        assert wait_for(lambda: w.health.finished)
    assert w.health == Health(State.CRASHED, 1, "ValueError: bug 1")
    assert w.runs == 1
    assert "worker crashed" in caplog.text and "Traceback" in caplog.text


def test_a_crash_is_restarted_with_backoff() -> None:
    with Worker(["crash", "crash"], restart=Restart(first=0.01, limit=0.02)) as w:
        assert wait_for(lambda: w.runs == 3)  # crashed twice, running the third time
        assert wait_for(lambda: w.health.state is State.RUNNING)
        assert w.health.crashes == 2 and w.health.error == "ValueError: bug 2"
        assert not w.health.crashed and not w.health.finished
    assert w.health.state is State.STOPPED


def test_backoff_doubles_up_to_its_limit() -> None:
    r = Restart(first=1.0, limit=5.0)
    assert [r.delay(n) for n in (1, 2, 3, 4, 50)] == [1.0, 2.0, 4.0, 5.0, 5.0]


def test_stop_during_a_backoff_stops_at_once() -> None:
    w = Worker(["crash"], restart=Restart(first=600.0, limit=600.0))
    w.start()
    assert wait_for(lambda: w.health.state is State.RESTARTING)
    assert w.stop(timeout=10)
    assert w.health.state is State.STOPPED and w.runs == 1


def state(w: Service) -> State:
    """Read afresh each time (a plain attribute chain would be narrowed by the type checker)."""
    return w.health.state


def test_a_sync_crash_is_logged_and_the_sync_thread_restarts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    store = RecordStore(tmp_path / "k.db", min_free_mb=0)
    store.open()
    cfg = RegistryConfig.model_construct(
        url=["http://registry.invalid"], token_file=tmp_path / "t", list_key=tmp_path / "k"
    )
    # Real collaborators that are never asked anything: the sync cycle is replaced below.
    client = RegistryClient("http://registry.invalid", "t", connect_timeout=1, read_timeout=1)
    lists = ListState(generate_key().public_key(), store, TrustStore([]), DenyList())
    worker = SyncWorker(store, client, lists, cfg, restart=Restart(first=0.01, limit=0.05))
    cycles: list[int] = []

    def cycle() -> None:
        cycles.append(1)
        if len(cycles) == 1:
            raise TypeError("sync bug")  # not a registry error: step() does not handle it

    monkeypatch.setattr(worker, "cycle", cycle)
    with worker:
        assert wait_for(lambda: worker.state.online)  # running again, and its cycle succeeded
        assert worker.health.crashes == 1 and worker.health.error == "TypeError: sync bug"
        assert state(worker) is State.RUNNING
    assert state(worker) is State.STOPPED
    assert "sync crashed" in caplog.text and "Traceback" in caplog.text
    store.close()
