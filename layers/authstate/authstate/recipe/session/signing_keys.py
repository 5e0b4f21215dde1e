"""RS256 signing keys as values (no I/O): the key material of one rotation slot, how it signs and
verifies, and the item it is stored as (``session.key_store`` reads and writes them).

Time is cut into slots of ``signing_key_rotation_seconds``; the key of slot ``n`` signs during that
slot and verifies until ``expiresAt`` (slot end + one access-token lifetime + 5 minutes of clock
skew), which is also the item's TTL. Kids start with ``d-`` (a dynamic key, in SuperTokens' terms); the
static key's with ``s-``. cryptography is imported on first use, so importing this module (e.g. for the
JWKS) stays cheap.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING

from authstate.documents.expressions import Item

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey

DEFAULT_PARTITION = "signing-keys"
ALGORITHM = "RS256"
RSA_KEY_BITS = 2048
#: Verification outlives the last possible token by this much, for clock skew between Lambdas.
CLOCK_SKEW_SECONDS = 300
SLOT_PREFIX = "slot#"
#: SuperTokens' SDKs tell a dynamic (rotating) key from a static one by this prefix of the kid.
DYNAMIC_KID_PREFIX = "d-"
STATIC_KID_PREFIX = "s-"
#: The static key: created on first use (a SuperTokens SDK asking ``useDynamicSigningKey: false``),
#: never rotated, never expiring; in the same partition as the slots' keys.
STATIC_SORT_KEY = "static"
STATIC_SLOT = -1
_NEVER = 2**62
#: Public keys imported from a SuperTokens core (``core#<kid>``, kid ``d-<ms>`` or ``s-<uuid>``): they
#: verify the core's access tokens until ``expiresAt`` and never sign (docs/design.md §12).
IMPORTED_SORT_KEY_PREFIX = "core#"
IMPORTED_SLOT = -2
#: What a verify-only keyring reads: everything but ``privateKey``.
PUBLIC_ATTRIBUTES = ("pk", "sk", "kid", "publicJwk", "notBefore", "signUntil", "expiresAt")


def slot_of(now: float, rotation_seconds: int) -> int:
    return math.floor(now / rotation_seconds)


@dataclass(frozen=True)
class Rotation:
    """What an emergency rotation did: the key that signs from now on, and the kids it retired."""

    kid: str
    retired: list[str]


@dataclass(frozen=True)
class SigningKey:
    """One slot's key. The private key is parsed only when this key actually signs."""

    kid: str
    slot: int
    not_before: int
    sign_until: int
    expires_at: int
    jwk: Mapping[str, str]
    private_pem: str | None = field(repr=False)

    @classmethod
    def generate(cls, slot: int, *, rotation_seconds: int, access_token_ttl_seconds: int) -> SigningKey:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
        from jwt.algorithms import RSAAlgorithm

        private_key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_KEY_BITS)
        public_jwk = RSAAlgorithm.to_jwk(private_key.public_key(), as_dict=True)
        kid = DYNAMIC_KID_PREFIX + secrets.token_urlsafe(12)
        pem = private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode("ascii")
        sign_until = (slot + 1) * rotation_seconds
        return cls(
            kid=kid,
            slot=slot,
            not_before=slot * rotation_seconds,
            sign_until=sign_until,
            expires_at=sign_until + access_token_ttl_seconds + CLOCK_SKEW_SECONDS,
            jwk={
                "kty": "RSA",
                "kid": kid,
                "use": "sig",
                "alg": ALGORITHM,
                "n": str(public_jwk["n"]),
                "e": str(public_jwk["e"]),
            },
            private_pem=pem,
        )

    @classmethod
    def generate_static(cls) -> SigningKey:
        """The static key: a kid ``s-…``, signing and verifying until it is deleted."""
        import uuid

        key = cls.generate(0, rotation_seconds=1, access_token_ttl_seconds=0)
        kid = STATIC_KID_PREFIX + str(uuid.uuid4())
        return replace(
            key,
            kid=kid,
            slot=STATIC_SLOT,
            not_before=0,
            sign_until=_NEVER,
            expires_at=_NEVER,
            jwk={**key.jwk, "kid": kid},
        )

    @property
    def is_static(self) -> bool:
        return self.slot == STATIC_SLOT

    @cached_property
    def private_key(self) -> RSAPrivateKey:
        from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
        from cryptography.hazmat.primitives.serialization import load_pem_private_key

        if self.private_pem is None:
            raise TypeError(f"signing key {self.kid} was read without its private key")
        key = load_pem_private_key(self.private_pem.encode("ascii"), password=None)
        if not isinstance(key, RSAPrivateKey):
            raise TypeError(f"signing key {self.kid} is not an RSA key")
        return key

    @cached_property
    def public_key(self) -> RSAPublicKey:
        from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
        from jwt.algorithms import RSAAlgorithm

        key = RSAAlgorithm.from_jwk(dict(self.jwk))
        if not isinstance(key, RSAPublicKey):  # pragma: no cover - the JWK has no private members
            raise TypeError(f"signing key {self.kid} is not an RSA public key")
        return key

    def to_item(self, partition: str) -> Item:
        if self.private_pem is None:
            raise TypeError(f"signing key {self.kid} has no private key to store")
        item: Item = {
            "pk": {"S": partition},
            "sk": {"S": STATIC_SORT_KEY if self.is_static else f"{SLOT_PREFIX}{self.slot:012d}"},
            "kid": {"S": self.kid},
            "privateKey": {"S": self.private_pem},
            "publicJwk": {"M": {name: {"S": value} for name, value in self.jwk.items()}},
        }
        if not self.is_static:  # the static key has no slot, no end, and no TTL
            item["notBefore"] = {"N": str(self.not_before)}
            item["signUntil"] = {"N": str(self.sign_until)}
            item["expiresAt"] = {"N": str(self.expires_at)}
        return item

    @property
    def is_imported(self) -> bool:
        return self.slot == IMPORTED_SLOT

    @classmethod
    def from_item(cls, item: Item) -> SigningKey:
        if item["sk"]["S"].startswith(IMPORTED_SORT_KEY_PREFIX):  # verify-only: no slot, never a signer
            return cls(
                kid=item["kid"]["S"],
                slot=IMPORTED_SLOT,
                not_before=0,
                sign_until=0,
                expires_at=int(item["expiresAt"]["N"]),
                jwk={name: value["S"] for name, value in item["publicJwk"]["M"].items()},
                private_pem=None,
            )
        if item["sk"]["S"] == STATIC_SORT_KEY:
            return cls(
                kid=item["kid"]["S"],
                slot=STATIC_SLOT,
                not_before=0,
                sign_until=_NEVER,
                expires_at=_NEVER,
                jwk={name: value["S"] for name, value in item["publicJwk"]["M"].items()},
                private_pem=item["privateKey"]["S"] if "privateKey" in item else None,
            )
        return cls(
            kid=item["kid"]["S"],
            slot=int(item["sk"]["S"].removeprefix(SLOT_PREFIX)),
            not_before=int(item["notBefore"]["N"]),
            sign_until=int(item["signUntil"]["N"]),
            expires_at=int(item["expiresAt"]["N"]),
            jwk={name: value["S"] for name, value in item["publicJwk"]["M"].items()},
            private_pem=item["privateKey"]["S"] if "privateKey" in item else None,
        )


def signs(sort_key: str) -> bool:
    """Whether an item of a keys partition is a key that signs (a slot's, or the static one)."""
    return sort_key.startswith(SLOT_PREFIX) or sort_key == STATIC_SORT_KEY
