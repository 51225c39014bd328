"""`kiosk sync` and `kiosk enroll` against a registry answering every status, garbage and
silence: each gets one clear line and its documented exit status, never a traceback."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from checkin_protocol.keys import generate_key, write_public_key
from kiosk.store import RecordStore
from support.cli import run_kiosk
from support.kiosk_sync import add_records


@dataclass(frozen=True)
class Answer:
    status: int = 200
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = (("Content-Type", "application/json"),)
    delay: float = 0.0  # seconds before answering: past the client's read timeout
    cut: bool = False  # promise more body than is sent, then close


@dataclass
class Script:
    """What the registry answers, by the start of the request's path; `default` otherwise."""

    default: Answer
    by_path: dict[str, Answer] = field(default_factory=dict)
    seen: list[str] = field(default_factory=list)

    def answer(self, path: str) -> Answer:
        self.seen.append(path)
        return next((a for p, a in self.by_path.items() if path.startswith(p)), self.default)


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server

    def _reply(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        answer = self.server.script.answer(self.path)
        if answer.delay:
            time.sleep(answer.delay)
        self.send_response(answer.status)
        for name, value in answer.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer.body) + (1000 if answer.cut else 0)))
        self.end_headers()
        self.wfile.write(answer.body)
        if answer.cut:
            self.close_connection = True

    do_GET = do_POST = _reply

    def log_message(self, format: str, *args: object) -> None:
        del format, args


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    script: Script

    def handle_error(self, request: object, client_address: object) -> None:
        # A client that gave up (its read timeout) breaks the pipe: the server's business,
        # and printed it would land in the command's stderr under test.
        del request, client_address


@pytest.fixture
def registry_at() -> Iterator[Callable[[Script], str]]:
    servers: list[_Server] = []

    def start(script: Script) -> str:
        server = _Server(("127.0.0.1", 0), _Handler)
        server.script = script
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


JSON = (("Content-Type", "application/json"),)
HTML = (("Content-Type", "text/html"),)
STATUSES = [400, 401, 403, 404, 405, 409, 410, 413, 415, 422, 429, 500, 501, 502, 503, 504]
GARBAGE: dict[str, Answer] = {
    "not JSON": Answer(200, b"<html>captive portal</html>", HTML),
    "empty": Answer(200, b""),
    "a JSON list": Answer(200, b"[1, 2, 3]"),
    "a JSON string": Answer(200, b'"ok"'),
    "null": Answer(200, b"null"),
    "an empty object": Answer(200, b"{}"),
    "wrong types": Answer(200, b'{"server_time": 5, "results": "all", "occupancy": []}'),
    "nested deep": Answer(200, b"[" * 100_000 + b"]" * 100_000),
    "a huge number": Answer(200, b'{"server_time": 1' + b"0" * 5000 + b"}"),
    "binary": Answer(200, bytes(range(256)) * 4, (("Content-Type", "application/octet-stream"),)),
    "not UTF-8": Answer(200, b'{"server_time": "\xff\xfe"}'),
    "cut short": Answer(200, b'{"server_time": "2026-', cut=True),
    "a redirect loop": Answer(302, b"", (("Location", "/api/v1/heartbeat"),)),
}
TIMEOUT = {"silent past the read timeout": Answer(200, b"{}", delay=1.5)}


def answers() -> dict[str, Answer]:
    out = {f"HTTP {s}": Answer(s, b'{"detail": "no"}', JSON) for s in STATUSES}
    out |= {f"HTTP {s} in HTML": Answer(s, b"<h1>Bad Gateway</h1>" * 50, HTML) for s in (404, 502)}
    return out | GARBAGE | TIMEOUT


ANSWERS = answers()
# Where the bad answer comes: to every request, or only once the lists went well (to the
# upload, with records queued; to the heartbeat, with none).
WHERE = ("every request", "the upload", "the heartbeat")


@pytest.fixture
def kiosk_config(write_config: Callable[..., Path], venue_dir: Path) -> Callable[[str], Path]:
    write_public_key(venue_dir / "lists.pub", generate_key().public_key())
    (venue_dir / "kiosk.token").write_text("t" * 40)
    (venue_dir / "kiosk.token").chmod(0o600)

    def make(url: str) -> Path:
        return write_config(
            f"registry: {{url: '{url}', token_file: kiosk.token, list_key: lists.pub, "
            "connect_timeout: 1s, read_timeout: 1s, backoff_max: 100ms}\n",
            camera="{type: none}",
        )

    return make


def script_for(where: str, bad: Answer) -> Script:
    if where == "every request":
        return Script(bad)
    # The lists unchanged (304), the records taken: only the request under test goes wrong.
    fine = {"/api/v1/lists/": Answer(304, b"")}
    under_test = "/api/v1/records" if where == "the upload" else "/api/v1/heartbeat"
    return Script(Answer(200, b"{}"), {**fine, under_test: bad})


def one_clear_line(err: str) -> str:
    assert "Traceback" not in err, err
    # The progress bar redraws itself with \r; the last line is the command's answer.
    last = err.strip().splitlines()[-1]
    assert len(last) < 600, last
    return last


@pytest.mark.parametrize("where", WHERE)
@pytest.mark.parametrize("name", list(ANSWERS))
def test_kiosk_sync_answers_every_registry_answer_with_one_line_and_exit_1(
    registry_at: Callable[[Script], str],
    kiosk_config: Callable[[str], Path],
    venue_dir: Path,
    name: str,
    where: str,
) -> None:
    bad = ANSWERS[name]
    script = script_for(where, bad)
    config = kiosk_config(registry_at(script))
    if where == "the upload":
        with RecordStore(venue_dir / "kiosk.db", min_free_mb=0) as store:
            add_records(store, 3)
    out = run_kiosk("sync", "--config", str(config), "--timeout", "0.2")
    last = one_clear_line(out.stderr)
    wanted = {"every request": "/api/v1/lists/", "the upload": "/api/v1/records"}
    assert any(p.startswith(wanted.get(where, "/api/v1/heartbeat")) for p in script.seen)
    if bad.status in (401, 403):
        assert out.returncode == 1 and "token refused" in last, out.stderr
    elif where == "every request" and out.returncode == 0:
        # Garbage lists are refused and logged (the last good ones kept); the heartbeat's
        # answer decides. `{}` as a heartbeat's answer is garbage too, so this cannot pass.
        pytest.fail(out.stderr)
    else:
        assert out.returncode == 1, out.stderr
        assert last.startswith("sync incomplete: "), last
        assert "record" in last and "queued" in last


ENROL_ANSWERS = {
    **{k: v for k, v in ANSWERS.items() if k != "HTTP 403"},
    "an enrolment with a list for a key": Answer(
        200,
        b'{"venue_id": "v", "kiosk_id": "k", "venue_name": "n", "timezone": "UTC", '
        b'"token": ["t"], "list_key": "x"}',
    ),
    "an enrolment with a bad key": Answer(
        200,
        b'{"venue_id": "v", "kiosk_id": "k", "venue_name": "n", "timezone": "UTC", '
        b'"token": "t", "list_key": "not a key"}',
    ),
}


@pytest.mark.parametrize("name", list(ENROL_ANSWERS))
def test_kiosk_enroll_answers_every_registry_answer_with_one_line_and_exit_1(
    registry_at: Callable[[Script], str],
    write_config: Callable[..., Path],
    venue_dir: Path,
    name: str,
) -> None:
    url = registry_at(Script(ENROL_ANSWERS[name]))
    config = write_config()
    before = config.read_text()
    state = venue_dir / "state"
    state.mkdir()
    args = ["enroll", "ABCD-EFGH-JKMN", "--registry", url]
    out = run_kiosk(*args, "--config", str(config), "--state-dir", str(state))
    last = one_clear_line(out.stderr)
    assert out.returncode == 1 and last.startswith("kiosk enroll: "), out.stderr
    assert config.read_text() == before  # nothing half-done to the config
    assert not (state / "registry.token").exists()
