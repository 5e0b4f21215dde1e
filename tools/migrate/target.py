"""authstate's tables, as the importer writes them: every write is conditional, so a run never overwrites
what authstate itself wrote after the switch (a converted session, a payload merged by handle, metadata
updated or cleared), and running it again changes nothing that is already in place."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

from authstate.documents.expressions import UpdateBuilder, encode_document, encode_value
from authstate.identifiers import user_id_key
from authstate.recipe.session.core_sessions import (
    CORE_KEY_PARTITION,
    IMPORTED_AT,
    CoreRefreshKey,
    core_key_from_item,
    core_key_item,
    core_key_key,
    imported_key_item,
)
from authstate.recipe.session.core_tokens import is_core_hash, stored_core_hash
from authstate.recipe.session.items import DATA, DATA_COUNTED, PAYLOAD, PAYLOAD_COUNTED, session_key
from authstate.recipe.session.signing_keys import DEFAULT_PARTITION, IMPORTED_SORT_KEY_PREFIX
from authstate.recipe.usermetadata.store import DOCUMENT
from authstate.storage.table import ConditionFailed, Item, Table, dynamodb_errors
from tools.migrate.plan import PlannedSession

#: Metadata documents with more root keys than this are not updated by a catch-up: the condition that
#: proves authstate has not changed them since the import would be too long for one expression.
MAX_GUARDED_KEYS = 100

type SyncResult = Literal["updated", "hash-only", "converted", "gone"]


@dataclass(frozen=True)
class Synced:
    result: SyncResult
    version: int = 0


class Target:
    def __init__(
        self,
        sessions: Table,
        metadata: Table,
        keys: Table,
        *,
        key_partition: str = CORE_KEY_PARTITION,
        keys_partition: str = DEFAULT_PARTITION,
    ) -> None:
        """``key_partition``: the refresh-token key's; ``keys_partition``: the signing keys' (tests)."""
        self.sessions = sessions
        self.metadata = metadata
        self.keys = keys
        self._key_partition = key_partition
        self._keys_partition = keys_partition

    # -- keys ---------------------------------------------------------------------------------------

    def core_key(self) -> CoreRefreshKey | None:
        item = self.keys.get(core_key_key(self._key_partition))
        return None if item is None else core_key_from_item(item)

    def put_core_key(
        self, secret: str, *, expires_at: int, imported_at: int, hold_until: int | None
    ) -> CoreRefreshKey:
        """The app's refresh-token key; its expiry only ever moves later, the hold is kept unless given.
        The key as written."""
        existing = self.core_key()
        if existing is not None:
            expires_at = max(expires_at, existing.expires_at)
            if hold_until is None:
                hold_until = existing.hold_until
        key = CoreRefreshKey(secret, expires_at, hold_until)
        self.keys.put(core_key_item(key, imported_at=imported_at, partition=self._key_partition))
        return key

    def set_hold(self, until: int | None) -> CoreRefreshKey | None:
        existing = self.core_key()
        if existing is None:
            return None
        builder = UpdateBuilder()
        hold = builder.name("holdUntil")
        if until is None:
            builder.remove(hold)
        else:
            builder.set(hold, {"N": str(until)})
        builder.condition(f"attribute_exists({builder.name('secret')})")
        self.keys.update(core_key_key(self._key_partition), builder.build(), return_values="NONE")
        return replace(existing, hold_until=until)

    def put_imported_key(self, kid: str, jwk: dict[str, str], expires_at: int) -> None:
        """A verify-only key; an existing one only gets a later expiry."""
        with contextlib.suppress(ConditionFailed):  # failed: there with a later expiry
            self.keys.put(
                imported_key_item(kid, jwk, expires_at, self._keys_partition),
                condition="attribute_not_exists(#sk) OR #e < :e",
                names={"#sk": "sk", "#e": "expiresAt"},
                values={":e": {"N": str(expires_at)}},
            )

    def imported_keys(self) -> list[Item]:
        return self.keys.query(
            KeyConditionExpression="#pk = :pk AND begins_with(#sk, :core)",
            ExpressionAttributeNames={"#pk": "pk", "#sk": "sk"},
            ExpressionAttributeValues={
                ":pk": {"S": self._keys_partition},
                ":core": {"S": IMPORTED_SORT_KEY_PREFIX},
            },
            ConsistentRead=True,
        )

    def retire(self) -> int:
        """Delete the refresh-token key and every verify-only key now; how many items went."""
        gone = 0
        for item in self.imported_keys():
            if self.keys.delete({"pk": item["pk"], "sk": item["sk"]}, return_old=True) is not None:
                gone += 1
        if self.keys.delete(core_key_key(self._key_partition), return_old=True) is not None:
            gone += 1
        return gone

    # -- sessions -----------------------------------------------------------------------------------

    def insert_session(self, planned: PlannedSession) -> Item | None:
        """Put a new imported session; ``None`` if it was put, else the item already there."""
        try:
            self.sessions.put(
                planned.item, condition="attribute_not_exists(#h)", names={"#h": "sessionHandle"}
            )
        except ConditionFailed:
            return self.sessions.get(session_key(planned.handle)) or {}
        return None

    def session(self, handle: str) -> Item | None:
        return self.sessions.get(session_key(handle))

    def sync_session(self, planned: PlannedSession, previous_hash2: str, version: int) -> Synced:
        """Bring an imported, unconverted session up to the core's row: everything if authstate has not
        written to it since (``version``), else only the refresh hash and expiry (its payload and data
        changed in authstate: those are kept)."""
        item = planned.item
        previous = {"S": stored_core_hash(previous_hash2)}
        builder = UpdateBuilder()
        current = builder.name("refreshHash")
        builder.condition(f"{current}={builder.value(previous)}")
        builder.condition(f"{builder.name('version')}={builder.value({'N': str(version)})}")
        for name in (PAYLOAD, DATA, PAYLOAD_COUNTED.count, DATA_COUNTED.count, "expiresAt", "refreshHash"):
            builder.set(builder.name(name), item[name])
        builder.set(builder.name(IMPORTED_AT), item[IMPORTED_AT])
        for counted in (
            PAYLOAD_COUNTED,
            DATA_COUNTED,
        ):  # documents overwritten: no merge decided before lands
            builder.add(builder.name(counted.epoch), {"N": "1"})
        _signing_key(builder, item)
        builder.bump_version()
        try:
            after = self.sessions.update(
                session_key(planned.handle), builder.build(), old_item_on_failure=True
            )
            return Synced("updated", int(after["version"]["N"]))
        except ConditionFailed as failure:
            found = failure.item
        if found is None:
            return Synced("gone")
        if not is_core_hash(found["refreshHash"]["S"]):
            return Synced("converted", int(found["version"]["N"]))
        builder = UpdateBuilder()
        current = builder.name("refreshHash")
        builder.condition(f"{current}={builder.value(previous)}")
        for name in ("expiresAt", "refreshHash"):
            builder.set(builder.name(name), item[name])
        _signing_key(builder, item)
        builder.bump_version()
        try:
            after = self.sessions.update(session_key(planned.handle), builder.build())
        except ConditionFailed:
            return Synced("converted")  # converted between the two calls
        return Synced("hash-only", int(after["version"]["N"]))

    def delete_imported_session(self, handle: str) -> Item | None:
        """Delete a session the importer wrote (revoked on the core); the item it was, or ``None``."""
        table = self.sessions
        try:
            with dynamodb_errors():
                response = table.client.delete_item(
                    TableName=table.name,
                    Key=session_key(handle),
                    ConditionExpression="attribute_exists(#i)",
                    ExpressionAttributeNames={"#i": IMPORTED_AT},
                    ReturnValues="ALL_OLD",
                )
        except ConditionFailed:
            return None
        attributes: Item | None = response.get("Attributes")
        return attributes

    # -- metadata -----------------------------------------------------------------------------------

    def insert_metadata(self, user_id: str, document: Mapping[str, Any]) -> bool:
        item = {"userId": {"S": user_id_key(user_id)}, DOCUMENT: encode_document(document)}
        try:
            self.metadata.put(item, condition="attribute_not_exists(#u)", names={"#u": "userId"})
        except ConditionFailed:
            return False
        return True

    def stored_metadata(self, user_id: str) -> Item | None:
        return self.metadata.get({"userId": {"S": user_id_key(user_id)}})

    def replace_metadata(
        self, user_id: str, written: Mapping[str, Any], document: Mapping[str, Any] | None
    ) -> bool:
        """Replace (or, ``document=None``, delete) a user's metadata only if it is still exactly what the
        importer wrote; ``False`` if authstate changed it since (or it has too many keys to tell)."""
        if len(written) > MAX_GUARDED_KEYS:
            return False
        builder = UpdateBuilder()
        metadata = builder.name(DOCUMENT)
        builder.condition(f"size({metadata})={builder.value({'N': str(len(written))})}")
        for name, value in written.items():
            builder.condition(f"{metadata}.{builder.name(name)}={builder.value(encode_value(value))}")
        key = {"userId": {"S": user_id_key(user_id)}}
        table = self.metadata
        try:
            if document is None:
                arguments = builder.build()
                del arguments["UpdateExpression"]
                with dynamodb_errors():
                    table.client.delete_item(TableName=table.name, Key=key, **arguments)
            else:
                builder.set(metadata, encode_document(document))
                table.update(key, builder.build(), return_values="NONE")
        except ConditionFailed:
            return False
        return True


def _signing_key(builder: UpdateBuilder, item: Item) -> None:
    if "signingKey" in item:
        builder.set(builder.name("signingKey"), item["signingKey"])
    else:
        builder.remove(builder.name("signingKey"))
