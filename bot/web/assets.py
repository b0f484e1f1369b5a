"""Copy the front-end libraries from node_modules (npm ci, package-lock.json) into static/vendor.

Nothing is loaded from a CDN at run time; these files are served by the web app itself.
"""

from __future__ import annotations

import shutil
from pathlib import Path

WEB_DIR = Path(__file__).resolve().parent
VENDOR_DIR = WEB_DIR / "static" / "vendor"
FILES = {
    "socket.io-client/dist/socket.io.min.js": "socket.io.min.js",
    "dompurify/dist/purify.min.js": "purify.min.js",
    "marked/lib/marked.umd.js": "marked.umd.js",
    "chart.js/dist/chart.umd.js": "chart.umd.js",
    "axe-core/axe.min.js": "axe.min.js",  # accessibility scans in the browser tests only
}


def copy_vendor_assets() -> list[Path]:
    """Copy each library file; fail with advice when npm ci has not run."""
    modules = WEB_DIR / "node_modules"
    VENDOR_DIR.mkdir(parents=True, exist_ok=True)
    copied = []
    for source, target in FILES.items():
        src = modules / source
        if not src.exists():
            raise FileNotFoundError(f"{src} is missing: run `cd bot/web && npm ci` (or `make install`).")
        shutil.copy2(src, VENDOR_DIR / target)
        copied.append(VENDOR_DIR / target)
    return copied
