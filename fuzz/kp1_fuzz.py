"""Long fuzz run of CodeReader.read: atheris (coverage-guided) if installed, else hypothesis.

Anything but a PersonalCode or CodeRejected from the reader is a finding. Run from the
repository root, for as long as you like:

    uv run --with atheris python fuzz/kp1_fuzz.py -max_total_time=3600 -timeout=10 /tmp/corpus
    uv run python fuzz/kp1_fuzz.py --hypothesis --seconds 3600      # no atheris needed

An input that raises is saved as ./crash-<sha1>, one slower than -timeout seconds (a kiosk
that stalls on a code is stopped too) as ./timeout-<sha1>; replay one with
`uv run --with atheris python fuzz/kp1_fuzz.py ./crash-<sha1>`.

atheris is not in the lockfile on purpose: it is a development tool with a native build,
and `uv run --with` installs it for the run only. With atheris, each input's first byte picks
how the rest is used, so the fuzzer's mutations reach every layer:
  0  raw payload bytes (dispatcher, identity formats, UTF-8);
  1  `KP1:` + base45 of the bytes (base45 and the COSE/CBOR envelope);
  2+ the bytes, read as CBOR if they are CBOR, put at one position of a pass that is then
     correctly signed with a trusted key, so the claims themselves are reached.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the shared strategies live with the tests

try:
    import atheris  # type: ignore[import-untyped, import-not-found, unused-ignore]
except ImportError:
    atheris = None


def _instrumented() -> contextlib.AbstractContextManager[object]:
    """Coverage-instrument the code under test only: instrumenting everything loaded
    (numpy, cryptography, hypothesis: 13,000 functions) takes minutes and guides nothing."""
    if atheris is None or "--hypothesis" in sys.argv:
        return contextlib.nullcontext()
    hooks: contextlib.AbstractContextManager[object] = atheris.instrument_imports(
        include=["checkin_protocol", "kiosk", "cbor2", "base45"]
    )
    return hooks


with _instrumented():
    import base45
    import cbor2

    from checkin_protocol.keys import TrustStore, generate_key
    from kiosk.passes import CodeReader, CodeRejected
from support.kp1_cases import POSITIONS, assemble, good_parts, put  # noqa: E402

KEYS = [generate_key("ES256"), generate_key("Ed25519")]
READER = CodeReader(trust=TrustStore([k.public_key() for k in KEYS]))


def read(payload: bytes) -> None:
    """The property: a code or CodeRejected. Anything else propagates, and is the finding."""
    with contextlib.suppress(CodeRejected):
        READER.read(payload, time.time())


def signed_with(position: str, value: Any, key_index: int) -> bytes:
    key = KEYS[key_index % len(KEYS)]
    parts = good_parts(key)
    put(parts, position, value, -1)
    return assemble(key, parts).encode()


def one_input(data: bytes) -> None:
    if not data:
        return
    mode, rest = data[0], data[1:]
    if mode == 0:
        read(rest)
    elif mode == 1:
        read(b"KP1:" + base45.b45encode(rest))
    else:
        try:
            # Shallow values only: cbor2's canonical encoder is exponential in the depth of
            # maps nested as keys, which hung this harness (not the reader, whose decoder
            # stops at depth 3) on an 80-byte input.
            value: Any = cbor2.loads(rest, max_depth=6)
        except Exception:  # not CBOR: the bytes themselves are the value
            value = rest
        try:
            payload = signed_with(POSITIONS[mode % len(POSITIONS)], value, mode)
        except Exception:  # a value cbor2 cannot encode back (e.g. a shared reference)
            return
        read(payload)


def seeds(folder: Path) -> None:
    """A starting corpus: one good input per mode, so mutations start from real passes."""
    folder.mkdir(parents=True, exist_ok=True)
    cccd = "001090012345|123456789|NGUYỄN VĂN AN|01011990|Nam|Hà Nội|01012021".encode()
    good = assemble(KEYS[0], good_parts(KEYS[0])).encode()
    (folder / "cccd").write_bytes(b"\x00" + cccd)
    (folder / "pass").write_bytes(b"\x00" + good)
    (folder / "envelope").write_bytes(b"\x01" + base45.b45decode(good[4:].decode()))
    for i in range(2, 2 + len(POSITIONS)):
        (folder / f"position-{i}").write_bytes(bytes([i]) + cbor2.dumps([1, {2: b"x"}]))


def run_atheris(argv: list[str]) -> None:
    corpus = [a for a in argv[1:] if not a.startswith("-")]
    for folder in corpus:
        seeds(Path(folder))
    atheris.Setup(argv, one_input)
    atheris.Fuzz()


def run_hypothesis(seconds: float, examples: int) -> None:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from support.kp1_cases import cbor_values

    count = 0
    deadline = time.monotonic() + seconds

    inputs = st.one_of(
        st.binary(max_size=2100).map(lambda b: b"\x00" + b),
        st.binary(max_size=500).map(lambda b: b"\x01" + b),
        st.tuples(st.integers(2, 255), cbor_values).map(
            lambda t: bytes([t[0]]) + cbor2.dumps(t[1])
        ),
    )

    # Batches, each with a fresh random seed, until the time or the example budget is spent:
    # one run of max_examples=10**7 would keep generating long after the deadline.
    batch = min(examples, 2000)

    @settings(
        max_examples=batch,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(inputs)
    def fuzz(data: bytes) -> None:
        nonlocal count
        count += 1
        one_input(data)

    start = time.monotonic()
    while time.monotonic() < deadline and count < examples:
        fuzz()
    took = time.monotonic() - start
    print(f"hypothesis: {count} inputs in {took:.0f} s, no finding")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hypothesis", action="store_true", help="do not use atheris")
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--examples", type=int, default=10_000_000)
    args, rest = parser.parse_known_args()
    if not args.hypothesis:
        if atheris is None:
            print("atheris is not installed: fuzzing with hypothesis instead", file=sys.stderr)
        else:
            run_atheris([sys.argv[0], *rest])
            return
    run_hypothesis(args.seconds, args.examples)


if __name__ == "__main__":
    main()
