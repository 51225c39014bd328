"""Consent where consent is the basis: the declaration's unticked box, its versioned text, the
evidence kept with the declaration and erased with it (Nghị định 356/2025/NĐ-CP, Điều 4, 6)."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
import requests
from sqlalchemy import select

from registry.core.consent import CURRENT, TEXTS
from registry.core.subjects import Lookup, RequestKind
from registry.db.models import Declaration
from registry.service import Registry
from support.registry import RegistryServer, form_token, own_address

PERSON = {"name": "Trần Thị Hoa", "id_number": "001090012345", "phone": "0912345678",
          "symptoms": False, "contact": False}  # fmt: skip


def post(server: RegistryServer, body: dict[str, Any]) -> requests.Response:
    return requests.post(
        f"{server.url}/api/v1/declarations", json=body, headers=own_address(), timeout=10
    )


def test_the_api_refuses_health_answers_without_the_current_consent(
    registry: Registry, server: RegistryServer
) -> None:
    shown = requests.get(f"{server.url}/api/v1/consent", timeout=10).json()
    assert shown == {"version": CURRENT, "vi": TEXTS[CURRENT][0], "en": TEXTS[CURRENT][1]}
    for consent, why in ((None, "tick the consent box"), ("2025-12", "not the current text")):
        body = PERSON if consent is None else {**PERSON, "consent": consent}
        refused = post(server, body)
        assert refused.status_code == 422 and why in refused.json()["detail"], refused.text
    with registry.session() as s:
        assert s.scalars(select(Declaration)).all() == []
    before = time.time() * 1000
    given = post(server, {**PERSON, "consent": shown["version"]})
    assert given.status_code == 200
    with registry.session() as s:
        row = s.scalars(select(Declaration)).one()
    assert row.consent_version == CURRENT
    assert row.consent_ms is not None and before - 1000 <= row.consent_ms <= time.time() * 1000
    # The evidence goes with the declaration when the person asks for erasure.
    registry.subjects.answer("ops", RequestKind.ERASE, Lookup.PASS, given.json()["pass_id"])
    with registry.session() as s:
        assert s.scalars(select(Declaration)).all() == []


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_form_shows_an_unticked_box_and_says_why_without_it(
    registry: Registry, server: RegistryServer, lang: str
) -> None:
    with requests.Session() as s:
        page = s.get(f"{server.url}/declare?lang={lang}", timeout=10).text
        box = re.search(r'<input id="consent"[^>]*>', page)
        assert box and "checked" not in box.group(0) and f'value="{CURRENT}"' in box.group(0)
        text = TEXTS[CURRENT][0 if lang == "vi" else 1]
        assert text in page and f"({CURRENT})" in page
        csrf = form_token(s, f"{server.url}/declare")
        form = {**PERSON, "symptoms": "no", "contact": "no", "csrf": csrf}
        refused = s.post(f"{server.url}/declare", data=form, headers=own_address(), timeout=10)
        assert refused.status_code == 422 and 'id="consent-error"' in refused.text
        words = "Vui lòng đánh dấu ô đồng ý" if lang == "vi" else "Please tick the consent box"
        assert words in refused.text
        # What was typed comes back; the box stays as it was (unticked).
        assert 'value="Trần Thị Hoa"' in refused.text
        assert "checked" not in re.search(r'<input id="consent"[^>]*>', refused.text).group(0)  # type: ignore[union-attr]
        ok = s.post(
            f"{server.url}/declare",
            data={**form, "consent": CURRENT},
            headers=own_address(),
            timeout=10,
        )
        assert ok.status_code == 200 and 'id="result"' in ok.text
    with registry.session() as db:
        assert db.scalars(select(Declaration.consent_version)).all() == [CURRENT]


def test_every_consent_text_is_in_both_languages_and_names_what_it_covers() -> None:
    for version, (vi, en) in TEXTS.items():
        assert re.fullmatch(r"[0-9]{4}-[0-9]{2}", version)
        for word in ("sức khỏe", "số điện thoại", "rút lại", "xóa"):
            assert word in vi
        for word in ("health", "phone", "withdraw", "erased"):
            assert word in en
