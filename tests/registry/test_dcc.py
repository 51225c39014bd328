"""DCC signers through the registry: `dcc import`, the signed trust list, a kiosk trusting them."""

from __future__ import annotations

import base64
import json
import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy import select

from checkin_protocol.dcc import HashType
from checkin_protocol.documents import TRUST_LIST, verify_document
from checkin_protocol.keys import load_public_key
from checkin_protocol.reasons import Reason
from checkin_protocol.records import CodeKind, Direction, SubjectKind
from kiosk.app.core import build_core, build_sync, open_store
from kiosk.config import load_config
from kiosk.policy.engine import Verdict
from kiosk.store import NewRecord
from registry.cli import main
from registry.db.models import Record
from registry.service import Registry
from support.dcc_cases import DAY, NOW, issue, make_signer, unsupported_key_der
from support.registry import RegistryServer

# Import judges DSCs by the real clock: these stay valid long after the cases' NOW.
LATER = NOW + 30 * 365 * DAY


def run(registry: Registry, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    settings = registry.settings
    argv = ["--data", str(settings.data_dir), "--db", settings.database_url, *args]
    try:
        code = main(argv)
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_import_forms_and_refusals(
    registry: Registry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    es, ps = (
        make_signer("ES256", key_index=7, valid_until=LATER),
        make_signer("PS256", valid_until=LATER),
    )
    pem = tmp_path / "es.pem"
    pem.write_bytes(x509.load_der_x509_certificate(es.der).public_bytes(Encoding.PEM))
    der = tmp_path / "ps.der"
    der.write_bytes(ps.der)
    expired = make_signer("ES256", valid_from=NOW - 800 * DAY, valid_until=NOW - 400 * DAY)
    gateway = tmp_path / "trustlist.json"
    gateway.write_text(json.dumps([
        {"kid": base64.b64encode(s.kid).decode(), "rawData": base64.b64encode(s.der).decode()}
        for s in (es, expired)
    ]))  # fmt: skip
    code, out, err = run(registry, capsys, "dcc", "import", str(pem), str(der), str(gateway))
    assert code == 0, err
    assert "2 imported, 1 already known, 1 expired skipped" in out
    assert "expired" in err and es.kid.hex() in out
    listed = json.loads(run(registry, capsys, "dcc", "list")[1])
    assert {row["kid"] for row in listed} == {es.kid.hex(), ps.kid.hex()}

    lone = tmp_path / "expired.der"
    lone.write_bytes(expired.der)
    junk = tmp_path / "junk.pem"
    junk.write_text("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    bad_kid = tmp_path / "bad.json"
    raw = base64.b64encode(ps.der).decode()
    bad_kid.write_text(json.dumps([{"kid": "AAAAAAAAAAA=", "rawData": raw}]))
    fifo = tmp_path / "fifo.der"
    os.mkfifo(fifo)
    refusals = [(lone, "expired"), (junk, "junk.pem"), (bad_kid, "is not the certificate")]
    refusals += [(fifo, "fifo.der: not a regular file"), (tmp_path, "not a regular file")]
    for path, says in refusals:
        code, out, err = run(registry, capsys, "dcc", "import", str(pem), str(path))
        assert code == 2 and says in err and "nothing imported" in err and out == ""
        assert "Traceback" not in err
    assert len(json.loads(run(registry, capsys, "dcc", "list")[1])) == 2


def test_a_kiosk_trusts_the_registrys_dscs_and_the_registry_traces_one_person(
    registry: Registry,
    server: RegistryServer,
    venue_dir: Path,
    write_config: Callable[..., Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    signer = make_signer("PS256", valid_until=LATER)
    (tmp_path / "dsc.der").write_bytes(signer.der)
    assert run(registry, capsys, "dcc", "import", str(tmp_path / "dsc.der"))[0] == 0
    registry.add_venue("test-venue", "Test Venue")
    token = registry.add_kiosk("test-venue", "k1")
    fd = os.open(venue_dir / "kiosk.token", os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, token.encode() + b"\n")
    os.close(fd)
    (venue_dir / "lists.pub").write_bytes((registry.settings.keys_dir / "lists.pub").read_bytes())
    cfg = load_config(write_config(
        f"registry: {{url: {server.url}, token_file: kiosk.token, list_key: lists.pub}}\n"
        "policy: {admit_kinds: [dcc]}\n"
    ))  # fmt: skip
    with open_store(cfg.storage) as store:
        core = build_core(cfg, store)
        assert cfg.registry is not None and core.lists is not None
        worker = build_sync(cfg.registry, store, core.lists)
        worker.refresh_lists()
        # The same person: a vaccination and a test certificate, judged at the cases' time.
        for kind in ("v", "t"):
            code = core.reader.read(issue(signer, kind=kind).encode(), NOW)
            decision = core.policy.decide(code, NOW, 0)
            assert decision.verdict is Verdict.PASS, decision
            assert code.subject is not None and code.subject.kind is SubjectKind.SEALED
            new = NewRecord("test-venue", "k1", Direction.ENTRY, CodeKind.DCC, code.subject,
                            code.masked_name, True, decision.verdict, None)  # fmt: skip
            store.add(new, now=time.time(), mono_ns=time.monotonic_ns())
        envelope = store.lists()[TRUST_LIST][1]
        while store.status()["queued"]:
            worker.step()
        # Revoked at the registry by the UVCI's hash: refused, privately, after the next sync.
        vaccination = issue(signer, kind="v").encode()
        cert = core.reader.read(vaccination, NOW).dcc
        assert cert is not None
        for hash_type in ("UCI", "SIGNATURE"):
            revoke = (
                "dcc",
                "revoke",
                cert.uvci_hash(HashType(hash_type)),
                "--hash-type",
                hash_type,
            )
            assert run(registry, capsys, *revoke)[0] == 0
        assert run(registry, capsys, "dcc", "revoke", "nonsense")[0] == 2
        worker.refresh_lists()
        decision = core.policy.decide(core.reader.read(vaccination, NOW), NOW, 0)
        assert decision.reason is Reason.REVOKED and not decision.reason.public
        test_cert = core.reader.read(issue(signer, kind="t").encode(), NOW)
        assert core.policy.decide(test_cert, NOW, 0).verdict is Verdict.PASS
        lift = ("dcc", "revoke", "--lift", cert.uvci_hash(HashType.UCI))
        assert run(registry, capsys, *lift)[0] == 0
    doc = verify_document(envelope, load_public_key(venue_dir / "lists.pub"),
                          expect_type=TRUST_LIST, now=0)  # fmt: skip
    assert [e["kid"] for e in doc.attributes["dcc_signers"]] == [
        base64.b64encode(signer.kid).decode()
    ]
    with registry.session() as s:
        rows = s.execute(select(Record.code_kind, Record.subject, Record.verified)).all()
    assert len(rows) == 2 and {r.code_kind for r in rows} == {"dcc"}
    assert all(r.verified for r in rows)
    subjects = {r.subject for r in rows}
    assert len(subjects) == 1 and next(iter(subjects)).startswith("idh:")  # opened, one person


def test_import_refuses_deep_json_and_unsupported_key_algorithms_with_a_message(
    registry: Registry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 200_000 + "]" * 200_000)
    deep_object = tmp_path / "deep_object.json"
    deep_object.write_text('{"a":' * 100_000 + "1" + "}" * 100_000)
    odd = tmp_path / "odd.der"
    odd.write_bytes(unsupported_key_der(make_signer("ES256", valid_until=LATER)))
    for path, says in [
        (deep, "nested too deeply"),
        (deep_object, "nested too deeply"),
        (odd, "key algorithm is not supported"),
    ]:
        code, out, err = run(registry, capsys, "dcc", "import", str(path))
        assert code == 2 and says in err and path.name in err, err
        assert "Traceback" not in err and out == ""


def test_import_reads_the_german_mirrors_signed_form_and_a_bom_and_refuses_utf16(
    registry: Registry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    es, ps = (
        make_signer("ES256", key_index=8, valid_until=LATER),
        make_signer("PS256", valid_until=LATER),
    )
    listed = json.dumps({"certificates": [
        {"kid": base64.b64encode(s.kid).decode(), "rawData": base64.b64encode(s.der).decode()}
        for s in (es, ps)
    ]})  # fmt: skip
    # The mirror's first line: a base64 ECDSA signature over the JSON (skipped, not verified).
    signature = base64.b64encode(bytes(range(70))).decode()
    forms = {
        "de_signed.json": f"{signature}\n{listed}".encode(),
        "de_signed_crlf.json": f"{signature}\r\n{listed}".encode(),
        "bom.json": b"\xef\xbb\xbf" + listed.encode(),
    }
    for name, data in forms.items():
        (tmp_path / name).write_bytes(data)
        code, out, err = run(registry, capsys, "dcc", "import", str(tmp_path / name))
        assert code == 0, (name, err)
        assert f"{es.kid.hex()}" in out or "2 already known" in out
    assert {row["kid"] for row in json.loads(run(registry, capsys, "dcc", "list")[1])} == {
        es.kid.hex(),
        ps.kid.hex(),
    }
    for name, data in {
        "utf16.json": listed.encode("utf-16"),
        "utf16le.json": listed.encode("utf-16-le"),
        "utf16be.json": listed.encode("utf-16-be"),
    }.items():
        (tmp_path / name).write_bytes(data)
        code, out, err = run(registry, capsys, "dcc", "import", str(tmp_path / name))
        assert code == 2 and "UTF-16" in err and name in err and out == "", err


def test_revoke_and_import_usage_errors_say_what_is_wrong(
    registry: Registry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = "AAAAAAAAAAAAAAAAAAAAAA=="
    for args, says in [
        (["revoke", "abc"], "'abc' is not a DCC hash: 16 bytes in base64"),
        (["revoke", "abc", "--lift"], "'abc' is not a DCC hash"),
        (["revoke", good, "--days", "0"], "'0': a whole number of days, 1 to 3660"),
        (["revoke", good, "--days", "3661"], "1 to 3660"),
        (["revoke", good, "--days", "x"], "1 to 3660"),
        (["import", str(tmp_path / "nonexist.pem")], f"{tmp_path / 'nonexist.pem'}: no such file"),
    ]:
        code, out, err = run(registry, capsys, "dcc", *args)
        assert code == 2 and says in err and out == "", (args, err)
        assert "Traceback" not in err


def test_remove_drops_a_dsc_from_the_next_trust_list(
    registry: Registry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    keep, drop = (
        make_signer("ES256", key_index=9, valid_until=LATER),
        make_signer("ES256", key_index=10, valid_until=LATER),
    )
    for n, signer in enumerate((keep, drop)):
        (tmp_path / f"{n}.der").write_bytes(signer.der)
    assert (
        run(registry, capsys, "dcc", "import", str(tmp_path / "0.der"), str(tmp_path / "1.der"))[0]
        == 0
    )
    key = load_public_key(registry.settings.keys_dir / "lists.pub")

    def trusted() -> tuple[int, list[str]]:
        version, envelope = registry.document(TRUST_LIST)
        doc = verify_document(envelope, key, expect_type=TRUST_LIST, now=0)
        return version, [e["kid"] for e in doc.attributes.get("dcc_signers", [])]

    before, kids = trusted()
    assert sorted(kids) == sorted(base64.b64encode(s.kid).decode() for s in (keep, drop))
    code, out, err = run(registry, capsys, "dcc", "remove", drop.kid.hex().upper())
    assert code == 0 and f"removed 1 DSC with kid {drop.kid.hex()}" in out, err
    after, kids = trusted()
    assert after == before + 1 and kids == [base64.b64encode(keep.kid).decode()]
    assert [row["kid"] for row in json.loads(run(registry, capsys, "dcc", "list")[1])] == [
        keep.kid.hex()
    ]
    code, out, err = run(registry, capsys, "dcc", "remove", drop.kid.hex())
    assert code == 1 and f"no imported DSC with kid {drop.kid.hex()}" in err
    for bad in ("xyz", "0" * 15, "g" * 16):
        code, out, err = run(registry, capsys, "dcc", "remove", bad)
        assert code == 2 and "is not a DSC kid: 16 hex digits" in err and out == ""
