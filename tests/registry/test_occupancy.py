"""Every sync answer carries the venue's count: all its kiosks, its own local day, PASS only."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import requests

from checkin_protocol.messages import HeartbeatResponse, UploadResponse
from checkin_protocol.times import parse_iso, utc_iso
from registry.service import Registry
from support.doors import NOON
from support.registry import RegistryServer
from support.registry import make_record as record


def post(server: RegistryServer, path: str, token: str, body: dict[str, Any]) -> Any:
    r = requests.post(
        f"{server.url}/api/v1/{path}",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert r.status_code == 200, r.text
    return r.json()


# The venue's zone has it near noon now: no local midnight falls within the test.
def test_the_count_spans_the_venue_s_kiosks_and_its_local_day(
    registry: Registry, server: RegistryServer
) -> None:
    registry.add_venue("here", "Venue Here", timezone=NOON)
    registry.add_venue("v2", "Venue Two")
    entry, exit_ = registry.add_kiosk("here", "in"), registry.add_kiosk("here", "out")
    other = registry.add_kiosk("v2", "in")
    midnight = datetime.now(ZoneInfo(NOON)).replace(hour=0, minute=0, second=0, microsecond=0)
    yesterday = utc_iso(midnight.timestamp() - 3600)
    batch = [record(kiosk="in", venue="here") for _ in range(3)]
    batch += [record(kiosk="in", venue="here", verdict="FAIL", reason="expired")]
    batch += [record(kiosk="in", venue="here", created_utc=yesterday)]
    before = time.time()
    answer = UploadResponse.model_validate(post(server, "records", entry, {"records": batch}))
    assert answer.occupancy is not None and answer.occupancy.inside == 3
    assert parse_iso(answer.occupancy.as_of) >= before - 1
    out = [record(kiosk="out", venue="here", direction="exit")]
    answer = UploadResponse.model_validate(post(server, "records", exit_, {"records": out}))
    assert answer.occupancy is not None and answer.occupancy.inside == 2
    elsewhere = [record(kiosk="in", venue="v2") for _ in range(5)]
    post(server, "records", other, {"records": elsewhere})
    beat = HeartbeatResponse.model_validate(post(server, "heartbeat", entry, {}))
    assert beat.occupancy is not None and beat.occupancy.inside == 2
    # More exits than entries (people who came in before the kiosks did) is 0, not negative.
    for _ in range(3):
        post(
            server,
            "records",
            exit_,
            {"records": [record(kiosk="out", venue="here", direction="exit")]},
        )
    beat = HeartbeatResponse.model_validate(post(server, "heartbeat", exit_, {}))
    assert beat.occupancy is not None and beat.occupancy.inside == 0
