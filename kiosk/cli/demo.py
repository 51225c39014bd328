"""`kiosk demo`: the embedded default — generated passes, camera-like frames, the real loop."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import cv2
import requests

from checkin_protocol.keys import (
    PrivateKey,
    generate_key,
    key_id,
    write_private_key,
    write_public_key,
)
from checkin_protocol.kp1 import issue_pass
from checkin_protocol.privacy import mask_name
from kiosk.camera.scenes import Pose, frame, qr_image
from kiosk.config import Config

DAY = 86400
VENUE, KIOSK = "demo-tower", "door-1"
VENUE_NAME = "Demo Tower · Toà nhà Demo"


@dataclass(frozen=True)
class Scenario:
    label: str
    payload: str | None  # None: frames without a code
    pose: Pose
    expect: str  # "PASS", "FAIL:<reason>", or "" for no decision


CONFIG = """\
# Written by `kiosk demo`; see config/venue.example.yaml for every key.
venue: {{id: demo-tower, name: "Demo Tower · Toà nhà Demo", timezone: Asia/Ho_Chi_Minh}}
kiosk: {{id: door-1, direction: entry}}
camera: {{type: replay, path: frames, fps: {fps}, loop: false, frame_timeout: 5s, pace: {pace}}}
decoder: {{type: zxing-cpp, repeat_window: 5s}}
display:
  {{mode: {mode}, width: 1024, height: 600, language: vi, pass_hold: 1s, fail_hold: 1500ms,
    sound: {{enabled: {sound}}}}}
trust:
  issuer_keys: [issuer/issuer.pub]
  deny_list: denylist.yaml
  dcc_signers: [dcc/dsc.pem]
policy:
  admit_kinds: [signed_pass, national_qr, cccd, dcc]
  max_declaration_age: 14d
  clock_skew: 5m
storage: {{path: kiosk.db, retention: 21d}}
"""

REGISTRY = """\
registry:
  url: {url}
  token_file: kiosk.token
  list_key: lists.pub
  sync_interval: 1s
  heartbeat_interval: 10s
"""


def _dcc_scenarios(folder: Path, now: int) -> list[Scenario]:
    """A demo Document Signer Certificate (as Vietnam's Ministry of Health would hold), a
    valid vaccination certificate it signed, and an expired test certificate."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import Encoding
    from cryptography.x509.oid import NameOID

    from checkin_protocol.dcc import issue_dcc
    from checkin_protocol.dcc_trust import dsc_kid

    folder.mkdir()
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.COMMON_NAME, "Demo DSC (not a real signer)"),
        ]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(datetime.fromtimestamp(now - DAY, UTC))
        .not_valid_after(datetime.fromtimestamp(now + 365 * DAY, UTC))
        .sign(key, hashes.SHA256())
    )
    (folder / "dsc.pem").write_bytes(cert.public_bytes(Encoding.PEM))
    kid = dsc_kid(cert.public_bytes(Encoding.DER))
    person = {
        "ver": "1.3.0",
        "nam": {"fn": "Nguyễn", "gn": "Văn Minh", "fnt": "NGUYEN", "gnt": "VAN<MINH"},
        "dob": "1985-07-14",
    }
    vaccination = {
        **person,
        "v": [{"tg": "840539006", "vp": "1119349007", "mp": "EU/1/20/1528",
               "ma": "ORG-100030215", "dn": 2, "sd": 2, "dt": "2026-06-01", "co": "VN",
               "is": "Ministry of Health of Viet Nam", "ci": "URN:UVCI:01:VN:DEMO0001#1"}],
    }  # fmt: skip
    test = {
        **person,
        "t": [{"tg": "840539006", "tt": "LP217198-3", "ma": "1232", "sc": "2026-01-10T08:00:00Z",
               "tr": "260415000", "tc": "Demo clinic", "co": "VN",
               "is": "Ministry of Health of Viet Nam", "ci": "URN:UVCI:01:VN:DEMO0002#2"}],
    }  # fmt: skip
    return [
        Scenario(
            "EU Digital COVID Certificate: vaccination (issuer VN)",
            issue_dcc(
                key,
                kid,
                issuer="VN",
                issued_at=now - 30 * DAY,
                expires_at=now + 300 * DAY,
                certificate=vaccination,
            ),
            Pose(angle=-4, size=0.62),
            "PASS",
        ),
        Scenario(
            "EU Digital COVID Certificate: expired test",
            issue_dcc(
                key,
                kid,
                issuer="VN",
                issued_at=now - 10 * DAY,
                expires_at=now - 7 * DAY,
                certificate=test,
            ),
            Pose(angle=6, size=0.62),
            "FAIL:dcc_expired",  # private: the public screen says "please see the staff"
        ),
    ]


def _scenarios(out: Path, demo_registry: DemoRegistry | None) -> tuple[list[Scenario], str]:
    issuer_dir = out / "issuer"
    issuer_dir.mkdir()
    key = generate_key()
    write_private_key(issuer_dir / "issuer.key", key)
    write_public_key(issuer_dir / "issuer.pub", key.public_key())
    stranger = generate_key()  # a key this venue does not trust
    now = int(time.time())
    declared = now - 2 * DAY

    def signed(name: str, signer: PrivateKey = key, **kw: object) -> str:
        args: dict[str, object] = {
            "issuer": "demo-issuer",
            "masked_name": mask_name(name),
            "valid_until": now + 30 * DAY,
            "declared_at": declared,
        }
        args.update(kw)
        return issue_pass(signer, **args)  # type: ignore[arg-type]

    denied_id = os.urandom(16)
    deny = f"- pass_id: {denied_id.hex()}\n  reason: demo - barred by the venue\n"
    scenarios = [
        Scenario(
            "valid staff pass",
            signed("Nguyễn Văn An", birth_year=1990, category="staff"),
            Pose(angle=8, tilt=0.08),
            "PASS",
        ),
        Scenario("nothing in view", None, Pose(), ""),
        Scenario(
            "expired pass",
            signed("Trần Thị Bình", issued_at=now - 40 * DAY, valid_until=now - DAY),
            Pose(angle=-12, center=(0.45, 0.5)),
            "FAIL:expired",
        ),
        Scenario(
            "pass signed by an unknown issuer",
            signed("Lê Văn Cường", stranger),
            Pose(angle=20, tilt=0.1),
            "FAIL:unknown_issuer",
        ),
        Scenario(
            "chip ID card (CCCD)",
            "001090012345|123456789|NGUYỄN VĂN AN|01011990|Nam|"
            "Số 1, Phố Huế, Phường Hàng Bài, Hai Bà Trưng, Hà Nội|01012021",
            Pose(size=0.6, angle=-5, blur=0.6),
            "PASS",
        ),
        Scenario(
            "national personal QR",
            "******012345|Phạm Thị Hoa|15/03/1985|1|Q8F3K2M9|",
            Pose(angle=4, tilt=0.12),
            "PASS",
        ),
        Scenario(
            "a restaurant's menu QR",
            "https://example.com/menu?table=4",
            Pose(angle=-25),
            "FAIL:not_personal_code",
        ),
        Scenario(
            "dark-mode phone screen",
            signed("Hoàng Thị Em", birth_year=2001, category="visitor"),
            Pose(invert=True, angle=10),
            "PASS",
        ),
        Scenario(
            "pass on the venue's deny list",
            signed("Đỗ Minh Dũng", pass_id=denied_id),
            Pose(angle=-8),
            "FAIL:denied",
        ),
        Scenario(
            "pass without a health declaration",
            signed("Vũ Thị Giang", declared_at=None),
            Pose(angle=3),
            "FAIL:declaration_missing",
        ),
        *_dcc_scenarios(out / "dcc", now),
        Scenario("nothing in view", None, Pose(), ""),
    ]
    if demo_registry is not None:
        # A pass from a health declaration at the registry: trusted through its trust list.
        declaration_pass = demo_registry.declare(
            name="Bùi Thị Lan",
            id_number="079190000001",
            phone="0901234567",
            symptoms=False,
            contact=False,
        )
        scenarios.insert(
            -1,
            Scenario(
                "pass from a declaration at the registry",
                declaration_pass,
                Pose(angle=-6, tilt=0.05),
                "PASS",
            ),
        )
    print(f"demo issuer key id {key_id(key.public_key()).hex()}")
    return scenarios, deny


def _write_frames(folder: Path, scenarios: list[Scenario]) -> int:
    folder.mkdir()
    n = 0
    for i, sc in enumerate(scenarios):
        code = qr_image(sc.payload) if sc.payload else None
        # The code is held for three frames (one scan, not three), then two empty frames.
        for j in range(3):
            pose = Pose(
                **{**sc.pose.__dict__, "center": (sc.pose.center[0] + 0.01 * j, sc.pose.center[1])}
            )
            cv2.imwrite(str(folder / f"{n:04d}.png"), frame(code, pose, seed=i * 10 + j))
            n += 1
        for _ in range(2):
            cv2.imwrite(str(folder / f"{n:04d}.png"), frame(None, seed=1000 + n))
            n += 1
    return n


class DemoRegistry:
    """The registry as a program (`kiosk-registry`, SQLite in DIR/registry) on loopback, with
    the demo venue, its kiosk and a controller registered through its own command line.

    The kiosk never imports the registry: the demo talks to it as any deployment does.
    """

    def __init__(self, out: Path, program: Path) -> None:
        self._program = program
        self._data = out / "registry"
        self._log = out / "registry.log"  # the server's stderr
        self._proc: subprocess.Popen[bytes] | None = None
        self.url = ""
        self._cli("init")
        self._cli("venue", "add", VENUE, "--name", VENUE_NAME, "--district", "Quận 1",
                  "--province", "TP. Hồ Chí Minh")  # fmt: skip
        self._cli("kiosk", "add", VENUE, KIOSK, "--token-file", str(out / "kiosk.token"))
        said = self._cli("user", "add", "demo-controller", "--role", "controller",
                         "--venue", VENUE)  # fmt: skip
        # "… token (shown once): TOKEN"
        self.controller = said.split()[-1]
        keys = self._data / "keys"
        shutil.copy(keys / "lists.pub", out / "lists.pub")

    @staticmethod
    def find() -> Path | None:
        """`kiosk-registry` beside this interpreter (the workspace venv), or on PATH."""
        beside = Path(sys.executable).with_name("kiosk-registry")
        if beside.exists():
            return beside
        found = shutil.which("kiosk-registry")
        return Path(found) if found else None

    def _cli(self, *args: str) -> str:
        # The program is the kiosk-registry found beside this interpreter or on PATH.
        done = subprocess.run(  # noqa: S603
            [str(self._program), "--data", str(self._data), *args],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"kiosk-registry {args[0]}: {done.stderr.strip()[-300:]}")
        return done.stdout

    def __enter__(self) -> DemoRegistry:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        self.url = f"http://127.0.0.1:{port}"
        # A file, not a pipe nobody reads: a registry with much to say never blocks on it.
        with self._log.open("ab") as log:  # the child keeps its own copy of the descriptor
            self._proc = subprocess.Popen(  # noqa: S603 (the program found as above)
                [str(self._program), "--data", str(self._data), "serve", "--port", str(port)],
                stdout=subprocess.DEVNULL, stderr=log,
            )  # fmt: skip
        # A slow machine: the server may accept a connection before it can answer (a read
        # timeout, retried like a refused connection) and take many seconds to start at all.
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                tail = self._log.read_text(errors="replace").strip()[-300:]
                raise RuntimeError(f"the registry exited at start: {tail}")
            try:
                requests.get(self.url + "/", timeout=2)
                return self
            except (requests.ConnectionError, requests.Timeout):
                time.sleep(0.05)
        raise RuntimeError("the registry did not answer within 90 s")

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(10)
            self._proc = None

    def declare(self, **declaration: object) -> str:
        """A citizen's health declaration through the public API; returns the pass text.

        The citizen is shown the consent text in force and ticks its box: its version goes
        with the declaration (without it the registry refuses to take health answers)."""
        shown = requests.get(f"{self.url}/api/v1/consent", timeout=(3, 30))
        shown.raise_for_status()
        declaration = {**declaration, "consent": shown.json()["version"]}
        resp = requests.post(f"{self.url}/api/v1/declarations", json=declaration, timeout=(3, 30))
        resp.raise_for_status()
        return str(resp.json()["pass_text"])

    def live(self) -> dict[str, Any]:
        """The venue's live view, as its controller sees it."""
        resp = requests.get(
            f"{self.url}/api/v1/venues/{VENUE}/live",
            headers={"Authorization": f"Bearer {self.controller}"},
            timeout=(3, 30),
        )
        resp.raise_for_status()
        result: dict[str, Any] = resp.json()
        return result


def _sync_now(cfg: Config) -> bool:
    from kiosk.app.core import build_core, build_sync, open_store

    assert cfg.registry is not None
    with open_store(cfg.storage) as store:
        core = build_core(cfg, store)
        assert core.lists is not None
        worker = build_sync(cfg.registry, store, core.lists)
        try:
            return worker.drain(lambda done, total: None, time.monotonic() + 30)
        finally:
            worker.close()


def run_demo(
    out: Path, *, headless: bool = False, fps: float = 4.0, keep_serving: bool = False
) -> int:
    out = out.resolve()
    if out.exists():
        # Only ever delete what a previous demo wrote.
        for name in (
            "issuer",
            "dcc",
            "frames",
            "screens",
            "kiosk.db",
            "kiosk.db-wal",
            "kiosk.db-shm",
            "events.jsonl",
            "venue.yaml",
            "denylist.yaml",
            "subject.key",
            "registry",
            "kiosk.token",
            "lists.pub",
            "gallery",
        ):
            target = out / name
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()
    out.mkdir(parents=True, exist_ok=True)
    program = DemoRegistry.find()
    demo_registry: DemoRegistry | None = None
    if program is None:  # the kiosk installed on its own, as on a Pi
        print("demo: kiosk-registry is not installed; records stay on the kiosk")
    else:
        demo_registry = DemoRegistry(out, program)
    with contextlib.ExitStack() as stack:
        url = None
        if demo_registry is not None:
            url = stack.enter_context(demo_registry).url
            print(f"registry: {url}  venue dashboard: {url}/venues/demo-tower")
            print(f"          sign in with the controller token {demo_registry.controller}")
        return _run(out, headless, fps, url, demo_registry, keep_serving)


def _run(
    out: Path,
    headless: bool,
    fps: float,
    url: str | None,
    demo_registry: DemoRegistry | None,
    keep_serving: bool,
) -> int:
    from checkin_protocol.records import mask_subject
    from kiosk.app.kiosk import Kiosk, RunOptions
    from kiosk.config import load_config
    from kiosk.decision.outcome import Outcome

    scenarios, deny = _scenarios(out, demo_registry)
    (out / "denylist.yaml").write_text(deny, encoding="utf-8")
    frames = _write_frames(out / "frames", scenarios)
    has_display = bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    mode = "windowed" if has_display and not headless else "headless"
    text = CONFIG.format(
        fps=fps,
        # Headless, every frame is decided however slow the machine: the demo's outcome never
        # depends on CPU speed. In a window it plays at `fps`, as a camera would.
        pace="lockstep" if mode == "headless" else "realtime",
        mode=mode,
        sound=str(mode == "windowed").lower(),  # no tones for nobody to hear
    ) + (REGISTRY.format(url=url) if url else "")
    (out / "venue.yaml").write_text(text, encoding="utf-8")
    cfg = load_config(out / "venue.yaml")
    if url is not None and not _sync_now(cfg):  # a kiosk is installed with its lists
        print("demo: could not reach the embedded registry")
        return 1
    expected = [s for s in scenarios if s.expect]
    print(f"demo: {frames} camera frames, {len(expected)} codes, screen {mode}; output in {out}")

    def show(o: Outcome) -> None:
        d = o.decision
        who = d.code.masked_name if d.code else ""
        subject = mask_subject(d.code.subject if d.code else None) or ""
        reason = d.reason.value if d.reason else ""
        print(
            f"  {d.verdict.value:4}  {d.code_kind:12} {reason:24} {who:18} {subject:14} "
            f"{o.latency_ms:6.1f} ms"
        )

    kiosk = Kiosk(
        cfg,
        RunOptions(events=out / "events.jsonl", screenshot_dir=out / "screens", observers=[show]),
    )
    status = kiosk.run()
    got = [
        o.decision.verdict.value + (f":{o.decision.reason.value}" if o.decision.reason else "")
        for o in kiosk.outcomes
    ]
    want = [s.expect for s in expected]
    counts = Counter(o.decision.verdict.value for o in kiosk.outcomes)
    print(
        f"summary: {counts['PASS']} PASS, {counts['FAIL']} FAIL, "
        f"{len(got)} records in {cfg.storage.path}"
    )
    print(f"screenshots: {out / 'screens'}; events: {out / 'events.jsonl'}")
    print("every screen state, language and size: kiosk gallery DIR")
    if demo_registry is not None:
        synced = _sync_now(cfg)
        live = demo_registry.live()
        print(
            f"registry: {'all records synced' if synced else 'sync incomplete'}; "
            "today at the venue "
            f"{live['today']['entries']} entries, {live['today']['fails']} refused"
        )
        if keep_serving:
            print(f"serving the dashboard at {url}/venues/demo-tower; Ctrl-C to stop")
            try:
                while True:
                    time.sleep(1)
            except KeyboardInterrupt:
                pass
        else:
            # The registry is this demo's child: say so, or its address reads as still open.
            print(
                "registry: stopped with the demo; ./dev demo --keep-serving keeps the dashboard up"
            )
    if got != want:
        print("demo: decisions differ from what the scenarios expect:")
        for s, g in zip(expected, got + [""] * (len(want) - len(got)), strict=False):
            print(f"  {s.label:36} expected {s.expect:28} got {g}")
        return 1
    return status
