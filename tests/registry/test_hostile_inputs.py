"""Every endpoint, any body and query: a 4xx with a reason, never a 5xx (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlencode

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry.auth import Role
from registry.service import Registry
from support.registry import RegistryServer, form_token, make_record

# Bounded: each endpoint gets this many examples per database, which keeps the whole file
# well under a minute per database on two shared cores.
EXAMPLES = 60
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Text as hostile as JSON can carry: NUL and other controls, lone surrogates, any plane.
hostile_text = (
    st.text(st.characters(exclude_categories=()), max_size=40)
    # Dense in what breaks databases and encoders, so 40 examples meet it.
    | st.text(st.sampled_from("\x00\x01\x1f\x7f\ud800\udfff\ufeffaé1:,/"), max_size=12)
) | st.sampled_from(
    ["\x00", "a\x00b", "\ud800", "v1,v2", "2024-02-30T00:00:00.000Z", "0000-01-01T00:00:00.000Z",
     "9999-12-31T23:59:59.999Z", "pass:" + "a" * 75, "x" * 5000, "", " ", "../..", "%00"]
)  # fmt: skip
big_ints = st.sampled_from([2**31, 2**31 - 1, -(2**31) - 1, 2**63, 2**63 - 1, -(2**63) - 1, 2**64,
                            10**30, -1, 0])  # fmt: skip
scalars = st.none() | st.booleans() | st.integers() | big_ints | st.floats() | hostile_text
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(hostile_text, inner, max_size=3),
    max_leaves=8,
)


def mutated(base: dict[str, Any]) -> st.SearchStrategy[Any]:
    """A valid body with some fields replaced by anything, some dropped, some added."""
    return st.builds(
        lambda changes, dropped, extra: {
            **{k: v for k, v in base.items() if k not in dropped},
            **changes,
            **extra,
        },
        st.dictionaries(
            st.sampled_from(sorted(base)), hostile_text | big_ints | json_values, max_size=2
        ),
        st.sets(st.sampled_from(sorted(base)), max_size=2),
        st.dictionaries(hostile_text, json_values, max_size=1),
    )


def one_field(base: dict[str, Any], keys: list[str] | None = None) -> st.SearchStrategy[Any]:
    """A valid body with one field set to something hostile of about its kind: the rest valid,
    so the value gets as far as the database."""

    def value_for(current: Any) -> st.SearchStrategy[Any]:
        if isinstance(current, bool):
            return json_values
        if isinstance(current, int):
            return big_ints | json_values
        return hostile_text | hostile_text | json_values

    return st.sampled_from(keys or sorted(base)).flatmap(
        lambda key: value_for(base[key]).map(lambda value: {**base, key: value})
    )


def record_like() -> st.SearchStrategy[Any]:
    # Built per example: each record needs its own id to get as far as the database.
    # Free text first: it is what reaches the database unchecked by the protocol's model.
    return st.builds(lambda: make_record()).flatmap(
        lambda r: one_field(r, ["masked_name", "boot_id"]) | one_field(r) | mutated(r)
    )


def raw(text: str) -> str:
    """Percent-encoded as bytes: lone surrogates go out as the invalid UTF-8 they are."""
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


def form(fields: dict[str, str]) -> str:
    return urlencode({k: v.encode("utf-8", "surrogatepass") for k, v in fields.items()})


def an_address() -> dict[str, str]:
    n = uuid.uuid4().int
    return {"X-Forwarded-For": f"10.{n % 250}.{n // 250 % 250}.{n // 62500 % 250 + 1}"}


class Client:
    """Requests against the real server, each answer checked for a 5xx."""

    def __init__(self, server: RegistryServer) -> None:
        self.url = server.url
        self.http = requests.Session()

    def check(self, method: str, path: str, **kw: Any) -> requests.Response:
        if "json" in kw:
            # Serialised here: NaN and Infinity go out as Python writes them (not JSON, but a
            # JSON parser in Python reads them), lone surrogates as \ud800 escapes.
            kw["data"] = json.dumps(kw.pop("json"), allow_nan=True)
            kw["headers"] = {"Content-Type": "application/json", **kw.get("headers", {})}
        r = self.http.request(method, self.url + path, timeout=30, **kw)
        assert r.status_code < 500, (method, path, r.status_code, r.text[:300])
        if r.status_code >= 400 and r.headers.get("content-type", "").startswith(
            "application/json"
        ):
            assert r.json()["detail"], "a refusal says why"
        return r


def tokens(registry: Registry) -> dict[str, str]:
    return {
        "kiosk": registry.add_kiosk("v1", "k1"),
        "admin": registry.add_user("boss", Role.ADMIN),
        "controller": registry.add_user("ctl", Role.CONTROLLER, ["v1"]),
        "officer": registry.add_user("doc", Role.HEALTH_OFFICER),
    }


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.slow
def test_kiosk_endpoints_never_fail(registry: Registry, server: RegistryServer) -> None:
    t, c = tokens(registry), Client(server)
    kiosk = bearer(t["kiosk"])

    @FUZZ
    @given(
        st.lists(record_like(), min_size=1, max_size=8),
        st.none() | st.integers() | big_ints | hostile_text,
        json_values,
    )
    def upload(records: list[Any], offset: Any, anything: Any) -> None:
        r = c.check("POST", "/api/v1/records", json={"clock_offset_ms": offset, "records": records},
                    headers=kiosk)  # fmt: skip
        if r.status_code == 200:
            # One bad record never costs the others: every record gets its own answer.
            assert len(r.json()["results"]) == len(records)
        c.check("POST", "/api/v1/records", json=anything, headers=kiosk)

    beat = {"version": "1.0", "queue_depth": 0, "last_decision": "x", "clock_offset_ms": 0,
            "trust_version": 1, "deny_version": 1}  # fmt: skip

    @FUZZ
    @given(one_field(beat) | mutated(beat), st.from_regex(r"\A[!-~]{1,40}\Z"))
    def heartbeat_and_lists(body: Any, etag: str) -> None:
        c.check("POST", "/api/v1/heartbeat", json=body, headers=kiosk)
        for name in ("trust", "deny"):
            c.check("GET", f"/api/v1/lists/{name}", headers={**kiosk, "If-None-Match": etag})

    upload()
    heartbeat_and_lists()


@pytest.mark.slow
def test_people_endpoints_never_fail(registry: Registry, server: RegistryServer) -> None:
    t, c = tokens(registry), Client(server)
    csrf = form_token(c.http, f"{server.url}/declare")

    def declaration() -> dict[str, Any]:
        # An ID number of its own each time: the per-ID limit (and other tests' use of the
        # shared server) must not turn every later example into a 429.
        return {"name": "Trần Thị Hoa", "id_number": f"0010{uuid.uuid4().int % 10**8:08d}",
                "phone": "0912345678", "symptoms": False, "contact": False,
                "consent": "2026-01"}  # fmt: skip

    @FUZZ
    @given(st.builds(declaration).flatmap(
               lambda d: one_field(d, ["name"]) | one_field(d) | mutated(d)),
           st.dictionaries(
        st.sampled_from(["name", "id_number", "phone", "symptoms", "contact", "consent",
                         "token", "next", "csrf"]),
        hostile_text, max_size=5))  # fmt: skip
    def declarations_and_forms(body: Any, fields: dict[str, str]) -> None:
        c.check("POST", "/api/v1/declarations", json=body, headers=an_address())
        # With the form's CSRF token, so the fields get as far as the form's checks.
        fields = {"csrf": csrf, **fields}
        headers = {"Content-Type": "application/x-www-form-urlencoded", **an_address()}
        c.check("POST", "/declare", data=form(fields), headers=headers)
        c.check("POST", "/login", data=form(fields), headers=headers, allow_redirects=False)
        c.check("GET", "/login?next=" + raw(fields.get("next", "")))

    @FUZZ
    @given(hostile_text, hostile_text, hostile_text, hostile_text, st.sampled_from(sorted(t)))
    def queries(subject: str, window: str, since: str, venue: str, who: str) -> None:
        auth = bearer(t[who])
        q = f"subject={raw(subject)}&window_minutes={raw(window)}&since={raw(since)}"
        c.check("GET", f"/api/v1/tracing?{q}&reason={raw(venue)}", headers=auth)
        c.check("GET", f"/api/v1/stats?days={raw(window)}", headers=auth)
        page = f"limit={raw(window)}&after_venue={raw(venue)}&after_day={raw(since)}"
        c.check("GET", f"/api/v1/stats?{page}", headers=auth)
        c.check("GET", f"/api/v1/venues/{raw(venue)}/live", headers=auth)
        c.check("GET", f"/venues/{raw(venue)}", headers=auth, allow_redirects=False)
        c.check("GET", f"/api/v1/deny?kind={raw(venue)}&limit={raw(window)}", headers=auth)
        c.check("DELETE", f"/api/v1/deny/{raw(subject)}", headers=auth)
        c.check("GET", "/api/v1/status", headers=auth)
        c.check("GET", "/api/v1/audit", headers=auth)

    officer_body = {"id_number": "001090012345", "reason_code": "health_order", "days": 3,
                    "public": False}  # fmt: skip

    @FUZZ
    @given(mutated(officer_body))
    def deny(body: Any) -> None:
        c.check("POST", "/api/v1/deny", json=body, headers=bearer(t["officer"]))

    runs: list[Callable[[], None]] = [declarations_and_forms, queries, deny]
    for run in runs:
        run()


def test_a_bad_record_is_refused_alone_with_a_reason(
    registry: Registry, server: RegistryServer
) -> None:
    kiosk = bearer(registry.add_kiosk("v1", "k1"))
    bad = [
        make_record(masked_name="Nguyễn\x00V** A"),
        make_record(boot_id="b\x01"),
        make_record(created_utc="2024-02-30T00:00:00.000Z"),
        make_record(created_utc="0000-01-01T00:00:00.000Z"),
        make_record(seq=2**63),
        make_record(masked_name="\ud800"),
    ]
    good = make_record()
    r = requests.post(f"{server.url}/api/v1/records", json={"records": [*bad, good]},
                      headers=kiosk, timeout=10)  # fmt: skip
    assert r.status_code == 200
    results = r.json()["results"]
    assert [x["status"] for x in results] == ["rejected"] * len(bad) + ["accepted"]
    assert all(x["reason"] for x in results[:-1])
    beat = requests.post(f"{server.url}/api/v1/heartbeat", json={"version": "1\x00"},
                         headers=kiosk, timeout=10)  # fmt: skip
    assert beat.status_code == 422 and "version" in beat.text
    big = requests.post(f"{server.url}/api/v1/heartbeat", json={"queue_depth": 2**31},
                        headers=kiosk, timeout=10)  # fmt: skip
    assert big.status_code == 422


def test_a_refused_declaration_leaves_no_pass(registry: Registry, server: RegistryServer) -> None:
    from sqlalchemy import func, select

    from registry.db.models import IssuedPass

    for name in ("Trần\ud800", "Trần\x00Hoa"):
        r = requests.post(
            f"{server.url}/api/v1/declarations",
            json={"name": name, "id_number": "001090012345", "phone": "0912345678",
                  "symptoms": False, "contact": False, "consent": "2026-01"},
            headers=an_address(),
            timeout=10,
        )  # fmt: skip
        assert r.status_code == 422
    with registry.session() as s:
        assert s.scalar(select(func.count()).select_from(IssuedPass)) == 0


def test_the_server_log_holds_no_personal_data(registry: Registry, server: RegistryServer) -> None:
    kiosk = bearer(registry.add_kiosk("v1", "k1"))
    requests.post(f"{server.url}/api/v1/records",
                  json={"records": [make_record(masked_name="Phạm Bí Mật\x00")]},
                  headers=kiosk, timeout=10)  # fmt: skip
    requests.post(f"{server.url}/api/v1/declarations",
                  json={"name": "Phạm Bí Mật", "id_number": "001090077777",
                        "phone": "0987654321", "symptoms": True, "contact": False,
                        "consent": "2026-01"},
                  headers=an_address(), timeout=10)  # fmt: skip
    log = server.log.read_text(errors="replace")
    for secret in ("Bí Mật", "001090077777", "0987654321"):
        assert secret not in log
