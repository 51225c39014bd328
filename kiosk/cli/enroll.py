"""`sudo kiosk enroll CODE --registry URL`: join a registry with the code it printed.

The registry (`kiosk-registry kiosk add VENUE KIOSK`) prints a single-use code; traded here
over POST /api/v1/enrol it gives this kiosk its token and the list-signing public key. They are
written into the state folder (where the service, and only it, reads them), and the venue
config gains a `registry:` block naming them, with the venue and kiosk ids the registry knows
this kiosk by. Edits to the config are textual: every comment and every other setting stays.

The first sync then runs as the owner of the state folder (the kiosk's user when enrolled with
sudo), so the database it creates is the service's, never root's.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_CONFIG = Path("/etc/qr-kiosk/venue.yaml")
DEFAULT_STATE = Path("/var/lib/qr-kiosk")
TOKEN_FILE = "registry.token"
LIST_KEY = "lists.pub"
TIMEOUT = (5.0, 20.0)  # connect, read (s): a kiosk on a slow uplink, a registry under load
REGISTRY_KEYS = ("url", "token_file", "list_key", "ca_file")
_TOP_KEY = re.compile(r"^[A-Za-z_][\w-]*\s*:")


class EnrolError(Exception):
    """Enrolment failed; the message says why and what to do."""


@dataclass
class Enrolled:
    venue_id: str
    kiosk_id: str
    venue_name: str
    token_file: Path
    list_key: Path
    config: Path
    issues: list[str] = field(default_factory=list)  # what check-config still finds


def _write_private(path: Path, data: str, mode: int, like: Path) -> None:
    """Write atomically with `mode`, owned like `like` (the state folder: the kiosk's user)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        owner = like.stat()
        if os.geteuid() == 0:  # sudo kiosk enroll: the service's user must read what is made
            os.chown(tmp, owner.st_uid, owner.st_gid)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _trade(code: str, url: str, ca_file: Path | None) -> dict[str, Any]:
    # Imported here: `kiosk` builds this command's parser on every run, `kiosk run` included.
    import requests

    try:
        r = requests.post(
            f"{url.rstrip('/')}/api/v1/enrol",
            json={"code": code},
            timeout=TIMEOUT,
            verify=str(ca_file) if ca_file else True,
        )
    except requests.RequestException as exc:
        raise EnrolError(f"cannot reach the registry at {url}: {exc}") from None
    if r.status_code == 403:
        raise EnrolError(
            "the registry refused the code: unknown, already used or expired "
            "(ask for a new one: kiosk-registry kiosk enrol-code VENUE KIOSK)"
        )
    if r.status_code == 429:
        wait = r.headers.get("Retry-After", "a while")
        raise EnrolError(f"too many tries; wait {wait} s and try again")
    if r.status_code != 200:
        # On one line: a proxy's error page has newlines, and may not be text at all.
        text = r.content[:200].decode("utf-8", "replace")
        shown = " ".join("".join(c if c.isprintable() else " " for c in text).split())
        raise EnrolError(f"the registry answered {r.status_code}: {shown}")
    try:
        body = r.json()
        if not isinstance(body, dict):
            raise ValueError(f"a JSON {type(body).__name__}, not an object")
        for key in ("venue_id", "kiosk_id", "venue_name", "timezone", "token", "list_key"):
            if not isinstance(body[key], str) or not body[key]:
                raise ValueError(key)
    # RecursionError: arrays nested deeper than the parser goes.
    except (ValueError, KeyError, RecursionError) as exc:
        raise EnrolError(f"the registry's answer is not an enrolment ({exc})") from None
    return dict(body)


def _block(lines: list[str], name: str) -> tuple[int, int] | None:
    """[start, end) of a top-level key's block (its line and the indented ones under it)."""
    start = next((i for i, ln in enumerate(lines) if re.match(rf"^{name}\s*:", ln)), None)
    if start is None:
        return None
    end = start + 1
    while end < len(lines) and not _TOP_KEY.match(lines[end]):
        end += 1
    # Comments and blank lines just before the next key belong to it, not to this block.
    while end > start + 1 and (not lines[end - 1].strip() or lines[end - 1].startswith("#")):
        end -= 1
    return start, end


def _set_in_block(lines: list[str], name: str, key: str, value: str) -> None:
    """Set `key: value` inside a block-style top-level section, keeping the line's comment."""
    span = _block(lines, name)
    if span is None:
        return  # absent: the config loader reports what is missing
    head = lines[span[0]]
    if head.split(":", 1)[1].split("#", 1)[0].strip():
        # Flow style on one line, {id: x, name: y}: the key's value up to , or }.
        if span[1] == span[0] + 1:
            lines[span[0]] = re.sub(
                rf"([{{,]\s*{key}\s*:\s*)[^,}}]*", lambda m: m.group(1) + _quote(value), head
            )
        return
    for i in range(span[0] + 1, span[1]):
        m = re.match(rf"^(\s+{key}\s*:\s*)(\S[^#]*?|)(\s*#.*)?$", lines[i])
        if m and not lines[i].lstrip().startswith("#"):
            lines[i] = f"{m.group(1)}{_quote(value)}{m.group(3) or ''}"
            return


def with_registry(text: str, settings: dict[str, str]) -> str:
    """The config text with its `registry:` block set to `settings` (other keys kept)."""
    lines = text.splitlines()
    span = _block(lines, "registry")
    header = "registry:                         # written by `kiosk enroll`"
    body = [f"  {k}: {_quote(v)}" for k, v in settings.items()]
    if span is None:
        lines += ["", header, *body]
    elif lines[span[0]].split(":", 1)[1].split("#", 1)[0].strip():
        lines[span[0] : span[1]] = [header, *body]  # flow style: rewritten whole
    else:
        start, end = span
        kept = [
            ln
            for ln in lines[start + 1 : end]
            if not re.match(rf"^\s+({'|'.join(REGISTRY_KEYS)})\s*:", ln)
        ]
        lines[start:end] = [lines[start], *body, *kept]
    return "\n".join(lines) + "\n"


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def enroll(
    code: str,
    url: str,
    config_path: Path = DEFAULT_CONFIG,
    state_dir: Path = DEFAULT_STATE,
    *,
    ca_file: Path | None = None,
) -> Enrolled:
    """Trade `code` at the registry at `url`; write token and key; point the config at them."""
    from checkin_protocol.keys import load_public_key
    from kiosk.cli.preflight import check_config

    if not re.match(r"^https?://[^\s/]+(/.*)?$", url):
        raise EnrolError(f"not a registry URL: {url!r} (http(s)://host[:port])")
    if not config_path.is_file():
        raise EnrolError(f"no config at {config_path} (install first: sudo ./dev install)")
    if not state_dir.is_dir():
        raise EnrolError(f"no state folder {state_dir} (install first: sudo ./dev install)")
    text = config_path.read_text(encoding="utf-8")

    body = _trade(code, url, ca_file)
    token_file, list_key = state_dir / TOKEN_FILE, state_dir / LIST_KEY
    _write_private(list_key, body["list_key"], 0o644, state_dir)
    try:
        load_public_key(list_key)
    except ValueError as exc:
        raise EnrolError(f"the registry sent no usable list key: {exc}") from None
    _write_private(token_file, body["token"].strip() + "\n", 0o600, state_dir)

    settings = {"url": url.rstrip("/"), "token_file": str(token_file), "list_key": str(list_key)}
    if ca_file is not None:
        settings["ca_file"] = str(ca_file.resolve())
    lines = with_registry(text, settings).splitlines()
    # The ids the registry knows this kiosk by: records sent under others would be refused.
    _set_in_block(lines, "venue", "id", body["venue_id"])
    _set_in_block(lines, "venue", "timezone", body["timezone"])
    _set_in_block(lines, "kiosk", "id", body["kiosk_id"])
    config_stat = config_path.stat()
    _write_private(config_path, "\n".join(lines) + "\n", config_stat.st_mode & 0o777, config_path)
    return Enrolled(
        venue_id=body["venue_id"],
        kiosk_id=body["kiosk_id"],
        venue_name=body["venue_name"],
        token_file=token_file,
        list_key=list_key,
        config=config_path,
        issues=[str(issue) for issue in check_config(config_path)],
    )


def first_sync(config: Path, state_dir: Path, timeout: float = 120.0) -> int:
    """`kiosk sync` once, as the state folder's owner; its exit status (0: lists and records in)."""
    import subprocess
    import sys

    owner = state_dir.stat()
    drop = os.geteuid() == 0 and owner.st_uid != 0
    cmd = [sys.executable, "-m", "kiosk", "sync", "--config", str(config)]
    cmd += ["--timeout", str(int(timeout))]
    try:
        # The program is this interpreter running the kiosk itself.
        done = subprocess.run(  # noqa: S603
            cmd,
            timeout=timeout + 30,
            check=False,
            user=owner.st_uid if drop else None,
            group=owner.st_gid if drop else None,
        )
    except subprocess.TimeoutExpired:
        return 1
    return done.returncode
