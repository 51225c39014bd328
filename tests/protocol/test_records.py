"""The record, version 1: typed subjects, real times, a round trip through JSON."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from checkin_protocol.messages import UploadRequest
from checkin_protocol.reasons import Reason
from checkin_protocol.records import (
    REASON_PATTERN,
    SUBJECT_PATTERN,
    CheckinRecord,
    CodeKind,
    Subject,
    SubjectKind,
    mask_subject,
)
from checkin_protocol.times import (
    ISO_MS_PATTERN,
    iso_ms,
    parse_duration,
    parse_iso,
    parse_iso_ms,
    utc_iso,
)

VALUES = st.text(alphabet="0123456789abcdefABCDEF_-", min_size=1, max_size=75)


def record(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": str(uuid.uuid4()), "seq": 1, "venue_id": "v1", "kiosk_id": "k1",
        "direction": "entry", "code_kind": "signed_pass", "subject": "pass:" + "ab" * 16,
        "masked_name": "Nguyễn V** A", "verified": True, "verdict": "PASS", "reason": None,
        "manual": False, "created_utc": "2026-11-22T01:02:03.456Z", "created_mono_ns": 1,
        "boot_id": "b",
    }  # fmt: skip
    base.update(fields)
    return base


@given(st.sampled_from(list(SubjectKind)), VALUES)
def test_a_subject_survives_its_text_form(kind: SubjectKind, value: str) -> None:
    if kind is SubjectKind.SEALED:
        value = (value * 72)[:72]  # a sealed value has exactly one length
    subject = Subject(kind, value)
    assert Subject.parse(str(subject)) == subject
    assert re.match(SUBJECT_PATTERN, str(subject))
    assert mask_subject(subject) == f"{kind.value}:{value[:6]}…" == mask_subject(str(subject))


@settings()
@given(st.text(max_size=90))
def test_anything_else_is_not_a_subject(text: str) -> None:
    if re.match(SUBJECT_PATTERN, text) and "\n" not in text:
        assert str(Subject.parse(text)) == text
    else:
        with pytest.raises(ValueError, match="subject"):
            Subject.parse(text)


def test_the_record_round_trips_through_json() -> None:
    r = CheckinRecord.model_validate(record())
    assert isinstance(r.subject, Subject) and r.subject.kind is SubjectKind.PASS
    assert r.code_kind is CodeKind.SIGNED_PASS
    again = CheckinRecord.model_validate_json(r.model_dump_json())
    assert again == r and r.model_dump(mode="json")["subject"] == "pass:" + "ab" * 16


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("created_utc", "2024-02-30T00:00:00.000Z"),  # no such day
        ("created_utc", "0000-01-01T00:00:00.000Z"),
        ("created_utc", "2026-11-22T01:02:03Z"),  # not the one textual form
        ("seq", 2**63),
        ("seq", 0),
        ("created_mono_ns", -1),
        ("venue_id", "v1,v2"),
        ("code_kind", "telepathy"),
        ("subject", "ssn:123"),
        ("reason", "Health Risk!"),
        ("masked_name", "x" * 101),
        ("direction", "sideways"),
    ],
)
def test_a_field_out_of_its_type_is_refused(field: str, value: object) -> None:
    with pytest.raises(ValidationError) as err:
        CheckinRecord.model_validate(record(**{field: value}))
    assert err.value.errors()[0]["loc"][0] == field


def test_unknown_fields_are_refused_not_dropped() -> None:
    with pytest.raises(ValidationError, match="extra"):
        CheckinRecord.model_validate(record(temperature=37.5))


def test_every_reason_code_fits_the_record() -> None:
    assert all(re.match(REASON_PATTERN, r.value) for r in Reason)


def test_the_upload_schema_types_every_record_field() -> None:
    schema = UploadRequest.model_json_schema()
    fields = schema["$defs"]["CheckinRecord"]["properties"]
    assert set(fields) == set(CheckinRecord.model_fields)
    assert fields["subject"]["anyOf"][0]["pattern"] == SUBJECT_PATTERN


@given(st.integers(min_value=0, max_value=253402300799999))
def test_times_round_trip_in_milliseconds(ms: int) -> None:
    assert parse_iso_ms(iso_ms(ms)) == ms
    assert utc_iso(ms / 1000) == iso_ms(ms)


def test_times_need_a_zone_and_durations_a_unit() -> None:
    with pytest.raises(ValueError, match="zone"):
        parse_iso("2026-11-22T01:02:03")
    assert parse_iso("2026-11-22T08:02:03+07:00") == parse_iso("2026-11-22T01:02:03Z")
    assert parse_duration("500ms") == 0.5 and parse_duration("21d") == 21 * 86400
    for bad in (5, True, "5", "5 weeks", ""):
        with pytest.raises(ValueError, match="duration"):
            parse_duration(bad)


@given(st.integers(0, 2**48 - 1), st.integers(0, 2**48 - 1))
def test_new_record_ids_are_valid_uuidv7_ordered_by_time(a: int, b: int) -> None:
    import re
    import uuid

    from checkin_protocol.records import UUID_PATTERN, new_record_id

    first, second = new_record_id(a), new_record_id(b)
    for text, ms in ((first, a), (second, b)):
        assert re.fullmatch(UUID_PATTERN, text)
        parsed = uuid.UUID(text)
        assert parsed.version == 7 and parsed.variant == uuid.RFC_4122
        assert parsed.int >> 80 == ms
    if a < b:
        assert first < second  # as text too: the registry's indexes sort them so


@given(
    st.lists(
        st.integers(min_value=-62_135_596_800_000, max_value=253_402_300_799_999),
        min_size=2,
        max_size=2,
    )
)
def test_iso_ms_has_the_one_form_and_sorts_as_text_in_every_year(values: list[int]) -> None:
    texts = [iso_ms(v) for v in values]
    assert all(re.fullmatch(ISO_MS_PATTERN, t) for t in texts), texts
    assert (texts[0] < texts[1]) == (values[0] < values[1])
    assert iso_ms(-30_641_760_000_000) == "0999-01-01T00:00:00.000Z"
