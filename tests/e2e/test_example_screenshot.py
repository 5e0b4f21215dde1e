"""examples/app/screenshot.png (the README's picture) is the browser test's own screenshot, with what
it shows recorded inside (tests/example_screenshot.py): it must show the page as it is and the claims
the service mints today. It once showed refresh-token hashes in a format long gone. When this fails,
`make test-browser` rewrites the picture: commit it."""

from __future__ import annotations

import json
import re
from typing import Any

import jwt

from authstate.recipe.session.access_tokens import PROTECTED_CLAIMS
from tests.e2e.conftest import Api
from tests.example_screenshot import PAGE_KEY, PAYLOAD_KEY, page_fingerprint, record

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
#: Set by the SuperTokens SDK itself in the example (the native API sets it only with TOKEN_ISSUER).
_SDK_CLAIMS = {"iss"}
REFRESH = "run `make test-browser`, which rewrites examples/app/screenshot.png, and commit it"


def shape(value: Any) -> str:
    """What kind of value a claim holds, as far as a reader of the picture can tell."""
    if value is None or isinstance(value, bool | int):
        return type(value).__name__
    if isinstance(value, str):
        return "uuid" if _UUID.fullmatch(value) else "sha256-hex" if _SHA256_HEX.fullmatch(value) else "str"
    return type(value).__name__


def test_the_screenshot_shows_the_page_as_it_is() -> None:
    assert record().get(PAGE_KEY) == page_fingerprint(), f"examples/app/static changed: {REFRESH}"


def test_the_screenshot_shows_the_claims_the_service_mints_today(api: Api, unique_id: str) -> None:
    """The example's step: a session, then a refresh (so the token has a parent hash)."""
    created = api.call("POST", "/sessions", json={"userId": unique_id}).json()
    refreshed = api.call("POST", "/sessions/refresh", json={"refreshToken": created["refreshToken"]["token"]})
    claims = jwt.decode(refreshed.json()["accessToken"]["token"], options={"verify_signature": False})
    shown = json.loads(record()[PAYLOAD_KEY])
    protected = sorted(PROTECTED_CLAIMS - _SDK_CLAIMS)
    assert {name: shape(shown[name]) for name in protected if name in shown} == {
        name: shape(claims[name]) for name in protected if name in claims
    }, f"the service's protected claims changed: {REFRESH}"
