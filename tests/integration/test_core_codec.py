"""authstate's reading of the SuperTokens core's tokens against the JDK's own crypto, both ways: tokens
and keys made by ``tests/coregen/CoreGen.java`` (javax.crypto PBKDF2WithHmacSHA512, AES/GCM, SHA256withRSA,
with the core's parameters) are read by the Python codec, and tokens the Python codec seals are opened by
the JDK with the core's own checks. What this proves: the JDK primitives and authstate agree on the
parameters read from the core's sources; not that the core does (no running core exists here)."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from authstate.errors import AuthstateError, ErrorCode
from authstate.recipe.session.access_tokens import verify_access_token
from authstate.recipe.session.core_tokens import (
    CorePayload,
    open_core_refresh_token,
    parse_core_refresh_token,
    seal_core_refresh_token,
    sha256_hex,
)
from tests.coregen import CoreGen, CoreGenError
from tools.migrate.plan import public_jwk

# User ids as the core stores them (VARCHAR(128)): any text, the characters Gson escapes included.
USER_IDS = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=40
) | st.sampled_from(["<a&b='c'>", 'quote"back\\slash', "line\nbreak\u2028", "üñí©ødé 🎉"])
CSRF = st.none() | st.builds(lambda: str(uuid.uuid4()))
HASHES = st.none() | st.text(alphabet="0123456789abcdef", min_size=64, max_size=64)
TENANTS = st.sampled_from(["public", "tenant1", "t-2"])
SLOW = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def test_the_core_refresh_token_key_has_the_cores_shape(coregen: CoreGen):
    key = coregen.refresh_token_key()
    assert re.fullmatch(r"1000:[0-9a-f]{128}:[0-9a-f]{128}", key)
    assert len(key) == 262


@SLOW
@given(user_id=USER_IDS, anti_csrf=CSRF, parent=HASHES, tenant=TENANTS)
def test_tokens_the_jdk_seals_open_in_python(
    coregen: CoreGen, user_id: str, anti_csrf: str | None, parent: str | None, tenant: str
):
    key = coregen.refresh_token_key() if user_id.startswith("a") else KEY
    handle = str(uuid.uuid4()) + ("" if tenant == "public" else f"_{tenant}")
    token = coregen.refresh_token(
        key, handle=handle, user_id=user_id, parent_hash1=parent, anti_csrf=anti_csrf, tenant_id=tenant
    )
    parsed = parse_core_refresh_token(token)
    assert parsed is not None
    opened = open_core_refresh_token(parsed, key)
    assert opened == CorePayload(handle, user_id, parent, parsed.nonce, anti_csrf, tenant)
    assert parsed.hash1 == coregen.sha256(token)
    assert sha256_hex(parsed.hash1) == coregen.sha256(coregen.sha256(token))


@SLOW
@given(user_id=USER_IDS, anti_csrf=CSRF, parent=HASHES, tenant=TENANTS)
def test_tokens_python_seals_open_in_the_jdk_with_the_cores_checks(
    coregen: CoreGen, user_id: str, anti_csrf: str | None, parent: str | None, tenant: str
):
    nonce = sha256_hex(str(uuid.uuid4()))
    handle = str(uuid.uuid4())
    token = seal_core_refresh_token(CorePayload(handle, user_id, parent, nonce, anti_csrf, tenant), KEY)
    opened = json.loads(coregen.open(KEY, token))
    expected = {"sessionHandle": handle, "userId": user_id, "parentRefreshTokenHash1": parent, "nonce": nonce,
                "antiCsrfToken": anti_csrf, "tenantId": None if tenant == "public" else tenant}  # fmt: skip
    assert opened == {name: value for name, value in expected.items() if value is not None}


KEY = "1000:" + "0f" * 64 + ":" + "e1" * 64


def test_each_side_refuses_the_others_token_under_another_key(coregen: CoreGen):
    handle = str(uuid.uuid4())
    java = coregen.refresh_token(KEY, handle=handle, user_id="u")
    parsed = parse_core_refresh_token(java)
    assert parsed is not None
    with pytest.raises(AuthstateError) as refused:
        open_core_refresh_token(parsed, KEY[:-1] + "0")
    assert refused.value.code is ErrorCode.REFRESH_TOKEN_INVALID
    python = seal_core_refresh_token(CorePayload(handle, "u", None, sha256_hex("n"), None, "public"), KEY)
    with pytest.raises(CoreGenError, match="AEADBadTagException"):
        coregen.open(KEY[:-1] + "0", python)


def test_the_jdk_refuses_a_python_token_whose_clear_nonce_differs_as_the_core_does(coregen: CoreGen):
    token = seal_core_refresh_token(
        CorePayload(str(uuid.uuid4()), "u", None, sha256_hex("n"), None, "public"), KEY
    )
    altered = token.rsplit(".", 2)[0] + "." + sha256_hex("m") + ".V2"
    with pytest.raises(CoreGenError, match="Invalid refresh token"):
        coregen.open(KEY, altered)


@pytest.mark.parametrize("version", [3, 4, 5])
def test_core_access_tokens_verify_with_the_jwk_of_the_cores_public_half(coregen: CoreGen, version: int):
    pair = coregen.key_pair()
    kid = "d-1754000000000"
    jwk = public_jwk(kid, pair.public)
    assert isinstance(jwk, dict)
    assert set(jwk) == {"kty", "kid", "use", "alg", "n", "e"}

    class Keys:
        def verification_key(self, wanted: str, now: float):  # the verify-only key, as the keyring holds it
            from jwt.algorithms import RSAAlgorithm

            assert wanted == kid
            assert isinstance(jwk, dict)
            return RSAAlgorithm.from_jwk(jwk)

    token = coregen.access_token(
        pair, kid=kid, user_id="ü-user", handle="h-1", refresh_hash1="a" * 64, parent_hash1=None,
        anti_csrf=None, tenant_id="tenant1", issued_at=1_000, expires_at=5_000,
        claims={"role": "admin", "nested": {"x": [1, 2.5, None]}}, version=version,
    )  # fmt: skip
    claims = verify_access_token(token, Keys(), 2_000)
    assert claims["sub"] == "ü-user"
    assert claims["role"] == "admin"
    assert claims["parentRefreshTokenHash1"] is None
    assert ("tId" in claims, "rsub" in claims) == (version >= 4, version >= 5)
    with pytest.raises(AuthstateError) as refused:
        verify_access_token(token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB"), Keys(), 2_000)
    assert refused.value.code is ErrorCode.TOKEN_SIGNATURE_INVALID
