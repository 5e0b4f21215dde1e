"""SuperTokens' JWT recipe: JWTs of any payload, signed with the sessions' keys, for service-to-service
calls (the SDKs' ``create_jwt`` / ``createJWT``; the OpenID recipe builds on it), verifiable with the
same JWKS.

Signed as the core signs them (``JWTSigningFunctions.createJWTToken``): header ``alg``, ``typ`` and
``kid`` only, so an access token's verification, which needs a ``version``, refuses them; claims ``iat``
and ``exp`` (now and now + the validity, in seconds) and ``iss`` (the ``jwksDomain`` sent), the payload
over them (a payload's own ``iss``, ``iat`` or ``exp`` wins). The static key unless asked otherwise.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from jwt import api_jws

from authstate.documents.jsondoc import dumps
from authstate.recipe.session.access_tokens import ALGORITHM
from authstate.recipe.session.key_store import KeyRing


class JwtSigner:
    def __init__(self, keyring: KeyRing, clock: Callable[[], float] = time.time) -> None:
        self._keyring = keyring
        self._clock = clock

    def sign(
        self, payload: Mapping[str, Any], *, validity_seconds: int, issuer: str, static_key: bool
    ) -> str:
        now = self._clock()
        claims = {"iat": int(now), "exp": int(now) + validity_seconds, "iss": issuer, **payload}
        key = self._keyring.static_key(now) if static_key else self._keyring.signing_key(now)
        return api_jws.encode(
            dumps(claims).encode("utf-8"), key.private_key, algorithm=ALGORITHM, headers={"kid": key.kid}
        )

    def jwks(self) -> dict[str, Any]:
        """Every key that verifies an access token or a JWT of this recipe (the static key included)."""
        return self._keyring.jwks_with_static_key(self._clock())
