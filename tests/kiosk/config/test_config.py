"""Venue config: strict models, durations, and every error reported as FILE:LINE: key: message."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from checkin_protocol.records import Direction
from checkin_protocol.times import parse_duration
from kiosk.config import Config, OpenCVCameraConfig, ReplayCameraConfig, load_config
from kiosk.config.yamlfile import ConfigError, read_yaml
from kiosk.passes.model import CodeKind
from support.cli import run_kiosk, run_kiosk_process

REPO = Path(__file__).resolve().parents[3]


def issues_of(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    return [str(i) for i in exc.value.issues]


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("500ms", 0.5), ("30s", 30), ("5m", 300), ("24h", 86400), ("21d", 21 * 86400), ("1.5s", 1.5)],
)
def test_durations_parse(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("bad", [30, "30", "30 sec", "-5s", "", True, None])
def test_durations_need_a_unit(bad: object) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(bad)


def test_minimal_config_loads_with_defaults_and_resolved_paths(
    write_config: Callable[..., Path], venue_dir: Path
) -> None:
    cfg = load_config(write_config())
    assert isinstance(cfg.camera, ReplayCameraConfig)
    assert cfg.camera.path == venue_dir / "frames"
    assert cfg.storage.path == venue_dir / "kiosk.db"
    # Older configs name a subject key; it is accepted (and no longer read or created).
    assert cfg.trust.subject_key == venue_dir / "subject.key"
    assert not cfg.trust.subject_key.exists()
    assert cfg.kiosk.direction is Direction.ENTRY
    assert cfg.policy.admit_kinds == [CodeKind.SIGNED_PASS]
    assert cfg.storage.retention == 21 * 86400
    assert cfg.decoder.type == "zxing-cpp"
    assert cfg.decoder.repeat_window == 5.0


def test_example_config_is_valid(tmp_path: Path) -> None:
    """The documented example must load once the files it names exist."""
    from checkin_protocol.keys import generate_key, write_public_key

    text = (REPO / "config" / "venue.example.yaml").read_text(encoding="utf-8")
    text = text.replace("/var/lib/qr-kiosk/kiosk.db", "kiosk.db")
    (tmp_path / "keys").mkdir()
    write_public_key(tmp_path / "keys" / "issuer.pub", generate_key().public_key())
    (tmp_path / "venue.yaml").write_text(text, encoding="utf-8")
    cfg = load_config(tmp_path / "venue.yaml")
    assert cfg.camera.type == "picamera2"
    assert cfg.venue.timezone == "Asia/Ho_Chi_Minh"


def test_example_deny_list_is_valid() -> None:
    from kiosk.config.trust import DenyFile
    from kiosk.config.yamlfile import load_model

    entries = load_model(REPO / "config" / "denylist.example.yaml", DenyFile).root
    assert len(entries) == 4
    assert entries[3].dcc_hash == "U1zFOW6XmvHVjCK/zKbzRg=="  # a DCC entry, as the README shows


def test_opencv_camera_by_device_path(write_config: Callable[..., Path]) -> None:
    cfg = load_config(
        write_config(camera="{type: opencv, device: /dev/video2, width: 1280, height: 720}")
    )
    assert isinstance(cfg.camera, OpenCVCameraConfig)
    assert cfg.camera.device == "/dev/video2"


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (
            "policy: {admit_kinds: [signed_pass, qr_whatever]}\n",
            ":7: policy.admit_kinds[1]: 'qr_whatever' is not one of signed_pass, national_qr, "
            "cccd, dcc",
        ),
        (
            "policy: {admit_kinds: [signed_pass, cccdd]}\n",
            "policy.admit_kinds[1]: 'cccdd' is not one of signed_pass, national_qr, cccd, dcc "
            "— did you mean cccd?",
        ),
        ("policy: {max_occupancy: 0}\n", ":7: policy.max_occupancy: must be at least 1"),
        ("policy: {clock_skew: 5}\n", ":7: policy.clock_skew: a duration needs a unit"),
        ("policy: {clock_skew: 2h}\n", ":7: policy.clock_skew: must be at most 3600"),
        ("polcy: {}\n", ":7: polcy: unknown key (a typo?) — did you mean policy?"),
        ("log_level: loud\n", ":7: log_level: 'loud' is not one of debug, info, warning, error"),
        (
            "policy: {max_occupancy: two hundred}\n",
            ":7: policy.max_occupancy: must be a whole number, e.g. 200 (got 'two hundred')",
        ),
        ("guard: {max_pin_digits: 6.5}\n", "guard.max_pin_digits: must be a whole number, e.g."),
        (
            "policy: {exit_checks: ful}\n",
            "policy.exit_checks: 'ful' is not one of record_only, full — did you mean full?",
        ),
        ("policy: {identity: {expired_cards: allow}}\n", "'allow' is not one of refuse, warn"),
        ("policy: {admit_kinds: cccd}\n", "policy.admit_kinds: must be a list: [a, b]"),
        ("readers: [{type: serial, device: /dev/ttyACM0, baud: .inf}]\n", "readers[0].baud:"),
        ('guard: {admit_reasons: ["a\\tb"]}\n', "must be text without control characters"),
        ("peers: {listen: '0.0.0.0:7700', addresses: [], secret_file: [x]}\n", "must be a path"),
        (
            "policy:\n  opening_hours:\n    - {days: mon-fri, open: '07:00', close: '25:00'}\n",
            ":9: policy.opening_hours[0].close:",
        ),
        (
            "policy:\n  opening_hours:\n    - {days: weekdays, open: '07:00', close: '19:00'}\n",
            ":9: policy.opening_hours[0].days[0]:",
        ),
    ],
)
def test_errors_name_file_line_and_key(
    write_config: Callable[..., Path], extra: str, expected: str
) -> None:
    path = write_config(extra)
    found = issues_of(path)
    assert any(i.startswith(str(path)) and expected in i for i in found), found


def test_unknown_camera_type_is_reported_at_its_line(write_config: Callable[..., Path]) -> None:
    path = write_config(camera="{type: webcam9000}")
    (issue,) = issues_of(path)
    assert issue.startswith(f"{path}:3: camera:")
    assert "replay" in issue and "opencv" in issue and "picamera2" in issue


def test_missing_sections_and_keys(tmp_path: Path) -> None:
    path = tmp_path / "v.yaml"
    path.write_text("venue:\n  name: No Id\n", encoding="utf-8")
    found = issues_of(path)
    assert f"{path}:1: venue.id: required key is missing" in found  # the mapping that lacks it
    assert f"{path}:1: kiosk: required key is missing" in found
    assert f"{path}:1: camera: required key is missing" in found


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("venue:\n  id: a\n\tname: b\n", 3, "a tab character: indent with spaces"),
        ("venue:\n  id: a\n  name b\n  timezone: UTC\n", 3, "a key without ':' after it"),
        ("venue:\n  id: a\n  name b\n", 3, "a key without ':' after it"),
        ("venue:\n    id: a\n  name: b\n", 3, "indentation?"),
        ("venue:\n  id: a\n   name: b\n", 3, "indentation?"),
        ("venue: {id: a: b}\n", 1, "a value in it has ': ': quote it"),
        ("venue:\n  id: a: b\n", 2, "quote a value that contains ': '"),
        ("venue:\n  id: [a, b\nkiosk: {}\n", 2, "the list opened here with '[' is not closed"),
        ("venue:\n  id: {a: b\nkiosk: {}\n", 2, "the mapping opened here with '{' is not"),
        ('venue:\n  name: "Toà nhà\nkiosk: {}\n', 2, "no closing quote"),
        ("venue:\n  name: @home\n", 2, "a value cannot start with '@': put the value in quotes"),
        ("venue:\n  name: & x\n", 2, "'&' and '*' start YAML anchors"),
        ("venue:\n  name: *x\n", 2, "'*' starts a YAML alias"),
        ("venue:\n  name: |x\n", 2, "'|' and '>' start a block of text"),
        ("venue:\n  name: !x y\n", 2, "'!' starts a YAML tag"),
        ("venue:\n  id: a\n  - b\n", 3, "indentation?"),
        ("venue:\n  id: a\nkiosk: - b\n", 3, "a '- item' where it cannot be"),
        ("venue: [a, , b]\n", 1, "a value is missing here"),
    ],
)
def test_yaml_mistakes_in_plain_words_at_their_own_line(
    tmp_path: Path, text: str, line: int, words: str
) -> None:
    path = tmp_path / "v.yaml"
    path.write_text(text, encoding="utf-8")
    (issue,) = issues_of(path)
    assert issue.startswith(f"{path}:{line}: (file): YAML syntax: ") and words in issue, issue
    assert "token" not in issue and "<block" not in issue and "scalar" not in issue


PARSER_WORDS = ("token", "scalar", "<block", "node content", "chomping", "URI", "constructor",
                "<document", "alphabetic", "unhashable", "simple key")  # fmt: skip
EXAMPLE = (REPO / "config" / "venue.example.yaml").read_text(encoding="utf-8")
YAML_MARKS = list(":\t\"'[]{}-#&*!|>%@`,? \n")


@settings(deadline=None, max_examples=300)
@given(
    edits=st.lists(
        st.tuples(st.floats(0, 1), st.sampled_from(["insert", "delete", "replace"]),
                  st.sampled_from(YAML_MARKS)),
        min_size=1, max_size=3,
    )
)  # fmt: skip
def test_any_yaml_mistake_in_the_example_is_told_in_plain_words(
    tmp_path_factory: pytest.TempPathFactory, edits: list[tuple[float, str, str]]
) -> None:
    """The example config with a few YAML marks typed in, deleted or replaced anywhere: a valid
    file, or one FILE:LINE issue within the file, in words an admin reads."""
    text = list(EXAMPLE)
    for where, op, mark in edits:
        at = min(int(where * len(text)), len(text) - 1)
        if op == "insert":
            text.insert(at, mark)
        elif op == "delete":
            del text[at]
        else:
            text[at] = mark
    path = tmp_path_factory.mktemp("yaml") / "venue.yaml"
    path.write_text("".join(text), encoding="utf-8")
    try:
        read_yaml(path)
    except ConfigError as exc:
        (issue,) = exc.issues
        assert 1 <= issue.line <= len(text) and issue.message.startswith("YAML"), issue
        event(issue.message[:40])
        assert not any(w in issue.message for w in PARSER_WORDS), issue.message


@pytest.mark.parametrize("kind", ["manual", "unknown"])
def test_a_record_s_kinds_are_not_offered_as_formats(
    write_config: Callable[..., Path], kind: str
) -> None:
    (issue,) = issues_of(write_config(f"policy: {{admit_kinds: [signed_pass, {kind}]}}\n"))
    assert f"{kind} is not a code format" in issue
    other = issues_of(write_config("policy: {admit_kinds: [passport]}\n"))
    assert "manual" not in other[0] and "unknown" not in other[0], other


@pytest.mark.parametrize("kinds", ["[cccd]", "[signed_pass, national_qr]", "[signed_pass, dcc]"])
def test_categories_with_a_kind_that_carries_none_are_refused(
    write_config: Callable[..., Path], kinds: str
) -> None:
    """Every card would FAIL "category None": a config check-config passed, refusing a kind."""
    path = write_config(f"policy:\n  admit_kinds: {kinds}\n  admit_categories: [staff]\n")
    found = issues_of(path)
    assert any(
        i.startswith(f"{path}:9: policy.admit_categories: ") and "carry no category" in i
        for i in found
    ), found
    load_config(write_config("policy: {admit_kinds: [signed_pass], admit_categories: [staff]}\n"))


def test_a_misspelt_category_is_warned_of(write_config: Callable[..., Path]) -> None:
    path = write_config("policy: {admit_categories: [staff, vistor]}\n")
    result = run_kiosk("check-config", str(path))
    assert f"{path}:7: policy.admit_categories[1]: warning: 'vistor'" in result.stderr
    assert "did you mean visitor?" in result.stderr and "'staff'" not in result.stderr


def test_yaml_syntax_error_has_a_line(tmp_path: Path) -> None:
    path = tmp_path / "v.yaml"
    path.write_text("venue:\n  id: a\n  name: [unclosed\nkiosk: {}\n", encoding="utf-8")
    (issue,) = issues_of(path)
    assert issue.startswith(f"{path}:") and "YAML syntax" in issue
    assert int(issue.split(":")[1]) >= 3


def test_duplicate_keys_are_errors(write_config: Callable[..., Path]) -> None:
    path = write_config("log_level: info\nlog_level: debug\n")
    assert f"{path}:8: log_level: duplicate key" in issues_of(path)


def test_unreadable_and_non_utf8_files(tmp_path: Path) -> None:
    assert "cannot read file" in issues_of(tmp_path / "missing.yaml")[0]
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes(b"venue: {name: \xe9}\n")
    assert "not UTF-8" in issues_of(bad)[0]


def test_alias_bombs_are_refused(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 7):
        prev = f"*a{i - 1}"
        lines.append(f"a{i}: &a{i} [{', '.join([prev] * 10)}]")
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert "too large" in issues_of(path)[0]


def test_signed_pass_needs_a_trusted_key(venue_dir: Path) -> None:
    path = venue_dir / "v.yaml"
    path.write_text(
        "venue: {id: v, name: V}\nkiosk: {id: k}\n"
        "camera: {type: replay, path: frames}\ntrust:\n  issuer_keys: []\n",
        encoding="utf-8",
    )
    assert f"{path}:5: trust.issuer_keys: signed_pass is admitted but no issuer key is trusted" in (
        issues_of(path)
    )


def test_issuer_key_file_must_be_a_public_key(
    write_config: Callable[..., Path], venue_dir: Path
) -> None:
    (venue_dir / "issuer.pub").write_text("not a key\n", encoding="utf-8")
    path = write_config()
    assert any(
        ":5: trust.issuer_keys: " in i and "not a PEM public key" in i for i in issues_of(path)
    )


def test_bad_deny_list_is_reported_in_its_own_file(
    write_config: Callable[..., Path], venue_dir: Path
) -> None:
    deny = venue_dir / "deny.yaml"
    deny.write_text("- pass_id: abc\n  reason: x\n- qid: Q1234567\n", encoding="utf-8")
    path = write_config()
    text = path.read_text().replace(
        "subject_key: subject.key", "subject_key: subject.key, deny_list: deny.yaml"
    )
    path.write_text(text)
    found = issues_of(path)
    assert any(i.startswith(f"{deny}:1: [0].pass_id:") for i in found), found
    assert any(i.startswith(f"{deny}:3: [1].reason: required key is missing") for i in found), found


def test_bad_time_zone(write_config: Callable[..., Path]) -> None:
    path = write_config()
    path.write_text(
        path.read_text().replace("name: Test Venue}", "name: T, timezone: Mars/Olympus}")
    )
    assert any(":1: venue.timezone: unknown time zone" in i for i in issues_of(path))


def test_check_config_program_exits_2_without_traceback(write_config: Callable[..., Path]) -> None:
    # The process-level check: `python -m kiosk check-config` itself, its exit status.
    path = write_config("policy: {max_occupancy: -1}\n")
    proc = run_kiosk_process("check-config", str(path))
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"{path}:7: policy.max_occupancy: ")
    assert "Traceback" not in proc.stderr
    ok = run_kiosk("check-config", str(write_config(name="good.yaml")))  # in this process
    assert ok.returncode == 0, ok.stderr


# ------------------------------------------------------------------ any value at any key


def _leaves(data: object, path: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    if isinstance(data, dict) and data:
        return [p for k, v in data.items() for p in _leaves(v, (*path, k))]
    if isinstance(data, list) and data:
        return [p for i, v in enumerate(data) for p in _leaves(v, (*path, i))]
    return [path]


_TRICKY = [
    "7:30", "19:00", "07:00", "0755", "yes", "off", "1e400", ".nan", "1s", "-5s", "0s",
    "500ms", "1e400s", "", " ", "/dev/zero", "/", "keys", "pipe", "a\x00b", "~", "null",
    "http://", "http://x y", "mon-sun", "sun-mon", "99:99", "signed_pass", "picamera2",
]  # fmt: skip

_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from(_TRICKY)
    | st.text(max_size=12)
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=8,
)


# Raw YAML written where the value goes, so that what a person types unquoted is covered too:
# YAML 1.1 surprises, tags, anchors and aliases, and fragments of syntax.
_RAW = st.sampled_from(
    [
        "7:30", "19:00", "07:00", "0755", "0x1f", "yes", "No", "on", "OFF", "y", "~", ".nan",
        "-.inf", "1e400", "1_000", "2024-01-01", "!!python/object:os.system {}", "!!binary eA==",
        "!!timestamp 2024-01-01", "!!set {a}", "&a [*a]", "*nowhere", "[", "{a: [}", "'x",
        "<<: {a: 1}", "!!float nan", "!!int '1'", "|", ">-", "- x", "? x", "!custom x", "@x",
    ]
) | st.text(alphabet=st.sampled_from("ab1:-[]{}&*!|>'\"#%@,? ."), max_size=10)  # fmt: skip


@pytest.fixture(scope="module")
def example_dir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    import os

    import yaml

    from checkin_protocol.keys import generate_key, write_public_key

    folder = tmp_path_factory.mktemp("example")
    (folder / "keys").mkdir()
    write_public_key(folder / "keys" / "issuer.pub", generate_key().public_key())
    os.mkfifo(folder / "pipe")  # a key file or config named "pipe" must not block
    text = (REPO / "config" / "venue.example.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text.replace("/var/lib/qr-kiosk/kiosk.db", "kiosk.db"))
    return folder, data


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_value_at_any_key_loads_or_is_a_file_line_error(
    example_dir: tuple[Path, dict[str, object]], data: st.DataObject
) -> None:
    """Replace one value of the example anywhere: a valid Config or FILE:LINE issues, no crash."""
    import copy
    import signal

    import yaml

    folder, example = example_dir
    tree = copy.deepcopy(example)
    path = data.draw(st.sampled_from(_leaves(tree)), label="path")
    raw = data.draw(st.none() | _RAW, label="raw")
    value = "__HOLE__" if raw is not None else data.draw(_VALUES, label="value")
    parent: Any = tree
    for part in path[:-1]:
        parent = parent[part]
    parent[path[-1]] = value
    target = folder / "venue.yaml"
    # libyaml's dumper: the tree as YAML in a fraction of the pure-Python dumper's time.
    text = yaml.dump(tree, Dumper=yaml.CSafeDumper, allow_unicode=True, sort_keys=False)
    target.write_text(text.replace("__HOLE__", raw or ""), encoding="utf-8")

    def hung(*_: object) -> None:
        raise TimeoutError("load_config hung")

    old = signal.signal(signal.SIGALRM, hung)
    signal.alarm(20)  # a hang fails this example instead of stalling the suite
    try:
        cfg = load_config(target)
    except ConfigError as exc:
        event("refused")
        assert exc.issues
        for issue in exc.issues:
            assert issue.file == str(target) and issue.line >= 1, issue
    else:
        event("loaded")
        assert isinstance(cfg, Config)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def test_deny_list_id_numbers_are_text_however_written(tmp_path: Path) -> None:
    from kiosk.config.trust import DenyFile
    from kiosk.config.yamlfile import load_model

    path = tmp_path / "deny.yaml"
    path.write_text(
        "- {id_number: 001090012345, reason: a}\n- {id_number: 123456789, reason: b}\n"
        "- {qid: 12345678, reason: c}\n",
        encoding="utf-8",
    )
    entries = load_model(path, DenyFile).root
    assert [e.id_number for e in entries[:2]] == ["001090012345", "123456789"]
    assert entries[2].qid == "12345678"
    path.write_text("- {id_number: ١٢٣٤٥٦٧٨٩, reason: other digits}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_model(path, DenyFile)
    assert str(exc.value).startswith(f"{path}:1: [0].id_number: ")


def test_signed_pass_without_local_keys_is_allowed_with_a_registry(venue_dir: Path) -> None:
    # The registry's signed trust list brings the issuer keys.
    token = venue_dir / "registry.token"
    token.write_text("t0k3n\n", encoding="utf-8")
    token.chmod(0o600)
    (venue_dir / "lists.pub").write_bytes((venue_dir / "issuer.pub").read_bytes())
    path = venue_dir / "v.yaml"
    path.write_text(
        "venue: {id: v, name: V}\nkiosk: {id: k}\n"
        "camera: {type: replay, path: frames}\ntrust:\n  issuer_keys: []\n"
        "registry: {url: 'https://reg.example', token_file: registry.token, list_key: lists.pub}\n",
        encoding="utf-8",
    )
    cfg = load_config(path)  # no ConfigError
    assert cfg.trust.issuer_keys == [] and cfg.registry is not None


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("'https://a.example'", None),
        ("['https://a.example', 'https://b.example/']", None),
        ("[]", "registry.url: must not be empty"),
        ("['https://a.example', 'https://a.example/']", "registry.url: a URL is listed twice"),
        (
            "['https://a.example', 'ftp://b.example']",
            "registry.url[1]: must be an http:// or https:// URL",
        ),
    ],
)
def test_the_registry_is_one_url_or_a_list_of_its_hosts(
    venue_dir: Path, url: str, problem: str | None
) -> None:
    token = venue_dir / "registry.token"
    token.write_text("t0k3n\n", encoding="utf-8")
    token.chmod(0o600)
    (venue_dir / "lists.pub").write_bytes((venue_dir / "issuer.pub").read_bytes())
    path = venue_dir / "v.yaml"
    path.write_text(
        "venue: {id: v, name: V}\nkiosk: {id: k}\ncamera: {type: replay, path: frames}\n"
        f"registry: {{url: {url}, token_file: registry.token, list_key: lists.pub}}\n",
        encoding="utf-8",
    )
    if problem is None:
        cfg = load_config(path)
        assert cfg.registry is not None and cfg.registry.url[0] == "https://a.example"
        return
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    assert str(exc.value).startswith(f"{path}:4: {problem}"), str(exc.value)
