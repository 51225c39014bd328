"""The instance lock: at most one holder per kiosk database."""

from __future__ import annotations

import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.store.lock import AlreadyRunning, InstanceLock


@given(st.lists(st.tuples(st.sampled_from([0, 1]), st.booleans()), max_size=20))
def test_at_most_one_instance_lock_is_held(
    tmp_path_factory: pytest.TempPathFactory, ops: list[tuple[int, bool]]
) -> None:
    db = tmp_path_factory.mktemp("lock") / "kiosk.db"
    locks = [InstanceLock(db), InstanceLock(db)]
    held: int | None = None
    try:
        for who, take in ops:
            if take and held is None:
                locks[who].acquire()
                held = who
            elif take and held != who:
                with pytest.raises(AlreadyRunning, match=str(os.getpid())):
                    locks[who].acquire()
            elif not take and held == who:
                locks[who].release()
                held = None
    finally:
        for lock in locks:
            lock.release()
