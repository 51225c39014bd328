"""Signature verification and full payload reading time per pass.

.venv/bin/python bench/verify.py [--n 2000]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from checkin_protocol.keys import Algorithm, TrustStore, generate_key
from checkin_protocol.kp1 import issue_pass, verify_pass
from kiosk.passes import CodeReader


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=2000)
    args = ap.parse_args()
    print("| algorithm | pass length | verify_pass median | p95 | CodeReader.read median |")
    print("|---|---|---|---|---|")
    algorithms: tuple[Algorithm, ...] = ("ES256", "Ed25519")
    for alg in algorithms:
        key = generate_key(alg)
        trust = TrustStore([key.public_key()])
        reader = CodeReader(trust=trust)
        text = issue_pass(
            key,
            issuer="bench",
            masked_name="Nguyễn V** A",
            valid_until=int(time.time()) + 86400,
            birth_year=1990,
            category="visitor",
            declared_at=int(time.time()),
        )
        payload = text.encode()
        t_verify, t_read = [], []
        for _ in range(args.n):
            t0 = time.perf_counter()
            verify_pass(text, trust)
            t1 = time.perf_counter()
            reader.read(payload, time.time())
            t2 = time.perf_counter()
            t_verify.append((t1 - t0) * 1000)
            t_read.append((t2 - t1) * 1000)
        print(
            f"| {alg} | {len(text)} chars | {statistics.median(t_verify):.3f} ms | "
            f"{np.percentile(t_verify, 95):.3f} ms | {statistics.median(t_read):.3f} ms |"
        )


if __name__ == "__main__":
    main()
