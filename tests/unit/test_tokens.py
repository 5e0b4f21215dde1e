"""Access tokens in-process: round trip, and every forged, broken or stale token with its exact code."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from authstate.documents.jsondoc import JsonNumber, dumps
from authstate.errors import AuthstateError
from authstate.limits import (
    MAX_ACCESS_TOKEN_CHARS,
    MAX_CUSTOM_CLAIMS_BYTES_CEILING,
    MAX_ISSUER_BYTES,
    MAX_USER_ID_BYTES,
)
from authstate.recipe.session.access_tokens import (
    PROTECTED_CLAIMS,
    SDK_CLAIMS,
    SUPERTOKENS_PROTECTED_CLAIMS,
    mint_access_token,
    verify_access_token,
)
from authstate.recipe.session.signing_keys import SigningKey

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

ROTATION = 3600
TTL = 600
NOW = 1_800_000_100.0  # 100 s into slot 500000
SLOT = 500_000


@dataclass
class FakeKeyRing:
    """Verification keys by kid, honouring ``expiresAt``; records every lookup."""

    keys: dict[str, SigningKey]
    lookups: list[str] = field(default_factory=list)

    def verification_key(self, kid: str, now: float) -> RSAPublicKey | None:
        self.lookups.append(kid)
        key = self.keys.get(kid)
        return key.public_key if key is not None and key.expires_at > now else None


@pytest.fixture(scope="module")
def key() -> SigningKey:
    return SigningKey.generate(SLOT, rotation_seconds=ROTATION, access_token_ttl_seconds=TTL)


@pytest.fixture(scope="module")
def foreign() -> SigningKey:
    return SigningKey.generate(SLOT, rotation_seconds=ROTATION, access_token_ttl_seconds=TTL)


@pytest.fixture
def keyring(key: SigningKey) -> FakeKeyRing:
    return FakeKeyRing({key.kid: key})


def claims(**changes: Any) -> dict[str, Any]:
    """Valid claims; a change to ``None`` removes the claim."""
    base: dict[str, Any] = {
        "sub": "user-1",
        "sessionHandle": "session-1",
        "tId": "public",
        "iat": int(NOW),
        "exp": int(NOW) + TTL,
        "role": {"admin": True, "groups": ["a", "b"]},
    }
    base.update(changes)
    return {name: value for name, value in base.items() if value is not None}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64json(value: Any) -> str:
    return b64(json.dumps(value, separators=(",", ":")).encode())


def forge(header: dict[str, Any], payload: dict[str, Any], signature: bytes = b"") -> str:
    return f"{b64json(header)}.{b64json(payload)}.{b64(signature)}"


def rs(key: SigningKey, payload: dict[str, Any], *, alg: str = "RS256", **header: Any) -> str:
    """A token signed by ``key`` with PyJWT, header as given (``kid=None``, ``version=None`` leave it
    out)."""
    headers = {"kid": key.kid, "typ": "JWT", "version": "5", **header}
    headers = {name: value for name, value in headers.items() if value is not None}
    return jwt.encode(payload, key.private_key, algorithm=alg, headers=headers)


def hs256_with_public_pem(key: SigningKey) -> str:
    """The classic confusion attack: HMAC keyed with the verifier's public key PEM."""
    pem = key.public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    signing_input = f"{b64json({'alg': 'HS256', 'typ': 'JWT', 'kid': key.kid})}.{b64json(claims())}"
    signature = hmac.new(pem, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


def replace_segment(token: str, index: int, segment: str) -> str:
    parts = token.split(".")
    parts[index] = segment
    return ".".join(parts)


type Forger = Callable[[SigningKey, SigningKey], str]

MALFORMED = "TOKEN_MALFORMED"
ALG = "TOKEN_ALGORITHM_NOT_ALLOWED"
KEY = "TOKEN_KEY_UNKNOWN"
SIG = "TOKEN_SIGNATURE_INVALID"
EXPIRED = "TOKEN_EXPIRED"
EARLY = "TOKEN_NOT_YET_VALID"
CLAIMS = "TOKEN_CLAIMS_INVALID"


def header(key: SigningKey, value: Any) -> str:
    """A token of ours whose header is replaced (JSON of ``value``, or raw bytes as given)."""
    return replace_segment(rs(key, claims()), 0, b64(value) if isinstance(value, bytes) else b64json(value))


def payload(key: SigningKey, segment: str) -> str:
    """A token of ours whose payload segment is replaced (the signature no longer matches)."""
    return replace_segment(rs(key, claims()), 1, segment)


# (id, token from (our key, a foreign key), expected code, whether the keyring is consulted at all)
ATTACKS: list[tuple[str, Forger, str, bool]] = [
    ("alg-none", lambda k, f: forge({"alg": "none", "typ": "JWT", "kid": k.kid}, claims()), ALG, False),
    ("alg-none-signed", lambda k, f: header(k, {"alg": "none", "kid": k.kid}), ALG, False),
    ("alg-missing", lambda k, f: header(k, {"typ": "JWT", "kid": k.kid}), ALG, False),
    ("alg-lowercase", lambda k, f: header(k, {"alg": "rs256", "kid": k.kid}), ALG, False),
    ("alg-not-a-string", lambda k, f: header(k, {"alg": ["RS256"], "kid": k.kid}), ALG, False),
    ("hs256-keyed-with-public-pem", lambda k, f: hs256_with_public_pem(k), ALG, False),
    ("rs512-by-our-key", lambda k, f: rs(k, claims(), alg="RS512"), ALG, False),
    ("ps256-by-our-key", lambda k, f: rs(k, claims(), alg="PS256"), ALG, False),
    ("foreign-key-with-our-kid", lambda k, f: rs(f, claims(), kid=k.kid), SIG, True),
    ("unknown-kid", lambda k, f: rs(f, claims()), KEY, True),
    ("kid-missing", lambda k, f: rs(k, claims(), kid=None), MALFORMED, False),
    ("kid-empty", lambda k, f: header(k, {"alg": "RS256", "kid": ""}), MALFORMED, False),
    ("kid-not-a-string", lambda k, f: header(k, {"alg": "RS256", "kid": 7}), MALFORMED, False),
    ("kid-null", lambda k, f: header(k, {"alg": "RS256", "kid": None}), MALFORMED, False),
    ("crit-header", lambda k, f: rs(k, claims(), crit=["exp"], exp=1), MALFORMED, False),
    ("expired", lambda k, f: rs(k, claims(exp=int(NOW) - 1)), EXPIRED, True),
    ("expires-now", lambda k, f: rs(k, claims(exp=int(NOW))), EXPIRED, True),
    ("nbf-in-future", lambda k, f: rs(k, claims(nbf=int(NOW) + 1)), EARLY, True),
    ("iat-beyond-leeway", lambda k, f: rs(k, claims(iat=int(NOW) + 61)), EARLY, True),
    ("tampered-payload", lambda k, f: payload(k, b64json(claims(sub="admin"))), SIG, True),
    ("tampered-exp", lambda k, f: payload(k, b64json(claims(exp=int(NOW) + 10**6))), SIG, True),
    (
        "tampered-header",
        lambda k, f: header(k, {"alg": "RS256", "kid": k.kid, "version": "5", "x": 1}),
        SIG,
        True,
    ),
    # A JWT of SuperTokens' JWT recipe (POST /cdi/recipe/jwt): signed by our keys, never an access token.
    ("jwt-recipe-token-no-version", lambda k, f: rs(k, claims(), version=None), MALFORMED, False),
    ("version-not-a-string", lambda k, f: rs(k, claims(), version=5), MALFORMED, False),
    ("other-signature", lambda k, f: replace_segment(rs(k, claims()), 2, rs(k, {}).split(".")[2]), SIG, True),
    ("truncated-by-one", lambda k, f: rs(k, claims())[:-1], MALFORMED, False),
    ("truncated-signature", lambda k, f: rs(k, claims())[:-6], MALFORMED, True),
    ("signature-removed", lambda k, f: rs(k, claims()).rsplit(".", 1)[0] + ".", MALFORMED, True),
    ("truncated-in-payload", lambda k, f: rs(k, claims())[:120], MALFORMED, False),
    ("two-segments", lambda k, f: rs(k, claims()).rsplit(".", 1)[0], MALFORMED, False),
    ("four-segments", lambda k, f: rs(k, claims()) + ".AAAA", MALFORMED, False),
    ("padded-base64", lambda k, f: payload(k, b64json({"a": 1}) + "=="), MALFORMED, False),
    ("standard-base64", lambda k, f: payload(k, b64json(claims()) + "+/"), MALFORMED, False),
    ("empty", lambda k, f: "", MALFORMED, False),
    ("garbage", lambda k, f: "garbage", MALFORMED, False),
    ("garbage-segments", lambda k, f: "a.b.c", MALFORMED, False),
    ("dots-only", lambda k, f: "..", MALFORMED, False),
    ("non-ascii", lambda k, f: "\u00e9.\u00e9.\u00e9", MALFORMED, False),
    ("header-not-json", lambda k, f: header(k, b"{alg: RS256}"), MALFORMED, False),
    ("header-json-array", lambda k, f: header(k, ["RS256", k.kid]), MALFORMED, False),
    ("header-not-utf8", lambda k, f: header(k, b'{"kid":"\xff"}'), MALFORMED, False),
    ("payload-not-json", lambda k, f: payload(k, b64(b"sub=admin")), MALFORMED, False),
    ("payload-json-string", lambda k, f: payload(k, b64json("admin")), MALFORMED, False),
    ("payload-duplicate-claim", lambda k, f: payload(k, b64(b'{"sub":"a","sub":"admin"}')), MALFORMED, False),
    ("missing-sub", lambda k, f: rs(k, claims(sub=None)), CLAIMS, True),
    ("missing-sessionHandle", lambda k, f: rs(k, claims(sessionHandle=None)), CLAIMS, True),
    ("missing-exp", lambda k, f: rs(k, claims(exp=None)), CLAIMS, True),
    ("missing-iat", lambda k, f: rs(k, claims(iat=None)), CLAIMS, True),
    ("no-claims", lambda k, f: rs(k, {}), CLAIMS, True),
    ("sub-not-a-string", lambda k, f: rs(k, claims(sub=42)), CLAIMS, True),
    ("sessionHandle-empty", lambda k, f: rs(k, claims(sessionHandle="")), CLAIMS, True),
    ("exp-not-a-number", lambda k, f: rs(k, claims(exp=str(int(NOW) + TTL))), CLAIMS, True),
    ("exp-boolean", lambda k, f: rs(k, claims(exp=True)), CLAIMS, True),
    ("nbf-not-a-number", lambda k, f: rs(k, claims(nbf="0")), CLAIMS, True),
]


@pytest.mark.parametrize(
    ("forger", "code", "looks_up_key"),
    [pytest.param(forger, code, looks_up, id=name) for name, forger, code, looks_up in ATTACKS],
)
def test_rejected_tokens(
    key: SigningKey, foreign: SigningKey, keyring: FakeKeyRing, forger: Forger, code: str, looks_up_key: bool
) -> None:
    token = forger(key, foreign)
    with pytest.raises(AuthstateError) as raised:
        verify_access_token(token, keyring, NOW)
    error = raised.value
    assert (error.code, error.status) == (code, 401)
    assert len(keyring.lookups) == (1 if looks_up_key else 0)
    for part in token.split("."):
        if len(part) >= 6:
            assert part not in error.message
            assert part not in json.dumps(error.to_body())


def test_round_trip_returns_exactly_the_claims(key: SigningKey, keyring: FakeKeyRing) -> None:
    minted = claims(nbf=int(NOW) - 5, jti="j-1", custom=None, nested={"list": [1, None, "ü"]})
    token = mint_access_token(minted, key)
    assert jwt.get_unverified_header(token) == {"alg": "RS256", "kid": key.kid, "typ": "JWT", "version": "5"}
    assert verify_access_token(token, keyring, NOW) == minted
    assert keyring.lookups == [key.kid]


def test_valid_at_the_edges_of_its_lifetime(key: SigningKey, keyring: FakeKeyRing) -> None:
    token = mint_access_token(claims(iat=int(NOW) + 60, nbf=int(NOW)), key)
    assert verify_access_token(token, keyring, NOW)["sub"] == "user-1"
    assert verify_access_token(token, keyring, NOW + TTL - 0.001)["sub"] == "user-1"
    with pytest.raises(AuthstateError) as raised:
        verify_access_token(token, keyring, NOW + TTL)
    assert raised.value.code == "TOKEN_EXPIRED"


def test_the_empty_user_id_is_a_subject(key: SigningKey, keyring: FakeKeyRing) -> None:
    """SuperTokens' core creates sessions for the user id "" (``SessionAPI.java`` reads ``userId`` as any
    string), so a token with ``sub: ""`` verifies; the handle still may not be empty."""
    assert verify_access_token(rs(key, claims(sub="")), keyring, NOW)["sub"] == ""


def test_float_times_are_accepted(key: SigningKey, keyring: FakeKeyRing) -> None:
    token = rs(key, claims(iat=NOW - 0.5, exp=NOW + 0.5))
    assert verify_access_token(token, keyring, NOW)["exp"] == JsonNumber(repr(NOW + 0.5))
    with pytest.raises(AuthstateError) as raised:
        verify_access_token(token, keyring, NOW + 0.5)
    assert raised.value.code == "TOKEN_EXPIRED"


def test_the_payload_is_exactly_the_canonical_json_the_cap_measures(key: SigningKey) -> None:
    """Astral characters stay 4 UTF-8 bytes (PyJWT's own encoder would make them 12), so a payload
    under the custom-claims cap always makes a token that verification accepts."""
    minted = claims(emoji="😀" * 10, exact=JsonNumber("1E5"))
    segment = mint_access_token(minted, key).split(".")[1]
    assert base64.urlsafe_b64decode(segment + "==").decode("utf-8") == dumps(minted)


def test_the_longest_token_the_service_can_mint_is_accepted(key: SigningKey) -> None:
    """Custom claims at the highest configurable cap, made of the character JSON escapes most (a control
    character: 6 bytes, counted as such by the cap), with the longest user id, tenant and issuer made of
    characters JSON escapes (a user id may not hold control characters)."""
    custom = {"k": "\x01" * ((MAX_CUSTOM_CLAIMS_BYTES_CEILING - len('{"k":""}')) // len("\\u0001"))}
    assert (
        MAX_CUSTOM_CLAIMS_BYTES_CEILING - 6 < len(dumps(custom).encode()) <= MAX_CUSTOM_CLAIMS_BYTES_CEILING
    )
    longest = claims(
        sub='"' * MAX_USER_ID_BYTES,
        rsub='"' * MAX_USER_ID_BYTES,
        tId="t" * 64,
        iss="\\" * MAX_ISSUER_BYTES,
        sessionHandle="0" * 36,
        refreshTokenHash1="h" * 64,
        parentRefreshTokenHash1="p" * 64,
        antiCsrfToken="a" * 32,
        role=None,
        **custom,
    )
    assert len(mint_access_token(longest, key)) <= MAX_ACCESS_TOKEN_CHARS  # 25 514 characters


def test_key_past_its_expiry_no_longer_verifies(key: SigningKey, keyring: FakeKeyRing) -> None:
    token = mint_access_token(claims(exp=key.expires_at + 10_000), key)
    assert verify_access_token(token, keyring, key.expires_at - 1)["sub"] == "user-1"
    with pytest.raises(AuthstateError) as raised:
        verify_access_token(token, keyring, key.expires_at)
    assert raised.value.code == "TOKEN_KEY_UNKNOWN"


def test_generated_key_shape(key: SigningKey) -> None:
    assert key.slot == SLOT
    assert (key.not_before, key.sign_until, key.expires_at) == (
        SLOT * ROTATION,
        (SLOT + 1) * ROTATION,
        (SLOT + 1) * ROTATION + TTL + 300,
    )
    assert dict(key.jwk) == {
        "kty": "RSA",
        "kid": key.kid,
        "use": "sig",
        "alg": "RS256",
        "n": key.jwk["n"],
        "e": "AQAB",
    }
    assert len(base64.urlsafe_b64decode(key.jwk["n"] + "==")) == 256
    assert key.public_key.public_numbers() == key.private_key.public_key().public_numbers()
    assert key.private_pem is not None
    assert key.private_pem.startswith("-----BEGIN PRIVATE KEY-----\n")
    assert key.private_pem not in repr(key)
    assert key.kid.startswith("d-")
    assert len(key.kid) == 18


def test_protected_claims() -> None:
    expected = {"sub", "exp", "iat", "nbf", "iss", "aud", "jti", "sessionHandle", "tId", "rsub", "stt"}
    expected |= {"refreshTokenHash1", "parentRefreshTokenHash1", "antiCsrfToken"}
    assert expected == PROTECTED_CLAIMS
    # SuperTokens' core protects fewer (AccessToken.java, requiredAndProtectedPropsV5): the CDI accepts
    # the rest from its SDKs.
    core = {"sub", "exp", "iat", "sessionHandle", "refreshTokenHash1", "parentRefreshTokenHash1"}
    core |= {"antiCsrfToken", "tId", "rsub"}
    assert core == SUPERTOKENS_PROTECTED_CLAIMS
    assert PROTECTED_CLAIMS - SUPERTOKENS_PROTECTED_CLAIMS == SDK_CLAIMS
    assert {"iss", "nbf", "aud", "jti", "stt"} == SDK_CLAIMS


def test_an_expired_token_says_to_refresh(key: SigningKey, keyring: FakeKeyRing) -> None:
    with pytest.raises(AuthstateError) as raised:
        verify_access_token(rs(key, claims(exp=int(NOW) - 1)), keyring, NOW)
    assert raised.value.to_body() == {
        "code": "TOKEN_EXPIRED",
        "message": "the access token has expired: refresh the session for a new one"
        " (POST /sessions/refresh with its refresh token)",
    }


@pytest.mark.parametrize("scheme", ["Bearer ", "bearer ", "BEARER "])
def test_a_token_with_its_bearer_scheme_says_to_send_it_alone(
    key: SigningKey, keyring: FakeKeyRing, scheme: str
) -> None:
    token = rs(key, claims())
    with pytest.raises(AuthstateError) as raised:
        verify_access_token(scheme + token, keyring, NOW)
    assert raised.value.to_body() == {
        "code": "TOKEN_MALFORMED",
        "message": "the access token is not a JWT: it starts with `Bearer `; send the token alone (`Bearer`"
        " belongs in an Authorization header, which carries the API key here)",
    }
    assert keyring.lookups == []
    assert verify_access_token(token, keyring, NOW)["sub"] == "user-1"  # the same token alone verifies


def test_a_refresh_token_as_access_token_says_where_each_goes(keyring: FakeKeyRing) -> None:
    refresh_token = "rt1.286956d5-6135-4ae9-b41a-2cb2ff73aca0.-.bm9uY2U.bWFj"
    with pytest.raises(AuthstateError) as raised:
        verify_access_token(refresh_token, keyring, NOW)
    assert raised.value.to_body() == {
        "code": "TOKEN_MALFORMED",
        "message": "the access token is not a JWT: this is a refresh token; send the access token"
        " (`accessToken.token`), and the refresh token to POST /sessions/refresh as `refreshToken`",
    }
