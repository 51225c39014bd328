"""The registry inside another process (the kiosk demo): uvicorn in a thread on loopback."""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType

import uvicorn

from registry.app import create_app
from registry.service import Registry


class EmbeddedRegistry:
    def __init__(self, registry: Registry, host: str = "127.0.0.1", port: int = 0) -> None:
        if port == 0:
            with socket.socket() as s:
                s.bind((host, 0))
                port = int(s.getsockname()[1])
        self.url = f"http://{host}:{port}"
        config = uvicorn.Config(create_app(registry), host=host, port=port, log_level="warning")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="registry", daemon=True)

    def __enter__(self) -> EmbeddedRegistry:
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("embedded registry did not start")
            time.sleep(0.02)
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.should_exit = True
        self._thread.join(10)
