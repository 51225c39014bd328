"""A loopback HTTP proxy that injects the faults a kiosk meets on real networks.

It forwards real HTTP between the kiosk and the registry, request by request, and can instead:
answer 500 or 429, cut the response half-way after the registry has handled the request,
hang past the client's read timeout, refuse the connection, or alter a response body.
"""

from __future__ import annotations

import random
import socket
import threading
import time
from collections.abc import Callable

MODES = ("pass", "http500", "http429", "cut", "hang", "refuse")


def _read_message(sock: socket.socket, buf: bytes) -> tuple[bytes, bytes] | None:
    """One HTTP/1.1 message (headers + Content-Length body) from `sock`; returns (msg, rest)."""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        rest += chunk
    return head + b"\r\n\r\n" + rest[:length], rest[length:]


def _status(message: bytes) -> int:
    return int(message.split(b" ", 2)[1])


# Answers the proxy gives itself, without asking the registry.
_CANNED = {
    "http500": b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\n\r\noops",
    "http429": b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 0\r\nContent-Length: 0\r\n\r\n",
}


class FaultProxy:
    def __init__(self, upstream_port: int, hang_seconds: float = 2.0) -> None:
        self.upstream_port = upstream_port
        self.hang_seconds = hang_seconds
        self.choose: Callable[[bytes], str] = lambda request: "pass"
        self.rewrite: Callable[[bytes], bytes] | None = None  # applied to response bodies
        self.counts: dict[str, int] = dict.fromkeys(MODES, 0)
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def random_faults(self, rate: float, seed: int, modes: tuple[str, ...] = MODES[1:]) -> None:
        rng = random.Random(seed)
        lock = threading.Lock()

        def choose(request: bytes) -> str:
            with lock:
                return rng.choice(modes) if rng.random() < rate else "pass"

        self.choose = choose

    def close(self) -> None:
        self._stop.set()
        self._server.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        upstream: socket.socket | None = None
        buf = b""
        try:
            while True:
                got = _read_message(client, buf)
                if got is None:
                    return
                request, buf = got
                mode = self.choose(request)
                self.counts[mode] += 1
                canned = _CANNED.get(mode)
                if canned is not None:
                    client.sendall(canned)
                    continue
                if mode in ("refuse", "hang"):
                    if mode == "hang":
                        time.sleep(self.hang_seconds)
                    return
                if upstream is None:
                    upstream = socket.create_connection(
                        ("127.0.0.1", self.upstream_port), timeout=30
                    )
                response = self._forward(upstream, request)
                if response is None:
                    return
                if mode == "cut":
                    # The registry has handled the request; the kiosk never learns the answer.
                    client.sendall(response[: len(response) // 2])
                    return
                client.sendall(response)
        except OSError:
            return
        finally:
            client.close()
            if upstream is not None:
                upstream.close()

    def _forward(self, upstream: socket.socket, request: bytes) -> bytes | None:
        upstream.sendall(request)
        answer = _read_message(upstream, b"")
        if answer is None:
            return None
        response = answer[0]
        if self.rewrite is not None and _status(response) == 200:
            head, _, body = response.partition(b"\r\n\r\n")
            body = self.rewrite(body)
            lines = [
                ln for ln in head.split(b"\r\n") if not ln.lower().startswith(b"content-length")
            ]
            response = (
                b"\r\n".join([*lines, b"Content-Length: %d" % len(body)]) + b"\r\n\r\n" + body
            )
        return response


class UdpFaultProxy:
    """A loopback UDP relay in front of one peer, as a NAT does it: each client address gets
    its own upstream socket, and the answers come back through the relay. `cut` drops every
    datagram both ways (a kiosk cut off the LAN); `drop_from` drops those from some clients."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        import selectors

        self.upstream = upstream
        self.cut = False
        self.drop_from: set[tuple[str, int]] = set()
        self.forwarded = 0
        self.dropped = 0
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind(("127.0.0.1", 0))
        self.port: int = self._sock.getsockname()[1]
        self._sessions: dict[tuple[str, int], socket.socket] = {}
        self._clients: dict[socket.socket, tuple[str, int]] = {}
        self._sel = selectors.DefaultSelector()
        self._sel.register(self._sock, selectors.EVENT_READ)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        for s in [self._sock, *self._sessions.values()]:
            s.close()

    def _blocked(self, client: tuple[str, int]) -> bool:
        if self.cut or client in self.drop_from:
            self.dropped += 1
            return True
        return False

    def _run(self) -> None:
        import selectors

        while not self._stop.is_set():
            for key, _ in self._sel.select(timeout=0.1):
                sock = key.fileobj
                assert isinstance(sock, socket.socket)
                try:
                    data, source = sock.recvfrom(65535)
                except OSError:
                    continue
                if sock is self._sock:  # a client → its peer
                    if self._blocked(source):
                        continue
                    session = self._sessions.get(source)
                    if session is None:
                        session = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                        session.bind(("127.0.0.1", 0))
                        self._sessions[source] = session
                        self._clients[session] = source
                        self._sel.register(session, selectors.EVENT_READ)
                    session.sendto(data, self.upstream)
                else:  # the peer's answer → back to the client
                    client = self._clients[sock]
                    if self._blocked(client):
                        continue
                    self._sock.sendto(data, client)
                self.forwarded += 1


class UdpLink:
    """A loopback UDP link between two peers, as a LAN switch with a cable to pull: each side
    sends to its own end, and the other side sees the datagram come from its own end — so
    each peer sees its configured address of the other as the source (no NAT in between).
    `cut` drops every datagram both ways."""

    def __init__(self, left: tuple[str, int], right: tuple[str, int]) -> None:
        import selectors

        self.cut = False
        self.forwarded = 0
        self.dropped = 0
        self._ends: dict[socket.socket, tuple[socket.socket, tuple[str, int]]] = {}
        self._sel = selectors.DefaultSelector()
        self.ends: list[str] = []
        socks = []
        for _ in range(2):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
            self._sel.register(s, selectors.EVENT_READ)
            self.ends.append(f"127.0.0.1:{s.getsockname()[1]}")
        # What `left` sends to end 0 leaves end 1 towards `right`, and back.
        self._ends[socks[0]] = (socks[1], right)
        self._ends[socks[1]] = (socks[0], left)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        for s in self._ends:
            s.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            for key, _ in self._sel.select(timeout=0.1):
                sock = key.fileobj
                assert isinstance(sock, socket.socket)
                try:
                    data, _ = sock.recvfrom(65535)
                except OSError:
                    continue
                if self.cut:
                    self.dropped += 1
                    continue
                out, to = self._ends[sock]
                out.sendto(data, to)
                self.forwarded += 1
