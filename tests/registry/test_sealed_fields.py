"""A declaration's name, phone and answers are sealed at rest under a key outside the
database: a copy of the database reads only the masked name; the person's export reads all."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from registry.core.sealed_fields import open_fields, seal_fields
from registry.core.subjects import Lookup, RequestKind
from registry.keys import RegistryKeys
from registry.service import Registry
from support.registry import RegistryServer, own_address

PERSON = {"name": "Trần Thị Hoa", "id_number": "001090012345", "phone": "0912345678",
          "symptoms": True, "contact": False, "consent": "2026-01"}  # fmt: skip


def test_a_copy_of_the_database_reads_no_name_phone_or_answer(
    registry: Registry, server: RegistryServer
) -> None:
    r = requests.post(f"{server.url}/api/v1/declarations", json=PERSON, headers=own_address(),
                      timeout=10)  # fmt: skip
    assert r.status_code == 200, r.text
    with registry.engine.connect() as c:
        rows = [dict(row._mapping) for row in c.exec_driver_sql("SELECT * FROM declarations")]
    dump = json.dumps(rows, ensure_ascii=False, default=str)
    assert "Trần Thị Hoa" not in dump and "0912345678" not in dump and "912 345" not in dump
    assert rows[0]["name"] == "Trần T** H"
    assert rows[0]["phone"] is None and rows[0]["symptoms"] is None and rows[0]["contact"] is None
    assert (registry.settings.keys_dir / "declarations.key").stat().st_mode & 0o077 == 0
    # The person's own copy has them all.
    answer = registry.subjects.answer("ops", RequestKind.EXPORT, Lookup.PASS, r.json()["pass_id"])
    [held] = answer.held.declarations
    assert (held["name"], held["phone"], held["symptoms"], held["contact"]) == (
        "Trần Thị Hoa", "0912345678", True, False,
    )  # fmt: skip


def test_another_key_or_a_damaged_value_opens_nothing(tmp_path: Path) -> None:
    mine, theirs = RegistryKeys(tmp_path / "a"), RegistryKeys(tmp_path / "b")
    mine.create()
    theirs.create()
    sealed = seal_fields(mine, {"phone": "0912345678"})
    assert open_fields(mine, sealed) == {"phone": "0912345678"}
    assert open_fields(theirs, sealed) is None
    flipped = sealed[:20] + ("A" if sealed[20] != "A" else "B") + sealed[21:]
    assert open_fields(mine, flipped) is None
    assert open_fields(mine, "not base64 at all!") is None
    # A fresh nonce each time: the same answers never look alike.
    assert seal_fields(mine, {"phone": "1"}) != seal_fields(mine, {"phone": "1"})


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> RegistryKeys:
    made = RegistryKeys(tmp_path_factory.mktemp("sealed"))
    made.create()
    return made


@given(
    name=st.text(min_size=1, max_size=100),
    phone=st.from_regex(r"\+?[0-9 ]{8,16}", fullmatch=True),
    symptoms=st.booleans(),
    contact=st.booleans(),
)
def test_whatever_is_declared_comes_back_as_it_was(
    keys: RegistryKeys, name: str, phone: str, symptoms: bool, contact: bool
) -> None:
    fields = {"name": name, "phone": phone, "symptoms": symptoms, "contact": contact}
    assert open_fields(keys, seal_fields(keys, fields)) == fields
