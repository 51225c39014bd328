"""DCC verification time per certificate (ES256, PS256), in the core and through the kiosk's
CodeReader (subject sealed to a registry key), and the decompression-bomb refusal time.

.venv/bin/python bench/dcc_verify.py [--n 500]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from checkin_protocol.dcc import DccRejected, verify_dcc
from checkin_protocol.dcc_trust import DccTrust
from checkin_protocol.keys import TrustStore
from kiosk.passes import CodeReader, DccSigners

# The certificate generators live with the tests; the bench reuses them rather than copy them.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from support.dcc_cases import NOW, Alg, bomb, issue, make_signer


def _times(fn: Callable[[], object], n: int) -> list[float]:
    out = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def _refuse(text: str, trust: DccTrust) -> None:
    try:
        verify_dcc(text, trust, NOW)
    except DccRejected:
        return
    raise AssertionError("the bomb was admitted")


class _Registry:
    """The sealing key a kiosk gets with the registry's deny list."""

    key = X25519PrivateKey.generate().public_key()

    def sealing_key(self) -> X25519PublicKey | None:
        return self.key


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=500)
    args = ap.parse_args()
    print("| case | QR text length | median | p95 |")
    print("|---|---|---|---|")
    trust = DccTrust()
    algs: tuple[Alg, ...] = ("ES256", "PS256")
    for alg in algs:
        signer = make_signer(alg)
        trust.add_der(signer.der, now=NOW)
        text = issue(signer)

        def once(text: str = text) -> None:
            verify_dcc(text, trust, NOW)

        times = sorted(_times(once, args.n))
        print(
            f"| verify_dcc {alg} | {len(text)} | {statistics.median(times) * 1e3:.3f} ms "
            f"| {times[int(len(times) * 0.95)] * 1e3:.3f} ms |"
        )
        reader = CodeReader(TrustStore([]), _Registry(), DccSigners(trust))

        def read(payload: bytes = text.encode(), reader: CodeReader = reader) -> None:
            reader.read(payload, NOW)

        times = sorted(_times(read, args.n))
        print(
            f"| CodeReader.read {alg} (sealed subject) | {len(text)} "
            f"| {statistics.median(times) * 1e3:.3f} ms "
            f"| {times[int(len(times) * 0.95)] * 1e3:.3f} ms |"
        )
    text = bomb()
    times = sorted(_times(lambda: _refuse(text, trust), args.n))
    tracemalloc.start()
    _refuse(text, trust)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(
        f"| bomb refused (inflates to 2.5 MB) | {len(text)} "
        f"| {statistics.median(times) * 1e3:.3f} ms "
        f"| {times[int(len(times) * 0.95)] * 1e3:.3f} ms |"
    )
    print(f"\nbomb refusal peak traced allocation: {peak / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
