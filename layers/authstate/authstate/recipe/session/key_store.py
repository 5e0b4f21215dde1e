"""The key store: the signing keys of a partition of the signing-keys table, cached per warm Lambda
(``KeyRing``), and the refresh-token MAC key (``load_mac_key``). The keys themselves, and how they sign,
are ``session.signing_keys``.

The first process that needs a slot's key creates it with a conditional put, so concurrent cold starts
can never create two keys for one slot: the losers read the winner's key instead.

A keyring that only verifies (``can_sign=False``) reads the public attributes alone, so the functions
that only verify can be denied the private keys by IAM (template.yaml: ``dynamodb:Attributes``).

A process trusts the keys it read for ``cache_seconds`` (``SIGNING_KEY_CACHE_SECONDS``); then its next
use reads them again. That is the bound within which an emergency rotation (:meth:`KeyRing.rotate_now`:
a new key now, every earlier one deleted) reaches every warm Lambda.
"""

from __future__ import annotations

import math
import secrets
import threading
from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from authstate.errors import AuthstateError, ErrorCode, SigningKeyUnavailable, StorageUnavailable
from authstate.recipe.session.signing_keys import (
    DEFAULT_PARTITION,
    PUBLIC_ATTRIBUTES,
    STATIC_SLOT,
    Rotation,
    SigningKey,
    signs,
    slot_of,
)
from authstate.security import SecurityEvent, report
from authstate.storage.table import ConditionFailed, Item, Table

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

#: Reloads caused by unknown kids happen at most this often per process, so random kids are cheap.
UNKNOWN_KID_RELOAD_INTERVAL_SECONDS = 5.0
#: How long before its slot starts a key appears in the JWKS: longer than the JWKS's max-age.
PUBLISH_AHEAD_SECONDS = 900
#: How long a process trusts the keys it read before reading them again (one Query).
DEFAULT_CACHE_SECONDS = 60
#: The refresh-token MAC key's item (``pk``) in the signing-keys table.
MAC_KEY_PARTITION = "refresh-token-mac"


class KeyRing:
    """The signing keys of one partition, cached in this process.

    Steady state costs one DynamoDB Query per ``cache_seconds``: in between, the current slot's key
    signs and every loaded key verifies until its ``expiresAt``. DynamoDB is also queried when the
    slot changes, and for an unknown kid at most once (and at most once per
    ``unknown_kid_reload_interval``).
    Thread-safe, although Lambda calls it from one thread at a time.
    """

    def __init__(
        self,
        table: Table,
        *,
        rotation_seconds: int,
        access_token_ttl_seconds: int,
        can_sign: bool = True,
        partition: str = DEFAULT_PARTITION,
        unknown_kid_reload_interval: float = UNKNOWN_KID_RELOAD_INTERVAL_SECONDS,
        cache_seconds: float = DEFAULT_CACHE_SECONDS,
    ) -> None:
        self._table = table
        self._rotation_seconds = rotation_seconds
        self._access_token_ttl_seconds = access_token_ttl_seconds
        self._can_sign = can_sign
        self._partition = partition
        self._unknown_kid_reload_interval = unknown_kid_reload_interval
        self._lock = threading.Lock()
        self._keys: dict[str, SigningKey] = {}  # replaced whole on reload, so readers need no lock
        self._loaded = False
        self._last_unknown_kid_reload: float | None = None
        self._cache_seconds = cache_seconds
        self._loaded_at: float | None = None

    @property
    def partition(self) -> str:
        return self._partition

    def signing_key(self, now: float) -> SigningKey:
        """The current slot's key, loaded or created (exactly one per slot, whoever creates it)."""
        if not self._can_sign:
            raise TypeError("this keyring only verifies: it never reads private keys")
        return self._key_for_slot(slot_of(now, self._rotation_seconds), now)

    def static_key(self, now: float) -> SigningKey:
        """The static key (kid ``s-…``), loaded or created once, whoever creates it."""
        if not self._can_sign:
            raise TypeError("this keyring only verifies: it never reads private keys")
        return self._key_for_slot(STATIC_SLOT, now)

    def _key_for_slot(self, slot: int, now: float) -> SigningKey:
        self._revalidate(now)
        key = self._key_of_slot(slot)
        if key is not None:
            return key
        with self._lock:
            key = self._key_of_slot(slot)
            if key is None:
                self._reload(now)
                key = self._key_of_slot(slot)
            if key is None:
                key = self._create(slot, now)
        return key

    def verification_key(self, kid: str, now: float) -> RSAPublicKey | None:
        """The public key of ``kid`` if it may still verify; an unknown kid reloads at most once."""
        self._revalidate(now)
        key = self._keys.get(kid)
        if key is None:
            with self._lock:
                key = self._keys.get(kid)
                if key is None and self._may_reload_for_unknown_kid(now):
                    was_loaded = self._loaded
                    self._reload(now)
                    if was_loaded:  # only a reload that happened counts against the limit
                        self._last_unknown_kid_reload = now
                    key = self._keys.get(kid)
        if key is None or key.expires_at <= now:
            return None
        return key.public_key

    def is_imported(self, kid: str) -> bool:
        """Whether ``kid`` is a loaded key imported from a SuperTokens core (verify-only)."""
        key = self._keys.get(kid)
        return key is not None and key.is_imported

    def jwks(self, now: float) -> dict[str, Any]:
        """Every key that may still verify a token, newest first; the current one always included.

        In the last ``PUBLISH_AHEAD_SECONDS`` of a slot the next slot's key is created and listed
        too, so a verifier holding a cached JWKS (max-age 300 s) already knows the next kid."""
        slot = slot_of(now, self._rotation_seconds)
        self._key_for_slot(slot, now)
        slot_end = (slot + 1) * self._rotation_seconds
        if now >= slot_end - min(PUBLISH_AHEAD_SECONDS, self._rotation_seconds / 2):
            self._key_for_slot(slot + 1, now)
        keys = sorted(
            (key for key in self._keys.values() if key.expires_at > now and not key.is_static),
            key=lambda k: k.slot,
            reverse=True,
        )
        static = [key for key in self._keys.values() if key.is_static]  # listed once it exists
        return {"keys": [dict(key.jwk) for key in [*keys, *static]]}

    def jwks_with_static_key(self, now: float) -> dict[str, Any]:
        """:meth:`jwks` with the static key always in it, created if it does not exist yet: the JWKS of
        SuperTokens' core lists its static key whether or not anything was signed with it, so a JWT
        signed with it verifies with any copy of the JWKS fetched since."""
        self._key_for_slot(STATIC_SLOT, now)
        return self.jwks(now)

    def _key_of_slot(self, slot: int) -> SigningKey | None:
        for key in self._keys.values():
            if key.slot == slot:
                return key
        return None

    def _revalidate(self, now: float) -> None:
        """Read the keys again once they are ``cache_seconds`` old, so a retired key stops signing and
        verifying here within that bound. If DynamoDB cannot answer, the cached keys stay in use
        (verifying a token needs no database) and the next use one interval later tries again."""
        loaded_at = self._loaded_at
        if loaded_at is None or now - loaded_at < self._cache_seconds:
            return
        with self._lock:
            if self._loaded_at != loaded_at:
                return  # another thread has just read them
            try:
                self._reload(now)
            except StorageUnavailable:
                self._loaded_at = now

    def _may_reload_for_unknown_kid(self, now: float) -> bool:
        if not self._loaded:
            return True  # the first load is not a reload
        last = self._last_unknown_kid_reload
        return last is None or not 0 <= now - last < self._unknown_kid_reload_interval

    def _reload(self, now: float) -> None:
        """One consistent Query of the partition (every slot's key and the static key, if any); keys
        past their ``expiresAt`` are dropped."""
        names = {"#pk": "pk", "#expiresAt": "expiresAt"}
        projection: dict[str, Any] = {}
        if not self._can_sign:
            names.update({f"#a{i}": attribute for i, attribute in enumerate(PUBLIC_ATTRIBUTES)})
            projection = {
                "ProjectionExpression": ",".join(f"#a{i}" for i in range(len(PUBLIC_ATTRIBUTES))),
                "Select": "SPECIFIC_ATTRIBUTES",
            }
        items = self._table.query(
            KeyConditionExpression="#pk = :pk",
            # The static key has no expiresAt.
            FilterExpression="attribute_not_exists(#expiresAt) OR #expiresAt > :now",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues={":pk": {"S": self._partition}, ":now": {"N": str(math.floor(now))}},
            ConsistentRead=True,
            **projection,
        )
        self._install((SigningKey.from_item(item) for item in items), now)
        self._loaded = True
        self._loaded_at = now

    def _install(self, keys: Iterable[SigningKey], now: float) -> None:
        cached = self._keys
        # Reuse already-parsed keys: their kids name the same key material.
        self._keys = {key.kid: cached.get(key.kid, key) for key in keys if key.expires_at > now}

    def _create(self, slot: int, now: float) -> SigningKey:
        if slot == STATIC_SLOT:
            key = SigningKey.generate_static()
        else:
            key = SigningKey.generate(
                slot,
                rotation_seconds=self._rotation_seconds,
                access_token_ttl_seconds=self._access_token_ttl_seconds,
            )
        try:
            self._table.put(key.to_item(self._partition), condition="attribute_not_exists(sk)")
        except ConditionFailed:
            # Another cold start created this slot's key first: use theirs.
            self._reload(now)
            winner = self._key_of_slot(slot)
            if winner is None:
                raise SigningKeyUnavailable from None
            return winner
        if not self._can_sign:
            key = replace(key, private_pem=None)
        self._install([*self._keys.values(), key], now)
        return key

    def rotate_now(self, now: float, *, reason: str | None = None) -> Rotation:
        """Emergency rotation, after a suspected key leak: the current slot's key is replaced by a new
        one, and every other key this partition signs with (other slots' keys, the next slot's if
        already published, the static key) is deleted. Tokens they signed stop verifying in every
        process within ``cache_seconds`` (this one at once); the static key is created anew on its next
        use. Other items of the partition (keys it does not sign with) are left alone. Reads public
        attributes only, so a verify-only keyring can rotate."""
        items = self._table.query(
            KeyConditionExpression="#pk = :pk",
            ExpressionAttributeNames={"#pk": "pk", "#sk": "sk", "#kid": "kid"},
            ExpressionAttributeValues={":pk": {"S": self._partition}},
            ProjectionExpression="#pk,#sk,#kid",
            Select="SPECIFIC_ATTRIBUTES",
            ConsistentRead=True,
        )
        slot = slot_of(now, self._rotation_seconds)
        key = SigningKey.generate(
            slot,
            rotation_seconds=self._rotation_seconds,
            access_token_ttl_seconds=self._access_token_ttl_seconds,
        )
        item = key.to_item(self._partition)
        ours = [found for found in items if signs(found["sk"]["S"])]
        replaced = next((found for found in ours if found["sk"] == item["sk"]), None)
        try:  # exactly over the key it read: a concurrent rotation (or creation) makes this one fail
            if replaced is None:
                self._table.put(item, condition="attribute_not_exists(#sk)", names={"#sk": "sk"})
            else:
                self._table.put(
                    item, condition="#kid = :kid", names={"#kid": "kid"}, values={":kid": replaced["kid"]}
                )
        except ConditionFailed:
            message = "the signing keys changed during the rotation (another rotation?): run it again"
            raise AuthstateError(ErrorCode.CONFLICT, message) from None
        for found in ours:
            if found is not replaced:
                self._table.delete({"pk": found["pk"], "sk": found["sk"]})
        retired = sorted(found["kid"]["S"] for found in ours)
        with self._lock:
            self._keys = {key.kid: key if self._can_sign else replace(key, private_pem=None)}
            self._loaded, self._loaded_at = True, now
        report(SecurityEvent.SIGNING_KEYS_ROTATED, kid=key.kid, retiredKids=retired, reason=reason)
        return Rotation(key.kid, retired)


def load_mac_key(table: Table, partition: str = MAC_KEY_PARTITION) -> bytes:
    """The service's refresh-token MAC key: created once (conditional put), then read."""
    key = {"pk": {"S": partition}, "sk": {"S": "v1"}}
    item = table.get(key)
    if item is None:
        candidate: Item = {**key, "secret": {"B": secrets.token_bytes(32)}}
        try:
            table.put(candidate, condition="attribute_not_exists(#sk)", names={"#sk": "sk"})
            return bytes(candidate["secret"]["B"])
        except ConditionFailed:
            item = table.get(key)  # another cold start won the race: use its key
    if item is None:
        raise RuntimeError("refresh-token MAC key vanished")
    return bytes(item["secret"]["B"])
