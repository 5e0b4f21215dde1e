"""Access tokens (no I/O): RS256 JWTs signed with the current slot's key, verified against the keys
the caller holds (a keyring).

The format is SuperTokens' access token v5, so that its SDKs verify our tokens locally: header
``{"alg": "RS256", "typ": "JWT", "kid": "d-…", "version": "5"}``; claims ``sub``, ``exp``, ``iat``
(seconds), ``tId``, ``rsub``, ``sessionHandle``, ``refreshTokenHash1``, ``parentRefreshTokenHash1`` and
``antiCsrfToken`` (both ``null`` when unset), then the custom claims at the root. The payload bytes are
exactly the canonical JSON the custom-claims cap measures (``jsondoc.dumps``, UTF-8, nothing escaped
that need not be), so a payload under the cap always makes a token that verification accepts.

Verification decides from the header alone, before any key is touched, that the token claims
RS256 (never ``none``, never HS256 "keyed" with our public key) and names a key. Times are checked
against the caller's ``now``, not PyJWT's clock. Errors carry a code and never any token content.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final, NoReturn, Protocol

from jwt import api_jws
from jwt.algorithms import RSAAlgorithm

from authstate.documents.jsondoc import JsonNumber, JsonObject, dumps, parse_object
from authstate.errors import AuthstateError, ErrorCode
from authstate.identifiers import looks_like_refresh_token
from authstate.limits import MAX_NESTING_DEPTH

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

    from authstate.recipe.session.signing_keys import SigningKey

ALGORITHM: Final = "RS256"
#: The access-token format version (a string, as SuperTokens' SDKs require).
TOKEN_VERSION: Final = "5"  # noqa: S105 - a format version, not a secret
#: Claims that custom access-token claims may never set: the token's own identity and lifetime, and
#: ``stt``, which SuperTokens' SDKs reserve.
PROTECTED_CLAIMS: Final = frozenset(
    {
        "sub",
        "exp",
        "iat",
        "nbf",
        "iss",
        "aud",
        "jti",
        "sessionHandle",
        "tId",
        "refreshTokenHash1",
        "parentRefreshTokenHash1",
        "antiCsrfToken",
        "rsub",
        "stt",
    }
)
#: The claims SuperTokens' core protects in a v5 access token (``AccessToken.java``,
#: ``requiredAndProtectedPropsV5``): what its SDKs may not set, fewer than :data:`PROTECTED_CLAIMS`.
SUPERTOKENS_PROTECTED_CLAIMS: Final = frozenset(
    {
        "sub",
        "exp",
        "iat",
        "sessionHandle",
        "refreshTokenHash1",
        "parentRefreshTokenHash1",
        "antiCsrfToken",
        "tId",
        "rsub",
    }
)
#: Protected claims that SuperTokens' core lets its SDKs set (its own protected claims are fewer than
#: authstate's): ``iss`` (the SDK puts the app's API domain there), ``nbf``, ``aud``, ``jti``, ``stt``.
SDK_CLAIMS: Final = PROTECTED_CLAIMS - SUPERTOKENS_PROTECTED_CLAIMS
REQUIRED_CLAIMS: Final = ("exp", "iat", "sub", "sessionHandle")
#: How far in the future ``iat`` may be, for clock skew between the minting and verifying Lambdas.
IAT_LEEWAY_SECONDS: Final = 60

_RS256 = RSAAlgorithm(RSAAlgorithm.SHA256)
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")


class VerificationKeys(Protocol):
    """What verification needs of a :class:`session.key_store.KeyRing` (tests pass a fake)."""

    def verification_key(self, kid: str, now: float) -> RSAPublicKey | None: ...


def mint_access_token(claims: Mapping[str, Any], key: SigningKey) -> str:
    headers = {"kid": key.kid, "typ": "JWT", "version": TOKEN_VERSION}
    payload = dumps(claims).encode("utf-8")
    return api_jws.encode(payload, key.private_key, algorithm=ALGORITHM, headers=headers)


def verify_access_token(
    token: str, keyring: VerificationKeys, now: float, *, allow_expired: bool = False
) -> dict[str, Any]:
    """The verified claims of ``token``, or :class:`AuthstateError` with a ``TOKEN_*`` code.
    ``allow_expired``: a token past its ``exp`` is accepted (a SuperTokens regenerate still stores
    what an expired token's holder sends, and mints nothing)."""
    _check_not_misdirected(token)
    segments = token.split(".")
    if len(segments) != 3:
        _reject(
            ErrorCode.TOKEN_MALFORMED,
            "the access token is not a JWT (three base64url parts separated by dots)",
        )
    header = _json_segment(segments[0])
    claims = _json_segment(segments[1])
    signature = _segment(segments[2])
    if header.get("alg") != ALGORITHM:
        _reject(ErrorCode.TOKEN_ALGORITHM_NOT_ALLOWED, "the access token must be signed with RS256")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        _reject(ErrorCode.TOKEN_MALFORMED, "the access token header has no key id")
    if "crit" in header:  # no JWS extension is understood here, so none may be critical
        _reject(ErrorCode.TOKEN_MALFORMED, "the access token header has critical extensions")
    if not isinstance(header.get("version"), str):  # a JWT of SuperTokens' JWT recipe, same keys
        _reject(ErrorCode.TOKEN_MALFORMED, "the token is not an access token: its header has no version")
    public_key = keyring.verification_key(kid, now)
    if public_key is None:
        _reject(ErrorCode.TOKEN_KEY_UNKNOWN, "the access token was signed with an unknown or retired key")
    if len(signature) != public_key.key_size // 8:  # an RSA signature is exactly the modulus size
        _reject(ErrorCode.TOKEN_MALFORMED, "the access token signature is truncated")
    signing_input = f"{segments[0]}.{segments[1]}".encode("ascii")
    if not _RS256.verify(signing_input, public_key, signature):
        _reject(ErrorCode.TOKEN_SIGNATURE_INVALID, "the access token signature does not verify")
    _check_claims(claims, now, allow_expired=allow_expired)
    return dict(claims)


def _check_not_misdirected(token: str) -> None:
    """Two mix-ups answered with their fix: the token with its ``Bearer`` scheme, a refresh token."""
    if token[:7].lower() == "bearer ":
        _reject(
            ErrorCode.TOKEN_MALFORMED,
            "the access token is not a JWT: it starts with `Bearer `; send the token alone (`Bearer` belongs"
            " in an Authorization header, which carries the API key here)",
        )
    if looks_like_refresh_token(token):
        _reject(
            ErrorCode.TOKEN_MALFORMED,
            "the access token is not a JWT: this is a refresh token; send the access token"
            " (`accessToken.token`), and the refresh token to POST /sessions/refresh as `refreshToken`",
        )


def _check_claims(claims: JsonObject, now: float, *, allow_expired: bool) -> None:
    for name in REQUIRED_CLAIMS:
        if name not in claims:
            _reject(ErrorCode.TOKEN_CLAIMS_INVALID, f"the access token lacks the {name} claim")
    if not isinstance(claims["sub"], str):  # "" is a user id SuperTokens' core accepts
        _reject(ErrorCode.TOKEN_CLAIMS_INVALID, "the access token's sub claim is not a string")
    handle = claims["sessionHandle"]
    if not isinstance(handle, str) or not handle:
        _reject(
            ErrorCode.TOKEN_CLAIMS_INVALID, "the access token's sessionHandle claim is not a non-empty string"
        )
    exp = _numeric_date(claims, "exp")
    iat = _numeric_date(claims, "iat")
    nbf = _numeric_date(claims, "nbf") if "nbf" in claims else None
    if now >= exp and not allow_expired:
        _reject(
            ErrorCode.TOKEN_EXPIRED,
            "the access token has expired: refresh the session for a new one"
            " (POST /sessions/refresh with its refresh token)",
        )
    if nbf is not None and nbf > now:
        _reject(ErrorCode.TOKEN_NOT_YET_VALID, "the access token is not valid yet (nbf)")
    if iat > now + IAT_LEEWAY_SECONDS:
        _reject(ErrorCode.TOKEN_NOT_YET_VALID, "the access token was issued in the future (iat)")


def _numeric_date(claims: JsonObject, name: str) -> float:
    value = claims[name]
    if isinstance(value, JsonNumber):  # a NumericDate with a fraction or exponent
        return float(value.text)
    if isinstance(value, bool) or not isinstance(value, int):
        _reject(ErrorCode.TOKEN_CLAIMS_INVALID, f"the access token's {name} claim is not a number")
    return value


def _segment(text: str) -> bytes:
    """Strict, canonical base64url without padding, as JWS compact serialization requires."""
    if len(text) % 4 == 1 or not _BASE64URL.fullmatch(text):
        _reject(ErrorCode.TOKEN_MALFORMED, "the access token is not a JWT: a part is not base64url")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        _reject(ErrorCode.TOKEN_MALFORMED, "the access token is not a JWT: a part is not base64url")
    if base64.urlsafe_b64encode(raw).rstrip(b"=") != text.encode("ascii"):
        _reject(ErrorCode.TOKEN_MALFORMED, "the access token is not a JWT: a part is not base64url")
    return raw


def _json_segment(text: str) -> JsonObject:
    """A header or payload: one JSON object, parsed as strictly as request bodies are."""
    try:
        return parse_object(_segment(text).decode("utf-8"), max_depth=MAX_NESTING_DEPTH)
    except (UnicodeDecodeError, AuthstateError):
        _reject(ErrorCode.TOKEN_MALFORMED, "the access token is not a JWT: its parts are not JSON objects")


def _reject(code: ErrorCode, message: str) -> NoReturn:
    raise AuthstateError(code, message) from None
