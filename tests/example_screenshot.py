"""examples/app/screenshot.png, the README's picture of the example app: written by the browser test
(``make test-browser``) from its own screenshot, with what it shows recorded inside the PNG, so that
``make test`` can tell when it no longer shows what the service and the page do today.

Recorded as PNG ``tEXt`` chunks (no image library needed): the access-token payload the page showed,
and a fingerprint of the page's files (examples/app/static).
"""

from __future__ import annotations

import hashlib
import json
import struct
import zlib
from pathlib import Path
from typing import Any

from tools.localrun.template import ROOT

SCREENSHOT = ROOT / "examples" / "app" / "screenshot.png"
PAGE = ROOT / "examples" / "app" / "static"
PAYLOAD_KEY = "authstate:access-token-payload"
PAGE_KEY = "authstate:page-sha256"
_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def page_fingerprint() -> str:
    """SHA-256 over the page's files, names and contents, in name order."""
    digest = hashlib.sha256()
    for path in sorted(PAGE.iterdir()):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    if not png.startswith(_SIGNATURE):
        raise ValueError("not a PNG")
    chunks, offset = [], len(_SIGNATURE)
    while offset < len(png):
        (length,) = struct.unpack(">I", png[offset : offset + 4])
        kind = png[offset + 4 : offset + 8]
        chunks.append((kind, png[offset + 8 : offset + 8 + length]))
        offset += 12 + length
    return chunks


def with_record(png: bytes, payload: dict[str, Any]) -> bytes:
    """The PNG with the payload it shows and the page's fingerprint in ``tEXt`` chunks after IHDR."""
    chunks = _chunks(png)
    texts = [
        (
            b"tEXt",
            PAYLOAD_KEY.encode("latin-1") + b"\0" + json.dumps(payload, sort_keys=True).encode("ascii"),
        ),
        (b"tEXt", PAGE_KEY.encode("latin-1") + b"\0" + page_fingerprint().encode("ascii")),
    ]
    ordered = [chunks[0], *texts, *(chunk for chunk in chunks[1:] if chunk[0] != b"tEXt")]
    return _SIGNATURE + b"".join(_chunk(kind, data) for kind, data in ordered)


def record(path: Path = SCREENSHOT) -> dict[str, str]:
    """The ``tEXt`` chunks of the PNG at ``path``: keyword -> text."""
    texts = {}
    for kind, data in _chunks(path.read_bytes()):
        if kind == b"tEXt":
            keyword, _, text = data.partition(b"\0")
            texts[keyword.decode("latin-1")] = text.decode("latin-1")
    return texts
