"""Running the `kiosk` command line: in this process, as a program would see it, or as one."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
import traceback

from kiosk.cli import main

# A child's limit: a hang must fail the test, not stall the suite.
TIMEOUT = 120


def _decoded(data: bytes) -> str:
    # What subprocess.run(text=True) hands back: UTF-8 here (the locale's), universal newlines.
    return data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")


def _exit_code(code: object) -> int:
    """The status the interpreter exits with for `raise SystemExit(code)`."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)  # as the interpreter does with SystemExit("message")
    return 1


def run_kiosk(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """`kiosk ARGS` through `kiosk.cli.main`, in this process, answering as `run_kiosk_process`.

    Its standard streams are pipes as a child's are (not terminals; bytes underneath for
    `sys.stdout.buffer`; POSIX newlines, no translation) and its logging starts unconfigured,
    so that the command's own `basicConfig` takes effect and its lines go to its stderr.
    A second and more of start-up saved per call; what only a process shows (signals, closed
    pipes, the exit status of a real exit) is for `run_kiosk_process`.
    """
    # CPython's choices for a child's pipes under this C.UTF-8 locale: surrogateescape on
    # stdin and stdout, backslashreplace on stderr, which alone is line-buffered.
    fake_in = io.TextIOWrapper(
        io.BytesIO((stdin or "").encode("utf-8")), encoding="utf-8", errors="surrogateescape",
        newline="\n",
    )  # fmt: skip
    out, err = io.BytesIO(), io.BytesIO()
    # write_through: text and what a command writes to `.buffer` stay in the order written.
    fake_out = io.TextIOWrapper(
        out, encoding="utf-8", errors="surrogateescape", newline="\n", write_through=True
    )
    fake_err = io.TextIOWrapper(
        err, encoding="utf-8", errors="backslashreplace", newline="\n", line_buffering=True
    )
    saved_streams = sys.stdin, sys.stdout, sys.stderr
    root = logging.getLogger()
    # pytest's log capture hangs handlers on the root logger; while any is there, the
    # command's basicConfig does nothing and its lines would never reach its stderr.
    saved_handlers, saved_level = root.handlers[:], root.level
    for handler in saved_handlers:
        root.removeHandler(handler)
    root.setLevel(logging.WARNING)  # a new interpreter's
    sys.stdin, sys.stdout, sys.stderr = fake_in, fake_out, fake_err
    try:
        try:
            code = main(list(args))
        except SystemExit as exc:
            code = _exit_code(exc.code)
        except Exception:
            traceback.print_exc()  # an uncaught error: the traceback on stderr, exit 1
            code = 1
        fake_out.flush()
        fake_err.flush()
        stdout, stderr = out.getvalue(), err.getvalue()
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved_streams
        for handler in root.handlers[:]:  # the command's own, on the streams that end here
            root.removeHandler(handler)
            handler.close()
        for handler in saved_handlers:
            root.addHandler(handler)
        root.setLevel(saved_level)
        # Closed, so that anything still holding these streams fails loudly, not silently.
        for stream in (fake_in, fake_out, fake_err):
            stream.close()
    return subprocess.CompletedProcess(["kiosk", *args], code, _decoded(stdout), _decoded(stderr))


def run_kiosk_process(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m kiosk ARGS` as a child process: the program itself, `__main__` and all."""
    return subprocess.run(
        [sys.executable, "-m", "kiosk", *args],
        input=stdin, capture_output=True, text=True, timeout=TIMEOUT,
        env={**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy"},
    )  # fmt: skip
