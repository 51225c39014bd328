"""Screenshots of every registry page at 1280×800 and 360×740, from a real registry.

    .venv/bin/python bench/pages_gallery.py [OUT_DIR]   (default: pages-gallery/)

Starts `kiosk-registry serve` on a fresh data folder, fills it with demo data (venues,
kiosks, people, a morning of check-ins), then walks every page in Debian's headless
Chromium, in Vietnamese and in English, writing PNGs and printing what the page checks
found wrong (sideways scroll, English on a Vietnamese page, unlabelled inputs, headings).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the page checks are the tests' own

from support.browser import fill_demo, make_driver, walk  # noqa: E402
from support.registry import free_port  # noqa: E402


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "pages-gallery").resolve()
    out.mkdir(parents=True, exist_ok=True)
    from registry.service import Registry
    from registry.settings import Settings

    data = Path(tempfile.mkdtemp(prefix="gallery-"))
    registry = Registry(Settings.load(data))
    registry.init()
    port = free_port()
    exe = shutil.which("kiosk-registry") or str(Path(sys.executable).parent / "kiosk-registry")
    server = subprocess.Popen([exe, "--data", str(data), "serve", "--port", str(port)])
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                requests.get(base, timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        tokens = fill_demo(registry, base)
        driver = make_driver()
        try:
            bad = 0
            for lang in ("vi", "en"):
                for page, problems in walk(driver, base, tokens, out, lang=lang).items():
                    for p in problems:
                        bad += 1
                        print(f"{page} [{lang}]: {p}")
        finally:
            driver.quit()
    finally:
        server.terminate()
        server.wait(10)
        shutil.rmtree(data, ignore_errors=True)
    print(f"screenshots in {out}; {bad} problems")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
