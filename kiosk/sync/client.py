"""HTTP to the registry (requests): explicit timeouts, TLS verified, errors sorted by what to do."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import requests
from pydantic import ValidationError

from checkin_protocol.messages import (
    HeartbeatRequest,
    HeartbeatResponse,
    RecordResult,
    UploadRequest,
    UploadResponse,
    VenueOccupancy,
)
from checkin_protocol.records import CheckinRecord
from checkin_protocol.times import parse_iso
from kiosk import __version__


class SyncError(Exception):
    """Base of everything the client raises."""


class Unavailable(SyncError):
    """Try again later: network down, timeout, connection cut, 5xx, 429."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RateLimited(Unavailable):
    """A 429: the host is up and says wait; another host would not be asked any more kindly."""


class Refused(SyncError):
    """The registry does not accept this kiosk (401/403: token unknown or revoked)."""


class BadResponse(SyncError):
    """An answer the kiosk cannot use (4xx other than the above, malformed JSON)."""


def _excerpt(resp: requests.Response) -> str:
    """The start of an answer's body on one line: a proxy's HTML error page has newlines and
    may not be text at all, and this ends up in a log line and `kiosk sync`'s answer."""
    text = resp.content[:200].decode("utf-8", "replace")
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())


def _why(exc: Exception) -> str:
    """An unusable answer's fault on one line (pydantic's own text takes several)."""
    if isinstance(exc, ValidationError):
        errors = exc.errors(include_url=False)
        first = errors[0]
        where = ".".join(str(p) for p in first["loc"]) or "the body"
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        return f"{where}: {first['msg']}{more}"
    return " ".join(str(exc).split())


def _retry_after(resp: requests.Response) -> float | None:
    value = resp.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP-date; the backoff applies instead


class RegistryClient:
    """The registry at one or more hosts (the same registry: a failover pair, or hosts in
    front of one database). A request that cannot reach a host, or that the host answers
    with a 5xx, is tried at the next one at once; the host that answered is kept for the
    next requests. Resending to another host is safe: uploads are idempotent by record id,
    a record already stored comes back as a duplicate, and either answer marks it synced."""

    def __init__(
        self,
        url: str | Sequence[str],
        token: str,
        *,
        connect_timeout: float,
        read_timeout: float,
        ca_file: Path | None = None,
    ) -> None:
        urls = [url] if isinstance(url, str) else list(url)
        if not urls:
            raise ValueError("no registry URL")
        self._hosts = [u.rstrip("/") for u in urls]
        self._current = 0
        self._timeout = (connect_timeout, read_timeout)
        self._session = requests.Session()
        self._session.headers["Authorization"] = f"Bearer {token}"
        self._session.headers["User-Agent"] = f"qr-kiosk/{__version__}"
        # Verification is never switched off; a private CA is given as a file.
        self._session.verify = str(ca_file) if ca_file else True

    def close(self) -> None:
        self._session.close()

    @property
    def host(self) -> str:
        """The registry URL in use: the one that last answered (or will be asked first)."""
        return self._hosts[self._current]

    @property
    def hosts(self) -> list[str]:
        return list(self._hosts)

    def _request(self, method: str, path: str, **kw: Any) -> requests.Response:
        """Each host once at most, from the one in use; the first to answer is kept."""
        failure: Unavailable | None = None
        for step in range(len(self._hosts)):
            at = (self._current + step) % len(self._hosts)
            try:
                resp = self._at(self._hosts[at], method, path, **kw)
            except RateLimited:
                self._current = at
                raise
            except Unavailable as exc:
                failure = exc
                continue
            self._current = at
            return resp
        assert failure is not None
        if len(self._hosts) > 1:
            raise Unavailable(f"no registry host answered; last: {failure}", failure.retry_after)
        raise failure

    def _at(self, host: str, method: str, path: str, **kw: Any) -> requests.Response:
        url = host + "/api/v1" + path
        try:
            resp = self._session.request(method, url, timeout=self._timeout, **kw)
        except requests.Timeout as exc:
            raise Unavailable(f"timeout: {exc}") from exc
        except requests.ConnectionError as exc:
            raise Unavailable(f"connection: {exc}") from exc
        except requests.RequestException as exc:
            raise Unavailable(f"request failed: {exc}") from exc
        if resp.status_code == 429:
            raise RateLimited("HTTP 429", _retry_after(resp))
        if resp.status_code in (401, 403):
            raise Refused(f"{resp.status_code}: {_excerpt(resp)}")
        if resp.status_code >= 500:
            raise Unavailable(f"HTTP {resp.status_code} from {host}", _retry_after(resp))
        if resp.status_code == 404:
            # No such API here: most often registry.url names another server or path.
            raise BadResponse(f"HTTP 404 at {resp.url} (is registry.url right?): {_excerpt(resp)}")
        if resp.status_code >= 400:
            raise BadResponse(f"HTTP {resp.status_code}: {_excerpt(resp)}")
        return resp

    def _json(self, resp: requests.Response) -> Any:
        try:
            return resp.json()
        except (ValueError, RecursionError) as exc:  # RecursionError: nested past the parser
            # A body cut mid-way arrives here as invalid JSON: the request may or may not
            # have been applied, so it is treated as "try again" (uploads are idempotent).
            raise Unavailable(f"unreadable response: {exc}") from exc

    def push(
        self, records: list[CheckinRecord], clock_offset_ms: int | None
    ) -> tuple[list[RecordResult], float, VenueOccupancy | None]:
        body = UploadRequest(clock_offset_ms=clock_offset_ms, records=records)
        resp = self._request("POST", "/records", json=body.model_dump(mode="json"))
        try:
            answer = UploadResponse.model_validate(self._json(resp))
            server = parse_iso(answer.server_time)
        except (ValidationError, ValueError) as exc:
            raise BadResponse(f"unexpected upload response: {_why(exc)}") from exc
        if len(answer.results) != len(records):
            raise BadResponse(f"{len(answer.results)} results for {len(records)} records")
        return answer.results, server, answer.occupancy

    def get_list(self, name: str, etag: str | None) -> tuple[str | None, str | None]:
        """(envelope, etag); envelope None when the registry says ours is current (304)."""
        headers = {"If-None-Match": etag} if etag else {}
        resp = self._request("GET", f"/lists/{name}", headers=headers)
        if resp.status_code == 304:
            return None, etag
        return resp.text, resp.headers.get("ETag")

    def heartbeat(self, data: HeartbeatRequest) -> tuple[float, VenueOccupancy | None]:
        body = self._json(self._request("POST", "/heartbeat", json=data.model_dump(mode="json")))
        try:
            answer = HeartbeatResponse.model_validate(body)
            return parse_iso(answer.server_time), answer.occupancy
        except (ValidationError, ValueError) as exc:
            raise BadResponse(f"unexpected heartbeat response: {_why(exc)}") from exc
