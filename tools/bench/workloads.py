"""Workloads and their contenders: what the concurrent section of ``python -m tools.bench`` runs, and the
single-update functions the size sweep (:mod:`bench.sweep`) times one at a time.

Every workload has the same shape: T threads each apply N updates, every update setting a distinct
root key (``t{thread}-{i}``) of one document of one subject (a user, or a session). Afterwards the
document is read back and every acknowledged key that is missing is a lost update.

Each workload has the same four kinds of contender, on the same item layout (design note §1):

- **floor**: one bare UpdateItem ``SET doc.k = :v``, no condition, ``ReturnValues=NONE``: the least
  DynamoDB can do for one update, and what every other contender's cost is divided by;
- **authstate**: the service's own code (``UserMetadata.update``, ``Sessions.merge_payload_online``);
- **version-locked**: what a careful engineer writes instead: GetItem, merge in memory, PutItem of the
  whole item conditioned on the ``version`` it read, and again from the GetItem on a conflict;
- **naive**: GetItem, merge, unconditional PutItem: as cheap as a read-modify-write gets, and it loses
  updates under concurrency.

- A *contender* is one function ``(target) -> apply``: given the subject and one thread's DynamoDB
  client, it returns the callable that performs one update (one root key, one value).
  To add one: write the function and add one line to its workload's ``contenders``.
- A *workload* is a :class:`Workload` in :data:`WORKLOADS`: its contenders (run in that order),
  which of them is the floor (ratios are against it), how to read back the keys present, how to
  prepare a subject (make the item the updates go to) and clean up.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from authstate.config import Settings
from authstate.documents.expressions import decode_document, encode_document, encode_value
from authstate.documents.jsondoc import size
from authstate.documents.merge import merge
from authstate.errors import AuthstateError, ErrorCode
from authstate.recipe.session import providers as session_providers
from authstate.recipe.session.access_tokens import mint_access_token
from authstate.recipe.session.items import DATA, PAYLOAD, session_from_item, session_key
from authstate.recipe.session.key_store import KeyRing
from authstate.recipe.session.model import AccessToken
from authstate.recipe.session.refresh_tokens import RefreshTokenCodec
from authstate.recipe.session.rules import (
    access_token_claims,
    check_claims_size,
    check_custom_claims,
    check_session_data_size,
)
from authstate.recipe.session.service import Sessions
from authstate.recipe.session.store import SessionStore
from authstate.recipe.usermetadata.service import UserMetadata
from authstate.recipe.usermetadata.store import DOCUMENT, MetadataStore
from authstate.storage.table import ConditionFailed, Item, Table, dynamodb_errors

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

type Apply = Callable[[str, Any], None]
"""One update: set root key ``name`` of the subject's document to ``value``."""


@dataclass(frozen=True)
class Target:
    """What a contender acts on from one thread: one subject, the tables, that thread's client."""

    subject: str
    tables: Mapping[str, str]  # template logical id -> table name
    client: DynamoDBClient

    def table(self, logical_id: str) -> Table:
        return Table(self.tables[logical_id], lambda: self.client)


type Contender = Callable[[Target], Apply]

#: Updates per thread and round when ``--updates`` is not given and the workload names no default.
DEFAULT_UPDATES = 20
#: Version-locked attempts at one update before it gives up (counted as an error, never seen so far).
MAX_VERSION_ATTEMPTS = 100


@dataclass(frozen=True)
class Workload:
    description: str
    contenders: Mapping[str, Contender]  # display name -> contender, in run order
    floor: str  # the contender the others' figures are divided by
    read_keys: Callable[[Target], set[str]]  # root keys present in the subject's document now
    prepare: Callable[[Target], None]  # make the subject's item, before any update
    cleanup: Callable[[Target], None] | None = None  # best effort, after the read-back
    updates: int = DEFAULT_UPDATES  # per thread and round, unless ``--updates`` says otherwise
    parameters: str = ""  # workload-specific settings, printed under its table


# --- shared by every workload: the floor and the version-locked write ------------------------------


def bare_update(client: DynamoDBClient, table: str, key: Item, attribute: str, name: str, value: Any) -> None:
    """The floor: ``SET #doc.#k = :v``, unconditional, nothing returned."""
    client.update_item(
        TableName=table,
        Key=key,
        UpdateExpression="SET #d.#k=:v",
        ExpressionAttributeNames={"#d": attribute, "#k": name},
        ExpressionAttributeValues={":v": encode_value(value)},
        ReturnValues="NONE",
    )


def put_if_version(table: Table, item: Item, version: str) -> bool:
    """PutItem of the whole item if its ``version`` is still the one read; whether it was written."""
    try:
        with dynamodb_errors():
            table.client.put_item(
                TableName=table.name,
                Item=item,
                ConditionExpression="#v=:v",
                ExpressionAttributeNames={"#v": "version"},
                ExpressionAttributeValues={":v": {"N": version}},
            )
    except ConditionFailed:
        return False
    return True


def version_locked(
    table: Table, key: Item, change: Callable[[Item], Item], *, on_missing: Callable[[], Item] | None = None
) -> Item:
    """Optimistic locking: GetItem (consistent), ``change`` the item in memory, PutItem conditioned on
    the version read (bumped by one); on a conflict start again. Returns the item written."""
    for _ in range(MAX_VERSION_ATTEMPTS):
        item = table.get(key)
        if item is None:
            if on_missing is None:
                raise AuthstateError(ErrorCode.SESSION_NOT_FOUND, "no such item")
            item = on_missing()
        version = item.get("version", {"N": "0"})["N"]
        written = {**change(item), "version": {"N": str(int(version) + 1)}}
        if put_if_version(table, written, version):
            return written
    raise AuthstateError(ErrorCode.CONFLICT, f"version-locked update lost {MAX_VERSION_ATTEMPTS} times")


# --- user metadata: root-level merge of {key: value} into one user's document -----------------------

USER_METADATA = "UserMetadataTable"


def user_key(user_id: str) -> Item:
    return {"userId": {"S": user_id}}


def metadata_item(user_id: str, document: Mapping[str, Any]) -> Item:
    """A user's metadata item as the service stores it (design note §1)."""
    return {**user_key(user_id), DOCUMENT: encode_document(document), "version": {"N": "1"}}


def metadata_prepare(target: Target) -> None:
    """Every contender starts from the same item: the user exists, with an empty document."""
    target.table(USER_METADATA).put(metadata_item(target.subject, {}))


def metadata_floor(target: Target) -> Apply:
    """The floor: one bare UpdateItem, ``ReturnValues=NONE``."""
    table, key = target.tables[USER_METADATA], user_key(target.subject)

    def apply(name: str, value: Any) -> None:
        bare_update(target.client, table, key, DOCUMENT, name, value)

    return apply


def metadata_store(target: Target) -> Apply:
    """authstate: ``UserMetadata.update``: one UpdateItem (SET/REMOVE per root key), ``ALL_OLD`` back,
    the merged document returned (the documented 200 answer)."""
    metadata = UserMetadata(MetadataStore(target.table(USER_METADATA)))

    def apply(name: str, value: Any) -> None:
        metadata.update(target.subject, {name: value})

    return apply


def metadata_store_minimal(target: Target) -> Apply:
    """authstate, ``return_document=False`` (HTTP: ``Prefer: return=minimal``, a 204): one UpdateItem,
    ``ReturnValues=NONE``."""
    metadata = UserMetadata(MetadataStore(target.table(USER_METADATA)))

    def apply(name: str, value: Any) -> None:
        metadata.update(target.subject, {name: value}, return_document=False)

    return apply


def metadata_version_locked(target: Target) -> Apply:
    """Version-locked: GetItem, merge, PutItem of the whole document if the version is unchanged,
    retried from the GetItem on a conflict; the merged document is known at the end."""
    table, key = target.table(USER_METADATA), user_key(target.subject)

    def apply(name: str, value: Any) -> None:
        def change(item: Item) -> Item:
            return {
                **item,
                DOCUMENT: encode_document(merge(decode_document(item.get(DOCUMENT)), {name: value})),
            }

        version_locked(table, key, change, on_missing=lambda: dict(key))

    return apply


def metadata_naive(target: Target) -> Apply:
    """Naive: GetItem, merge in Python, unconditional PutItem of the whole document."""
    table, key = target.table(USER_METADATA), user_key(target.subject)

    def apply(name: str, value: Any) -> None:
        item = table.get(key) or dict(key)  # consistent read
        document = merge(decode_document(item.get(DOCUMENT)), {name: value})
        version = int(item.get("version", {"N": "0"})["N"]) + 1
        table.put({**item, DOCUMENT: encode_document(document), "version": {"N": str(version)}})

    return apply


def metadata_keys(target: Target) -> set[str]:
    item = target.table(USER_METADATA).get(user_key(target.subject))
    return set(decode_document(item.get(DOCUMENT) if item else None))


def metadata_cleanup(target: Target) -> None:
    target.table(USER_METADATA).delete(user_key(target.subject))


# --- sessions: merges into one session's access-token payload (and its data) ----------------------
#
# Every thread has a ``Sessions`` of its own (its own client, its own KeyRing object), all sharing one
# KeyRing partition and one refresh-token MAC key, like separate warm Lambdas. Every update presents
# the session's *original* access token. The partition and session are made by ``prepare_session``
# and kept here by subject, so the contenders (built afterwards, one per thread) and the read-back
# find them.

SESSIONS = "SessionsTable"
SESSION_DATA = "SessionDataTable"
SIGNING_KEYS = "SigningKeysTable"
#: The custom-claims cap applies to the token's payload merged with the update; every update here
#: adds a key, so the service default (4096 bytes) would refuse updates long before the run ends:
#: the highest cap the service can be configured to.
MAX_CUSTOM_CLAIMS_BYTES = 16_384
#: Fewer than the metadata workload's: every online merge also verifies and signs an RS256 token
#: carrying the whole stored payload, which grows by one key per update.
SESSION_UPDATES = 10


@dataclass(frozen=True)
class PreparedSession:
    handle: str
    access_token: str  # the original token; every update presents it
    refresh_token: str
    partition: str  # the KeyRing partition holding the session's signing key
    mac_key: bytes


_PREPARED: dict[str, PreparedSession] = {}  # subject -> its session; written by prepare only


def settings(tables: Mapping[str, str]) -> Settings:
    return Settings.from_environment(
        {
            "USER_METADATA_TABLE": tables[USER_METADATA],
            "SESSIONS_TABLE": tables[SESSIONS],
            "SESSION_DATA_TABLE": tables[SESSION_DATA],
            "SIGNING_KEYS_TABLE": tables[SIGNING_KEYS],
            "MAX_CUSTOM_CLAIMS_BYTES": str(MAX_CUSTOM_CLAIMS_BYTES),
        }
    )


def keyring(target: Target, partition: str) -> KeyRing:
    """A KeyRing object of its own (a cold one) on this thread's client."""
    config = settings(target.tables)
    return KeyRing(
        target.table(SIGNING_KEYS),
        rotation_seconds=config.signing_key_rotation_seconds,
        access_token_ttl_seconds=config.access_token_ttl_seconds,
        partition=partition,
    )


def sessions_service(target: Target, partition: str, mac_key: bytes) -> Sessions:
    """A ``Sessions`` on this thread's client, as ``recipe.session.providers`` builds one."""
    codec = RefreshTokenCodec(mac_key)
    return Sessions(
        session_store(target),
        keyring(target, partition),
        lambda: codec,
        settings(target.tables),
    )


def session_store(target: Target) -> SessionStore:
    """The sessions' store on this thread's client, as ``recipe.session.providers`` builds one."""
    return session_providers.session_store(
        settings(target.tables), lambda name: Table(name, lambda: target.client)
    )


def prepare_session(
    target: Target, payload: Mapping[str, Any] | None = None, data: Mapping[str, Any] | None = None
) -> PreparedSession:
    """Create the signing key (of a partition of the subject's own) and the session."""
    partition, mac_key = f"bench-keys-{target.subject}", secrets.token_bytes(32)
    issued = sessions_service(target, partition, mac_key).create(
        target.subject, "public", payload or {}, data or {}
    )
    prepared = PreparedSession(
        issued.session.handle, issued.access_token.token, issued.refresh_token.token, partition, mac_key
    )
    _PREPARED[target.subject] = prepared
    return prepared


def session_prepare(target: Target) -> None:
    prepare_session(target)


def warm_sessions(target: Target) -> tuple[Sessions, PreparedSession]:
    """This thread's ``Sessions``, its keyring loaded (one Query) before the calls are counted."""
    prepared = _PREPARED[target.subject]
    sessions = sessions_service(target, prepared.partition, prepared.mac_key)
    sessions.verify_token(prepared.access_token)  # loads the partition: verifying and signing key
    return sessions, prepared


def session_floor(target: Target) -> Apply:
    """The floor: one bare UpdateItem of the payload's key, ``ReturnValues=NONE`` (no verify, no mint)."""
    prepared = _PREPARED[target.subject]
    table, key = target.tables[SESSIONS], session_key(prepared.handle)

    def apply(name: str, value: Any) -> None:
        bare_update(target.client, table, key, PAYLOAD, name, value)

    return apply


def session_online(target: Target) -> Apply:
    """authstate: ``Sessions.merge_payload_online``: verify, one conditional UpdateItem, mint."""
    sessions, prepared = warm_sessions(target)

    def apply(name: str, value: Any) -> None:
        sessions.merge_payload_online(prepared.access_token, {name: value})

    return apply


def _checked_update(sessions: Sessions, prepared: PreparedSession, update: Mapping[str, Any]) -> AccessToken:
    """What every online merge does first, authstate's or not: verify, check the update's claims."""
    access = sessions.verify_token(prepared.access_token)
    check_custom_claims(update, field="update", limit=MAX_CUSTOM_CLAIMS_BYTES)
    check_claims_size(merge(access.payload, update), limit=MAX_CUSTOM_CLAIMS_BYTES)
    return access


def _live(item: Item | None, now: float) -> Item:
    if item is None or int(item["expiresAt"]["N"]) <= int(now):
        raise AuthstateError(ErrorCode.SESSION_REVOKED, "the session was revoked or has expired")
    return item


def _mint_from(item: Item, payload: dict[str, Any], access: AccessToken, signer: KeyRing, now: float) -> str:
    """A new token as authstate mints one after an online merge: same ``exp``, same refresh hashes."""
    claims = access_token_claims(
        replace(session_from_item(item), payload=payload),
        refresh_hash=access.refresh_hash,
        parent_hash=access.parent_hash,
        issued_at=int(now),
        expires_at=int(access.claims["exp"]),
        issuer=None,
    )
    return mint_access_token(claims, signer.signing_key(now))


def _read_modify_write_parts(target: Target) -> tuple[Sessions, PreparedSession, Table, Item, KeyRing]:
    """What a read-modify-write of the session needs: the warm service (to verify), the prepared
    session, its table and key, and a loaded key ring (to mint as authstate does)."""
    sessions, prepared = warm_sessions(target)
    return (
        sessions,
        prepared,
        target.table(SESSIONS),
        session_key(prepared.handle),
        loaded_keyring(target, prepared),
    )


def session_online_version_locked(target: Target) -> Apply:
    """Version-locked online merge: verify, GetItem the session, merge, PutItem the whole item if its
    version is unchanged (retry from the GetItem), mint as authstate does: the same work, atomically."""
    sessions, prepared, table, key, signer = _read_modify_write_parts(target)

    def apply(name: str, value: Any) -> None:
        update = {name: value}
        access = _checked_update(sessions, prepared, update)
        now = time.time()
        merged: dict[str, Any] = {}

        def change(item: Item) -> Item:
            payload = merge(decode_document(_live(item, now).get(PAYLOAD)), update)
            check_claims_size(payload, limit=MAX_CUSTOM_CLAIMS_BYTES)
            merged["payload"] = payload
            return {**item, PAYLOAD: encode_document(payload)}

        written = version_locked(table, key, change)
        _mint_from(written, merged["payload"], access, signer, now)

    return apply


def session_naive(target: Target) -> Apply:
    """Naive: verify, GetItem the session, merge in Python, PutItem the whole item, mint a new token as
    authstate does (same claims, same ``exp``): the same work minus atomicity."""
    sessions, prepared, table, key, signer = _read_modify_write_parts(target)

    def apply(name: str, value: Any) -> None:
        update = {name: value}
        access = _checked_update(sessions, prepared, update)
        now = time.time()
        item = _live(table.get(key), now)  # consistent read
        payload = merge(decode_document(item.get(PAYLOAD)), update)
        item = {
            **item,
            PAYLOAD: encode_document(payload),
            "version": {"N": str(int(item["version"]["N"]) + 1)},
        }
        table.put(item)
        _mint_from(item, payload, access, signer, now)

    return apply


def session_data_version_locked(target: Target) -> Apply:
    """Version-locked merge into the session data (the sweep's baseline for ``merge_data``): GetItem of
    the session (is it live?), then GetItem of its data item, merge, the same size check, conditional
    PutItem of the whole data item; the merged data known."""
    prepared = _PREPARED[target.subject]
    key = session_key(prepared.handle)
    sessions, data_table = target.table(SESSIONS), target.table(SESSION_DATA)

    def apply(name: str, value: Any) -> None:
        now = time.time()
        _live(sessions.get(key), now)

        def change(item: Item) -> Item:
            data = merge(decode_document(item.get(DATA)), {name: value})
            check_session_data_size(size(data))
            return {**item, DATA: encode_document(data)}

        version_locked(data_table, key, change)

    return apply


def loaded_keyring(target: Target, prepared: PreparedSession) -> KeyRing:
    ring = keyring(target, prepared.partition)
    ring.signing_key(time.time())  # loaded before the calls are counted
    return ring


def session_keys(target: Target) -> set[str]:
    item = target.table(SESSIONS).get(session_key(_PREPARED[target.subject].handle))
    return set(decode_document(item.get(PAYLOAD) if item else None))


def session_cleanup(target: Target) -> None:
    prepared = _PREPARED.pop(target.subject)
    target.table(SESSIONS).delete(session_key(prepared.handle))
    keys = target.table(SIGNING_KEYS)
    for item in keys.query(
        KeyConditionExpression="#pk = :pk",
        ExpressionAttributeNames={"#pk": "pk"},
        ExpressionAttributeValues={":pk": {"S": prepared.partition}},
    ):
        keys.delete({"pk": item["pk"], "sk": item["sk"]})


# --- the registry --------------------------------------------------------------------------------

FLOOR = "floor: bare UpdateItem"
VERSION_LOCKED = "version-locked Get+Put"
NAIVE = "naive Get+Put"

WORKLOADS: dict[str, Workload] = {
    "metadata": Workload(
        description="concurrent root-key updates of one user's metadata document",
        contenders={
            FLOOR: metadata_floor,
            "authstate merge": metadata_store,
            "authstate merge, return=minimal": metadata_store_minimal,
            VERSION_LOCKED: metadata_version_locked,
            NAIVE: metadata_naive,
        },
        floor=FLOOR,
        read_keys=metadata_keys,
        prepare=metadata_prepare,
        cleanup=metadata_cleanup,
    ),
    "verify-and-merge": Workload(
        description="concurrent online merges into one session's access-token payload, original token",
        contenders={
            FLOOR: session_floor,
            "authstate online merge": session_online,
            VERSION_LOCKED + " + verify, mint": session_online_version_locked,
            NAIVE + " + verify, mint": session_naive,
        },
        floor=FLOOR,
        read_keys=session_keys,
        prepare=session_prepare,
        cleanup=session_cleanup,
        updates=SESSION_UPDATES,
        parameters=f"max_custom_claims_bytes={MAX_CUSTOM_CLAIMS_BYTES} (service default 4096); "
        "the floor neither verifies nor signs",
    ),
}
