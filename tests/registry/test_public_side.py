"""The registry's public side, attacked through HTTP: what anyone may send, and what it moves.

One test per finding of the outside audit (issue 23); each failed on the registry before it.
"""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

import requests
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from checkin_protocol.keys import TrustStore
from checkin_protocol.kp1 import verify_pass
from checkin_protocol.records import Subject
from registry.auth import Role
from registry.core.pagedata import PageData
from registry.service import Registry
from support.registry import RegistryServer, make_record, own_address, sign_in
from support.spreadsheets import PRINTABLE


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def person(id_number: str, **kw: Any) -> dict[str, Any]:
    return {"name": "Trần Thị Hoa", "id_number": id_number, "phone": "0912345678",
            "symptoms": False, "contact": False, **kw}  # fmt: skip


def declare(server: RegistryServer, body: dict[str, Any]) -> requests.Response:
    return requests.post(
        f"{server.url}/api/v1/declarations", json=body, headers=own_address(), timeout=10
    )


def trust_of(registry: Registry) -> TrustStore:
    pems = PageData(registry.db, 180).trusted_issuer_pems()
    return TrustStore([load_pem_public_key(p.encode()) for p in pems])  # type: ignore[misc]


# ------------------------------------------------------------------ 4: CSV formula injection


def test_a_declared_name_never_opens_as_a_formula_in_the_history_csv(
    registry: Registry, server: RegistryServer
) -> None:
    """Anyone may declare under any name; the controller opens the day's CSV in a spreadsheet.
    Every OWASP payload, declared as a name and shown at a kiosk, comes out as text."""
    kiosk = registry.add_kiosk("v1", "k1")
    controller = registry.add_user("ctl", Role.CONTROLLER, ["v1"])
    trust = trust_of(registry)
    names = [p for p in PRINTABLE if len(p) <= 100]
    records = []
    for n, name in enumerate(names):
        declared = declare(server, person(f"0790950{n:05d}", name=name + " A"))
        assert declared.status_code == 200, declared.text
        shown = verify_pass(declared.json()["pass_text"], trust)
        records.append(
            make_record(
                subject=str(Subject.of_pass(shown.pass_id)),
                masked_name=shown.masked_name,
                id=str(uuid.uuid4()),
                seq=n + 1,
            )
        )
    up = requests.post(
        f"{server.url}/api/v1/records", json={"records": records}, headers=auth(kiosk), timeout=10
    )
    assert up.status_code == 200
    assert {r["status"] for r in up.json()["results"]} == {"accepted"}, up.json()["results"][:2]
    with requests.Session() as s:
        sign_in(s, server.url, controller)
        got = s.get(f"{server.url}/venues/v1/history.csv", timeout=10)
    assert got.status_code == 200
    rows = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig"), newline="")))
    cells = [c for row in rows for c in row]
    assert len(rows) == len(names) + 1
    assert not any(c.lstrip(" \u00a0")[:1] in set("=+-@\t\r\n＝＋－＠") for c in cells), cells
    shown_names = {row[5] for row in rows[1:]}
    assert all(n.startswith("'") for n in shown_names), shown_names
