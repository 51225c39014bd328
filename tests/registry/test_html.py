"""The pages over real HTTP: what a request carries is shown as text, never as markup."""

from __future__ import annotations

import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from registry.auth import Role
from registry.service import Registry
from support.registry import RegistryServer, form_token, sign_in


def test_sign_in_page_escapes_its_next_target(registry: Registry, server: RegistryServer) -> None:
    evil = '/x"><script>alert(1)</script>'
    page = requests.get(f"{server.url}/login", params={"next": evil}, timeout=10).text
    assert "<script>alert(1)" not in page
    assert 'value="/x&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in page
    with requests.Session() as s:
        refused = sign_in(s, server.url, "wrong", next=evil)
    assert refused.status_code == 401 and "<script>alert(1)" not in refused.text


def test_sign_in_goes_to_this_site_only(registry: Registry, server: RegistryServer) -> None:
    token = registry.add_user("ctl", Role.CONTROLLER, ["v1"])
    for target, expected in (("/venues/v1", "/venues/v1"), ("//evil.example/", "/")):
        with requests.Session() as s:
            r = sign_in(s, server.url, token, next=target)
        assert r.status_code == 303 and r.headers["Location"] == expected


def test_dashboard_gets_its_venue_as_a_data_attribute(
    registry: Registry, server: RegistryServer
) -> None:
    token = registry.add_user("boss", Role.ADMIN)
    with requests.Session() as s:
        sign_in(s, server.url, token)
        page = s.get(f"{server.url}/venues/v1", timeout=10).text
        odd = s.get(f"{server.url}/venues/v%22%3Cb%3E", timeout=10)
    assert '<body class="dashboard" data-venue="v1">' in page and "<script>" not in page
    # Not a venue id at all: no page (and nothing of it echoed).
    assert odd.status_code == 404 and 'v"<b>' not in odd.text


def test_declaration_form_lists_the_fields_to_check(server: RegistryServer) -> None:
    with requests.Session() as s:
        csrf = form_token(s, f"{server.url}/declare")
        r = s.post(
            f"{server.url}/declare",
            data={"name": "<b>X</b>", "id_number": "12", "phone": "0912345678", "csrf": csrf},
            timeout=10,
        )
    assert r.status_code == 422
    assert 'id="error"' in r.text and "id_number" in r.text and "<b>X</b>" not in r.text


def test_admin_forms_refuse_strangers_and_missing_tokens(
    registry: Registry, server: RegistryServer
) -> None:
    admin = registry.add_user("boss", Role.ADMIN)
    controller = registry.add_user("ctl", Role.CONTROLLER, ["v1"])
    posts = {
        "/admin/users": {"data": {"name": "x", "role": "admin"}},
        "/admin/users/disable": {"data": {"name": "ctl"}},
        "/admin/users/reset": {"data": {"name": "ctl"}},
        "/admin/badges": {"files": {"people": ("p.csv", b"Nguyen Van An\n", "text/csv")}},
    }
    with requests.Session() as s:
        for path, body in posts.items():  # not signed in: to the sign-in page
            r = s.post(f"{server.url}{path}", **body, allow_redirects=False, timeout=10)  # type: ignore[arg-type]
            assert r.status_code == 303 and r.headers["Location"].startswith("/login")
        sign_in(s, server.url, controller)
        for path, body in posts.items():  # another role: no
            assert s.post(f"{server.url}{path}", **body, timeout=10).status_code == 403  # type: ignore[arg-type]
    with requests.Session() as s:
        sign_in(s, server.url, admin)
        for path, body in posts.items():  # no form token: no
            assert s.post(f"{server.url}{path}", **body, timeout=10).status_code == 403  # type: ignore[arg-type]
        csrf = form_token(s, f"{server.url}/admin/badges")
        # No file at all: a 4xx, not a crash.
        r = s.post(f"{server.url}/admin/badges", data={"csrf": csrf}, timeout=10)
        assert 400 <= r.status_code < 500
        assert (
            s.post(
                f"{server.url}/admin/users/disable", data={"csrf": csrf, "name": "boss"}, timeout=10
            ).status_code
            == 409
        )
        assert (
            s.post(
                f"{server.url}/admin/users/reset", data={"csrf": csrf, "name": "nobody"}, timeout=10
            ).status_code
            == 404
        )
    assert registry.caller(controller) is not None  # nothing above changed anyone


def test_any_new_user_form_is_answered_never_a_crash(
    registry: Registry, server: RegistryServer
) -> None:
    admin = registry.add_user("boss", Role.ADMIN)
    with requests.Session() as s:
        sign_in(s, server.url, admin)
        csrf = form_token(s, f"{server.url}/admin/badges")

        @settings(max_examples=50)
        @given(
            name=st.text(max_size=120),
            role=st.sampled_from(["admin", "controller", "health_officer", "kiosk", "", "x"]),
            venues=st.text(max_size=80),
        )
        def attempt(name: str, role: str, venues: str) -> None:
            r = s.post(
                f"{server.url}/admin/users",
                data={"csrf": csrf, "name": name, "role": role, "venues": venues},
                timeout=10,
            )
            assert r.status_code in (200, 409, 422), r.status_code
            if r.status_code == 200:
                assert 'id="token"' in r.text

        attempt()


def test_odd_page_parameters_are_answered_not_crashed_on(
    registry: Registry, server: RegistryServer
) -> None:
    admin = registry.add_user("boss", Role.ADMIN)
    with requests.Session() as s:
        sign_in(s, server.url, admin)
        for area in ("", "Hà Nội", "Hà Nội|Hoàn Kiếm", "|", "x" * 210, "\x00|\ud7ff", "<b>|</b>"):
            r = s.get(f"{server.url}/admin", params={"area": area}, timeout=10)
            assert r.status_code == 200 and "<b>|</b>" not in r.text
        too_long = s.get(f"{server.url}/admin", params={"area": "x" * 211}, timeout=10)
        assert too_long.status_code == 422
        live = f"{server.url}/venues/v1/live.json"
        assert s.get(live, params={"chart": "2"}, timeout=10).status_code == 422
        assert s.get(live, params={"chart": "1"}, timeout=10).json()["chart"].startswith("<figure")
