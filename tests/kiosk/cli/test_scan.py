"""`kiosk scan --text` on DCCs (generated ES256 and PS256 certificates), as an admin runs it."""

from __future__ import annotations

import io
import json
import os
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checkin_protocol.reasons import Reason
from checkin_protocol.times import utc_iso
from kiosk.policy.engine import Verdict
from support.cli import run_kiosk
from support.dcc_cases import (
    DAY,
    NOW,
    bad_subject_der,
    bomb,
    good_parts,
    issue,
    make_signer,
    unsupported_key_der,
)

AT = utc_iso(NOW)


# In this process, answering as the program would; a second of start-up saved per command.
kiosk = run_kiosk


def scan(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return run_kiosk("scan", *args, stdin=stdin)


def dcc_config(write_config: Callable[..., Path], venue_dir: Path, extra: str = "") -> Path:
    dscs = venue_dir / "dscs"
    dscs.mkdir(exist_ok=True)
    for n, signer in enumerate(
        [make_signer("ES256"), make_signer("PS256"), make_signer("ES256", ("t",))]
    ):
        (dscs / f"dsc{n}.der").write_bytes(signer.der)
    # The fixture's trust line is replaced: issuer keys and DSCs, DCCs admitted.
    path = write_config(
        "policy: {admit_kinds: [signed_pass, dcc]}\n" + extra, camera="{type: none}"
    )
    text = path.read_text().replace(
        "trust: {issuer_keys: [issuer.pub], subject_key: subject.key}",
        "trust: {issuer_keys: [issuer.pub], dcc_signers: [dscs]}",
    )
    path.write_text(text)
    return path


def test_dcc_texts_judged_at_the_given_time(
    write_config: Callable[..., Path], venue_dir: Path
) -> None:
    es, ps = make_signer("ES256"), make_signer("PS256")
    tests_only = make_signer("ES256", ("t",))
    unknown = make_signer("ES256", key_index=5)
    forged = good_parts(es)
    forged.signature = bytes(64)
    payloads = [
        issue(es),  # PASS
        issue(ps),  # PASS
        issue(es, forged),  # bad_signature
        issue(unknown),  # unknown_issuer
        issue(tests_only),  # key_usage: a vaccination signed by a test-only DSC
        issue(es, good_parts(es, iat=NOW + 3 * DAY)),  # not_yet_valid
        bomb(),  # malformed
        "HC1:not base45 at all!",  # malformed
    ]
    config = str(dcc_config(write_config, venue_dir))
    out = scan("--config", config, "--at", AT, "--json", "--text", "-",
               stdin="\n".join(payloads) + "\n")  # fmt: skip
    assert out.returncode == 1, out.stderr
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert [line["input"] for line in lines] == [f"text {n}" for n in range(1, 9)]
    assert [line["reason"] for line in lines] == [
        None, None, "bad_signature", "unknown_issuer", "key_usage", "not_yet_valid",
        "malformed", "malformed",
    ]  # fmt: skip
    good = lines[0]["codes"][0]
    assert good["code_kind"] == "dcc" and good["verified"] and good["birth_year"] == 1964
    assert good["masked_name"] == "Smi-Jansen E** M" and lines[0]["at"] == AT
    # The same certificate 200 days later: expired; and the PASS alone exits 0.
    later = utc_iso(NOW + 200 * DAY)
    expired = scan("--config", config, "--at", later, "--json", "--text", issue(es))
    assert expired.returncode == 1 and json.loads(expired.stdout)["reason"] == "dcc_expired"
    ok = scan("--config", config, "--at", AT, "--text", issue(es), "--text", issue(ps))
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.splitlines()[1].startswith("text 2: PASS dcc Smi-Jansen E** M, born 1964")


def test_timed_lines_are_each_judged_at_their_own_time(
    write_config: Callable[..., Path], venue_dir: Path
) -> None:
    text = issue(make_signer("ES256"))
    later = utc_iso(NOW + 200 * DAY)
    lines = f"{AT}\t{text}\n{later}\t{text}\n2021-05-03T18:00:00\t{text}\nno tab here\n"
    config = str(dcc_config(write_config, venue_dir))
    out = scan("--config", config, "--json", "--timed", "--text", "-", stdin=lines)
    got = [json.loads(line) for line in out.stdout.splitlines()]
    assert [(g["at"], g["reason"]) for g in got] == [
        (AT, None),
        (later, "dcc_expired"),
        ("2021-05-03T18:00:00.000Z", "not_yet_valid"),  # no zone: UTC, before the DSC
        (got[3]["at"], "bad_input"),
    ]
    assert out.returncode == 1
    alone = kiosk("scan", "--config", config, "--timed", "--text", text)
    assert alone.returncode == 2 and "--timed needs --text -" in alone.stderr


def test_dcc_rules_are_private_reasons(write_config: Callable[..., Path], venue_dir: Path) -> None:
    es = make_signer("ES256")
    config = dcc_config(write_config, venue_dir, "")
    text = config.read_text().replace(
        "policy: {admit_kinds: [signed_pass, dcc]}",
        "policy: {admit_kinds: [dcc], dcc: {accept: [vaccination], test: {max_hours: 48}}}",
    )
    config.write_text(text)
    out = scan("--config", str(config), "--at", AT, "--json",
               "--text", issue(es, kind="t"), "--text", issue(es))  # fmt: skip
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert [line["reason"] for line in lines] == ["dcc_type_not_accepted", None]


def test_at_sets_the_clock_for_passes_and_opening_hours(
    write_config: Callable[..., Path], venue_dir: Path, make_pass: Callable[..., str]
) -> None:
    hours = "policy: {opening_hours: [{days: mon-sun, open: '08:00', close: '18:00'}]}\n"
    config = str(write_config(hours, camera="{type: none}"))
    text = make_pass()
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%d")
    runs = {
        f"{tomorrow}T10:00:00+07:00": "PASS",
        f"{tomorrow}T03:00:00+07:00": "FAIL closed",
        "2020-01-01T10:00:00+07:00": "PASS",  # the pass has no start; its expiry is ahead
        "2099-01-01T10:00:00+07:00": "FAIL expired",
    }
    for at, want in runs.items():
        out = scan("--config", config, "--at", at, "--json", "--text", text)
        line = json.loads(out.stdout)
        assert " ".join(filter(None, [line["verdict"], line["reason"]])) == want, at
        assert out.returncode == (0 if want == "PASS" else 1)


def test_scan_usage_errors(write_config: Callable[..., Path], venue_dir: Path) -> None:
    config = str(dcc_config(write_config, venue_dir))
    assert kiosk("scan", "--config", config).returncode == 2  # no input
    both = kiosk("scan", "--config", config, "--text", "x", str(venue_dir / "a.png"))
    assert both.returncode == 2 and "not both" in both.stderr
    bad_time = kiosk("scan", "--config", config, "--at", "yesterday", "--text", "x")
    assert bad_time.returncode == 2 and "not an ISO date/time" in bad_time.stderr


def still_verifies(config: Path) -> None:
    """The good DSCs beside a skipped one still verify: a DCC they signed PASSes."""
    from kiosk.app.core import build_core
    from kiosk.cli.scan import Scanner
    from kiosk.config import load_config

    core = build_core(load_config(config), None)
    text = issue(make_signer("ES256"), good_parts(make_signer("ES256"), iat=NOW - 60))
    decision = Scanner(core, None, NOW).decide(text.encode(), NOW)
    assert (decision.verdict, decision.reason) == (Verdict.PASS, None)


def test_a_bad_dsc_file_is_skipped_with_a_warning_naming_it(
    write_config: Callable[..., Path], venue_dir: Path
) -> None:
    """One DSC the kiosk cannot use never refuses the trust folder, nor stops the door."""
    config = dcc_config(write_config, venue_dir)
    junk = venue_dir / "dscs" / "junk.pem"
    junk.write_text("-----BEGIN CERTIFICATE-----\nnope\n")
    out = kiosk("check-config", str(config))
    assert out.returncode == 0, out.stderr
    (line,) = [ln for ln in out.stderr.splitlines() if "junk.pem" in ln]
    assert line.startswith(f"{config}:5: trust.dcc_signers[0]: warning: {junk}: not a valid PEM")
    assert line.endswith("skipped, the other DSCs are used")
    still_verifies(config)


def test_dcc_admitted_without_any_signer_is_a_config_error(
    write_config: Callable[..., Path],
) -> None:
    from kiosk.config import load_config
    from kiosk.config.yamlfile import ConfigError

    path = write_config("policy: {admit_kinds: [dcc]}\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value) == f"{path}:5: trust.dcc_signers: dcc is admitted but no DSC is trusted"


def test_a_fifo_among_the_signers_is_skipped_unread(
    write_config: Callable[..., Path], venue_dir: Path
) -> None:
    config = dcc_config(write_config, venue_dir)
    os.mkfifo(venue_dir / "dscs" / "pipe.pem")  # opened, it would block for ever
    out = kiosk("check-config", str(config))
    assert out.returncode == 0, out.stderr
    assert "pipe.pem: not a regular file; skipped" in out.stderr
    still_verifies(config)


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(line=st.one_of(st.binary(max_size=300), st.text(max_size=200).map(str.encode)))
def test_any_line_gives_one_result_in_both_forms(
    write_config: Callable[..., Path], venue_dir: Path, line: bytes
) -> None:
    from kiosk.app.core import build_core
    from kiosk.cli.scan import Scanner, run_scan, text_inputs
    from kiosk.config import load_config

    core = build_core(load_config(dcc_config(write_config, venue_dir)), None)
    scanner = Scanner(core, None, NOW)
    stdin = io.TextIOWrapper(io.BytesIO(line.replace(b"\n", b" ") + b"\n"))
    for timed in (False, True):
        for as_json in (False, True):
            out = io.StringIO()
            stdin.seek(0)
            status = run_scan(
                scanner, text_inputs(["-"], stdin, timed=timed), as_json=as_json, out=out
            )
            said = out.getvalue().splitlines()
            assert len(said) == 1 and status in (0, 1)
            if as_json:
                assert json.loads(said[0])["verdict"] in ("PASS", "FAIL")


def test_an_id_card_is_shown_masked_never_whole(
    write_config: Callable[..., Path], venue_dir: Path
) -> None:
    from kiosk.app.core import build_core
    from kiosk.cli.scan import Scanner, run_scan, text_inputs
    from kiosk.config import load_config

    card = "001090012345|123456789|NGUYỄN VĂN AN|01011990|Nam|Số 1, Phố Huế, Hà Nội|01012021"
    config = write_config("policy: {admit_kinds: [cccd]}\n", camera="{type: none}")
    scanner = Scanner(build_core(load_config(config), None), None, NOW)
    for as_json in (False, True):
        out = io.StringIO()
        assert run_scan(scanner, text_inputs([card], io.StringIO()), as_json=as_json, out=out) == 0
        said = out.getvalue()
        assert "Nguyễn V** A" in said and "1990" in said
        assert "001090012345" not in said and "NGUYỄN VĂN AN" not in said and "Phố Huế" not in said


def test_a_dsc_with_an_unsupported_key_algorithm_is_skipped_with_a_warning(
    write_config: Callable[..., Path], venue_dir: Path
) -> None:
    config = dcc_config(write_config, venue_dir)
    (venue_dir / "dscs" / "odd.der").write_bytes(unsupported_key_der(make_signer("ES256")))
    out = kiosk("check-config", str(config))
    assert out.returncode == 0 and "Traceback" not in out.stderr, out.stderr
    (line,) = [ln for ln in out.stderr.splitlines() if "odd.der" in ln]
    assert line.startswith(f"{config}:5: trust.dcc_signers[0]: warning: ")
    assert "key algorithm is not supported" in line
    still_verifies(config)


class _Endless(io.RawIOBase):
    """A line of `size` bytes of "A" made as it is read (never held), then `tail`."""

    def __init__(self, size: int, tail: bytes) -> None:
        self.left, self.tail = size, tail

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if self.left > 0:
            n = min(len(view), self.left)
            view[:n] = b"A" * n
            self.left -= n
            return n
        n = min(len(view), len(self.tail))
        view[:n], self.tail = self.tail[:n], self.tail[n:]
        return n


@settings(deadline=None)
@given(
    extra=st.integers(min_value=1, max_value=3 * 4296),
    timed=st.booleans(),
    ends=st.sampled_from([b"\n", b"\r\n", b""]),
)
def test_a_line_longer_than_any_qr_payload_fails_alone_and_is_never_held_whole(
    extra: int, timed: bool, ends: bytes
) -> None:
    from kiosk.cli.scan import MAX_LINE, TIMED_PREFIX, text_inputs

    limit = MAX_LINE + TIMED_PREFIX * timed
    stream = io.BufferedReader(
        _Endless(limit + extra, (b"\r\n" if ends == b"\r\n" else b"\n") + b"next" + ends)
    )
    items = list(text_inputs(["-"], io.TextIOWrapper(stream), timed=timed))
    assert [i.name for i in items] == ["text 1", "text 2"]
    assert items[0].error == f"line longer than {limit} bytes" and items[0].payload is None
    if not timed:
        assert items[1].payload == b"next"


def test_an_endless_line_on_standard_input_is_read_in_bounded_memory() -> None:
    import tracemalloc

    from kiosk.cli.scan import text_inputs

    stream = io.BufferedReader(_Endless(50_000_000, b"\n"))
    tracemalloc.start()
    try:
        items = list(text_inputs(["-"], io.TextIOWrapper(stream)))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [i.error for i in items] == ["line longer than 4296 bytes"]
    assert peak < 1_000_000  # a few pieces of MAX_LINE, not the 50 MB line


def test_an_at_outside_the_years_1_to_9999_in_utc_is_a_usage_error(
    write_config: Callable[..., Path], venue_dir: Path
) -> None:
    config = str(dcc_config(write_config, venue_dir))
    for at in ("0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-14:00"):
        out = kiosk("scan", "--config", config, "--at", at, "--text", "x")
        assert out.returncode == 2 and "outside the years 1 to 9999" in out.stderr, out.stderr
        assert "Traceback" not in out.stderr


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    moment=st.datetimes(
        timezones=st.builds(
            lambda m: timezone(timedelta(minutes=m)), st.integers(-14 * 60 + 1, 14 * 60 - 1)
        )
    )
    | st.datetimes(),
    edge=st.sampled_from(
        [
            "",
            "0001-01-01T00:00:00+01:00",
            "9999-12-31T23:59:59-14:00",
            "0001-01-03T00:00:00Z",
            "9999-12-29T00:00:00Z",
            "0001-01-01T00:00:00Z",  # in UTC, yet the venue's day before is in year 0
            "9999-12-31T20:00:00Z",  # in UTC, yet already year 10000 in Hanoi
        ]
    ),
)
def test_any_time_given_is_judged_or_refused_never_a_crash(
    write_config: Callable[..., Path], venue_dir: Path, moment: datetime, edge: str
) -> None:
    import argparse

    from kiosk.app.core import build_core
    from kiosk.cli.options import scan_at
    from kiosk.cli.scan import Scanner, run_scan, text_inputs
    from kiosk.config import load_config

    text = edge or moment.isoformat()
    try:
        at = scan_at(text)
    except argparse.ArgumentTypeError as exc:
        assert "outside the years 1 to 9999" in str(exc)
    else:
        assert utc_iso(at)[:4].isdigit()
    dcc = Scanner(build_core(load_config(dcc_config(write_config, venue_dir)), None), None, NOW)
    # An ID card never expires: it reaches the opening hours, judged on the venue's local days.
    hours = (
        "policy: {admit_kinds: [cccd], "
        "opening_hours: [{days: [mon], open: '22:00', close: '02:00'}]}\n"
    )
    card = Scanner(
        build_core(load_config(write_config(hours, camera="{type: none}")), None), None, NOW
    )
    id_card = "001090012345|123456789|NGUYỄN VĂN AN|01011990|Nam|Số 1, Phố Huế, Hà Nội|01012021"
    for scanner, payload in ((dcc, issue(make_signer("ES256"))), (card, id_card)):
        stdin = io.TextIOWrapper(io.BytesIO(f"{text}\t{payload}\n".encode()))
        out = io.StringIO()
        run_scan(scanner, text_inputs(["-"], stdin, timed=True), as_json=True, out=out)
        line = json.loads(out.getvalue())
        assert line["verdict"] in ("PASS", "FAIL")
        assert line["reason"] != "bad_input" or line["error"] == "not ISO-TIME<TAB>PAYLOAD"


def png_header(width: int, height: int) -> bytes:
    """A grayscale PNG that claims `width`×`height` and holds one empty row: a bomb's header
    without the bomb (the size is what must be read before decoding)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\0" * (width + 1))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@settings(deadline=None)
@given(width=st.integers(1, 60_000), height=st.integers(1, 60_000))
def test_an_image_is_judged_by_its_header_size_before_decoding(
    tmp_path_factory: pytest.TempPathFactory, width: int, height: int
) -> None:
    from kiosk.cli.scan import MAX_PIXELS, image_problem

    path = tmp_path_factory.mktemp("png") / "claims.png"
    path.write_bytes(png_header(width, height))
    problem = image_problem(path)
    if width * height > MAX_PIXELS:
        assert problem is not None and problem.startswith("image larger than 24 megapixels")
    else:
        assert problem is None


def test_a_fifo_a_folder_and_a_decompression_bomb_are_refused_unread(
    write_config: Callable[..., Path], venue_dir: Path
) -> None:
    fifo = venue_dir / "pipe.png"
    os.mkfifo(fifo)  # opened, it would block for ever
    bomb_png = venue_dir / "bomb.png"
    bomb_png.write_bytes(png_header(20_000, 20_000))  # 400 megapixels decoded
    config = str(dcc_config(write_config, venue_dir))
    out = scan("--config", config, "--json", str(fifo), str(venue_dir), str(bomb_png))
    assert out.returncode == 1 and "Traceback" not in out.stderr
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert [(line["reason"], line["error"]) for line in lines] == [
        ("unreadable_image", "not a regular file"),
        ("unreadable_image", "not a regular file"),
        ("unreadable_image", "image larger than 24 megapixels"),
    ]


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(skew=st.integers(0, 3600), ahead=st.integers(1, 3600))
def test_the_venues_clock_skew_forgives_a_dcc_issued_ahead_of_the_kiosk_clock(
    write_config: Callable[..., Path], venue_dir: Path, skew: int, ahead: int
) -> None:
    from kiosk.app.core import build_core
    from kiosk.cli.scan import Scanner
    from kiosk.config import load_config

    config = dcc_config(write_config, venue_dir)
    config.write_text(
        config.read_text().replace(
            "[signed_pass, dcc]}", f"[signed_pass, dcc], clock_skew: {skew}s}}"
        )
    )
    core = build_core(load_config(config), None)
    text = issue(make_signer("ES256"), good_parts(make_signer("ES256"), iat=NOW + ahead))
    decision = Scanner(core, None, NOW).decide(text.encode(), NOW)
    want = (Verdict.PASS, None) if ahead <= skew else (Verdict.FAIL, Reason.NOT_YET_VALID)
    assert (decision.verdict, decision.reason) == want


def test_signer_folders_with_no_certificate_file_are_config_errors_naming_them(
    write_config: Callable[..., Path], venue_dir: Path
) -> None:
    from kiosk.config import load_config
    from kiosk.config.yamlfile import ConfigError

    config = dcc_config(write_config, venue_dir)
    (venue_dir / "odd").mkdir()
    (venue_dir / "odd" / "readme.txt").write_text("the DSCs go here\n")
    (venue_dir / "empty").mkdir()
    text = config.read_text()
    for signers, says in [
        ("[empty]", f"{venue_dir / 'empty'}: no certificate in this folder"),
        ("[dscs, odd]", f"{venue_dir / 'odd'}: no certificate in this folder"),
    ]:
        config.write_text(text.replace("dcc_signers: [dscs]", f"dcc_signers: {signers}"))
        with pytest.raises(ConfigError) as info:
            load_config(config)
        assert str(info.value).startswith(f"{config}:5: trust.dcc_signers: {says}"), info.value


def test_a_named_signer_the_kiosk_cannot_use_is_a_warning_that_no_dcc_will_pass(
    write_config: Callable[..., Path], venue_dir: Path
) -> None:
    config = dcc_config(write_config, venue_dir)
    bad = venue_dir / "bad_subject.der"
    bad.write_bytes(bad_subject_der(make_signer("ES256")))
    config.write_text(
        config.read_text().replace("dcc_signers: [dscs]", "dcc_signers: [bad_subject.der]")
    )
    out = kiosk("check-config", str(config))
    assert out.returncode == 0, out.stderr
    lines = out.stderr.splitlines()
    assert (
        f"{config}:5: trust.dcc_signers[0]: warning: {bad}: not a valid X.509 certificate"
        in (lines[0])
    )
    assert any("no DSC can be used: every DCC will be refused" in ln for ln in lines), lines


def test_an_expired_signer_is_a_warning_and_the_config_still_passes(
    write_config: Callable[..., Path], venue_dir: Path
) -> None:
    config = dcc_config(write_config, venue_dir)
    old = make_signer("ES256", valid_from=NOW - 800 * DAY, valid_until=NOW - 400 * DAY)
    (venue_dir / "dscs" / "old.der").write_bytes(old.der)
    out = kiosk("check-config", str(config))
    assert out.returncode == 0, out.stderr
    # The other DSCs expire a year after the tests' NOW: by the real clock, they may have.
    assert (
        f"{config}:5: trust.dcc_signers[0]: warning: DSC {old.kid.hex()} in "
        f"{venue_dir / 'dscs'} expired on {utc_iso(NOW - 400 * DAY)[:10]}; "
        "it verifies no certificate"
    ) in out.stderr.splitlines()
    assert all(": warning: DSC " in line for line in out.stderr.splitlines())
    assert "OK" in out.stdout


@pytest.mark.parametrize("end", [b"\n", b"\r\n"], ids=["LF", "CRLF"])
def test_a_line_of_exactly_the_limit_is_read_whatever_its_end(end: bytes) -> None:
    from kiosk.cli.scan import MAX_LINE, text_inputs

    full = b"HC1:" + b"A" * (MAX_LINE - 4)
    over = b"A" * (MAX_LINE + 1)
    stdin = io.TextIOWrapper(io.BytesIO(full + end + over + end + over + end + full))
    items = list(text_inputs(["-"], stdin))
    too_long = f"line longer than {MAX_LINE} bytes"
    assert [(i.payload, i.error) for i in items] == [
        (full, None), (None, too_long), (None, too_long), (full, None)
    ]  # fmt: skip
