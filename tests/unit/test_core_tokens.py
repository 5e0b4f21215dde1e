"""The SuperTokens core's refresh tokens as authstate reads them (``recipe.session.core_tokens``): shapes, the
codec's round trip, and the two real core-issued tokens (no keys exist for them: they must be parsed and
refused cleanly). The codec against the JDK's own crypto is tests/integration/test_core_codec.py."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from authstate.errors import AuthstateError, ErrorCode
from authstate.recipe.session.access_tokens import verify_access_token
from authstate.recipe.session.core_tokens import (
    CorePayload,
    open_core_refresh_token,
    parse_core_refresh_token,
    seal_core_refresh_token,
    sha256_hex,
    stored_core_hash,
)

REAL = json.loads((Path(__file__).parents[1] / "data" / "real-core-tokens.json").read_text())["tokens"]
REAL_REFRESH = REAL[0]["token"]
REAL_ACCESS_V2 = REAL[1]["token"]
KEY = "1000:" + "ab" * 64 + ":" + "cd" * 64  # the shape of a core's refresh_token_key (262 characters)
HANDLE = "1f0c9bfa-61f5-4c63-9c0f-3b8f8f3f2a11"


def payload(**fields: str | None) -> CorePayload:
    values: dict[str, str | None] = {
        "session_handle": HANDLE,
        "user_id": "user-1",
        "parent_hash1": None,
        "nonce": sha256_hex("nonce"),
        "anti_csrf_token": None,
        "tenant_id": "public",
    }
    values.update(fields)
    return CorePayload(**values)  # type: ignore[arg-type]


def test_the_real_core_refresh_token_has_the_core_shape_and_its_length_arithmetic():
    parsed = parse_core_refresh_token(REAL_REFRESH)
    assert parsed is not None
    assert (len(REAL_REFRESH.split(".")[0]), len(parsed.sealed), parsed.version) == (340, 253, "V2")
    assert len(parsed.sealed) - 12 - 16 == 225  # IV, ciphertext, GCM tag
    assert parsed.nonce == "ef2c9aab475728ec8817813c5e02077af30425562341289b5a3e1c67122ea853"


def test_the_real_core_refresh_token_does_not_open_under_another_key_and_says_only_invalid():
    parsed = parse_core_refresh_token(REAL_REFRESH)
    assert parsed is not None
    with pytest.raises(AuthstateError) as refused:
        open_core_refresh_token(parsed, KEY)
    assert (refused.value.code, refused.value.message) == (
        ErrorCode.REFRESH_TOKEN_INVALID,
        "the refresh token is not valid",
    )


def test_the_real_core_v2_access_token_is_refused_as_malformed_before_any_key_is_needed():
    class NoKeys:
        def verification_key(self, kid: str, now: float) -> None:
            raise AssertionError("no key may be looked up for a token without a kid")

    with pytest.raises(AuthstateError) as refused:
        verify_access_token(REAL_ACCESS_V2, NoKeys(), 1_683_203_600)
    assert refused.value.code is ErrorCode.TOKEN_MALFORMED  # the CDI answers TRY_REFRESH_TOKEN


def test_a_sealed_payload_opens_to_itself_and_the_token_hashes_are_the_cores():
    original = payload(parent_hash1=sha256_hex("parent"), anti_csrf_token="csrf", tenant_id="tenant1")
    token = seal_core_refresh_token(original, KEY)
    parsed = parse_core_refresh_token(token)
    assert parsed is not None
    assert open_core_refresh_token(parsed, KEY) == original
    assert parsed.hash1 == sha256_hex(token)
    assert stored_core_hash(sha256_hex(parsed.hash1)) == "core2:" + sha256_hex(sha256_hex(token))


def test_the_payload_is_written_as_the_core_writes_it_nulls_and_public_tenant_left_out():
    assert payload().to_json() == (
        f'{{"sessionHandle":"{HANDLE}","userId":"user-1","nonce":"{sha256_hex("nonce")}"}}'
    )
    with_all = payload(parent_hash1="a" * 64, anti_csrf_token="c", tenant_id="t")
    assert list(json.loads(with_all.to_json())) == [
        "sessionHandle", "userId", "parentRefreshTokenHash1", "nonce", "antiCsrfToken", "tenantId",
    ]  # fmt: skip


@pytest.mark.parametrize(
    "token",
    [
        "rt1.abc.-.def.ghi",  # authstate's own
        f"{HANDLE}.V0",  # the core's dead V0
        "AAAA." + "a" * 64 + ".V3",  # unknown version
        "AAAA." + "A" * 64 + ".V2",  # nonce not lower-case hex
        "AAAA." + "a" * 63 + ".V2",
        "AA-_" * 20 + "." + "a" * 64 + ".V2",  # base64url, not the core's base64
        base64.b64encode(b"x" * 28).decode() + "." + "a" * 64 + ".V2",  # no room for IV and tag
        "",
    ],
)
def test_what_is_not_a_core_refresh_token(token: str):
    assert parse_core_refresh_token(token) is None


@pytest.mark.parametrize(
    "change",
    ["another key", "nonce", "flipped byte", "not json", "no user", "parent not a hash", "user not a string"],
)
def test_a_core_shaped_token_that_is_not_genuine_is_invalid_never_anything_else(change: str):
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from authstate.recipe.session.core_tokens import _aes_key

    def sealed(text: str) -> str:
        iv = b"\x01" * 12
        body = AESGCM(_aes_key(KEY, iv)).encrypt(iv, text.encode(), None)
        return base64.b64encode(iv + body).decode() + "." + sha256_hex("nonce") + ".V2"

    good = seal_core_refresh_token(payload(), KEY)
    token = {
        "another key": seal_core_refresh_token(payload(), KEY + "x"),
        "nonce": good.rsplit(".", 2)[0] + "." + sha256_hex("other") + ".V2",
        "flipped byte": base64.b64encode(
            bytes(b ^ (i == 20) for i, b in enumerate(base64.b64decode(good.split(".")[0])))
        ).decode()
        + good[good.index(".") :],
        "not json": sealed("not json"),
        "no user": sealed(json.dumps({"sessionHandle": HANDLE, "nonce": sha256_hex("nonce")})),
        "parent not a hash": sealed(
            json.dumps(
                {
                    "sessionHandle": HANDLE,
                    "userId": "u",
                    "nonce": sha256_hex("nonce"),
                    "parentRefreshTokenHash1": "x",
                }
            )
        ),
        "user not a string": sealed(
            json.dumps({"sessionHandle": HANDLE, "userId": 5, "nonce": sha256_hex("nonce")})
        ),
    }[change]
    parsed = parse_core_refresh_token(token)
    assert parsed is not None
    with pytest.raises(AuthstateError) as refused:
        open_core_refresh_token(parsed, KEY)
    assert refused.value.code is ErrorCode.REFRESH_TOKEN_INVALID
