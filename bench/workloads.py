"""Workloads and their contenders: the registry ``python -m bench`` runs.

Every workload has the same shape: T threads each apply N updates, every update setting a distinct
root key (``t{thread}-{i}``) of one document of one subject (a user; later, a session). Afterwards
the document is read back and every acknowledged key that is missing is a lost update.

- A *contender* is one function ``(target) -> apply``: given the subject and one thread's DynamoDB
  client, it returns the callable that performs one update (one root key, one value).
  To add one: write the function and add one line to its workload's ``contenders``.
- A *workload* is a :class:`Workload` in :data:`WORKLOADS`: its contenders (run in that order),
  which of them is the baseline (the ops/s ratio is against it), how to read back the keys present,
  and optionally how to prepare a subject (e.g. create the session its updates go to) and clean up.
  To add one: write its contenders and its ``read_keys`` (plus ``prepare``/``cleanup`` if needed,
  and its own default ``updates`` per thread if the global one would take too long) and add one
  entry to :data:`WORKLOADS`.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from authstate.config import Settings
from authstate.documents.expressions import decode_document, encode_document
from authstate.documents.merge import merge
from authstate.errors import AuthstateError, ErrorCode
from authstate.metadata import DOCUMENT, UserMetadata
from authstate.sessions.access_tokens import mint_access_token
from authstate.sessions.keys import KeyRing
from authstate.sessions.refresh_tokens import RefreshTokenCodec
from authstate.sessions.rules import access_token_claims, check_claims_size, check_custom_claims
from authstate.sessions.service import Sessions
from authstate.sessions.store import PAYLOAD, SessionStore, session_from_item
from authstate.storage.table import Item, Table

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

    def table(self, logical_id: str) -> str:
        return self.tables[logical_id]


type Contender = Callable[[Target], Apply]

#: Updates per thread when ``--updates`` is not given and the workload names no default of its own.
DEFAULT_UPDATES = 200


@dataclass(frozen=True)
class Workload:
    description: str
    contenders: Mapping[str, Contender]  # display name -> contender, in run order
    baseline: str  # the contender the others' ops/s are divided by
    read_keys: Callable[[Target], set[str]]  # root keys present in the subject's document now
    prepare: Callable[[Target], None] | None = None  # make the subject exist, before any update
    cleanup: Callable[[Target], None] | None = None  # best effort, after the read-back
    updates: int = DEFAULT_UPDATES  # per thread, unless ``--updates`` says otherwise
    parameters: str = ""  # workload-specific settings, printed under its table


# --- user metadata: root-level merge of {key: value} into one user's document -----------------------

USER_METADATA = "UserMetadataTable"


def _user_key(user_id: str) -> dict[str, Any]:
    return {"userId": {"S": user_id}}


def metadata_store(target: Target) -> Apply:
    """authstate: ``UserMetadata.update`` - one UpdateItem (SET/REMOVE per root key) per update."""
    metadata = UserMetadata(Table(target.table(USER_METADATA), lambda: target.client))

    def apply(name: str, value: Any) -> None:
        metadata.update(target.subject, {name: value})

    return apply


def metadata_naive(target: Target) -> Apply:
    """Baseline: GetItem, merge in Python, PutItem of the whole document (same item layout)."""
    table, key = Table(target.table(USER_METADATA), lambda: target.client), _user_key(target.subject)

    def apply(name: str, value: Any) -> None:
        item = table.get(key)  # consistent read
        document = merge(decode_document(item.get(DOCUMENT) if item else None), {name: value})
        table.put({**key, DOCUMENT: encode_document(document)})

    return apply


def metadata_keys(target: Target) -> set[str]:
    item = Table(target.table(USER_METADATA), lambda: target.client).get(_user_key(target.subject))
    return set(decode_document(item.get(DOCUMENT) if item else None))


def metadata_cleanup(target: Target) -> None:
    Table(target.table(USER_METADATA), lambda: target.client).delete(_user_key(target.subject))


# --- sessions: verify-and-merge of one session's access-token payload ------------------------------
#
# Every thread has a ``Sessions`` of its own (its own client, its own KeyRing object), all sharing one
# KeyRing partition and one refresh-token MAC key, like separate warm Lambdas. Every update presents
# the session's *original* access token. The partition and session are made in ``prepare`` and kept
# here by subject, so the contenders (built afterwards, one per thread) and the read-back find them.

SESSIONS = "SessionsTable"
SIGNING_KEYS = "SigningKeysTable"
#: The custom-claims cap applies to the token's payload merged with the update; every update here
#: adds a key, so the service default (4096 bytes) would refuse updates long before the run ends:
#: the highest cap the service can be configured to.
MAX_CUSTOM_CLAIMS_BYTES = 16_384
#: Fewer than the metadata workload's, to keep a default run (both workloads) near 90 s on 2 cores:
#: metadata alone takes about 50 s there, and every merge here also signs an RS256 token carrying
#: the whole stored payload, which grows by one key per update.
SESSION_UPDATES = 50


@dataclass(frozen=True)
class PreparedSession:
    handle: str
    access_token: str  # the original token; every update presents it
    partition: str  # the KeyRing partition holding the session's signing key
    mac_key: bytes


_PREPARED: dict[str, PreparedSession] = {}  # subject -> its session; written by prepare only


def _settings(target: Target) -> Settings:
    return Settings.from_environment(
        {
            "USER_METADATA_TABLE": target.table(USER_METADATA),
            "SESSIONS_TABLE": target.table(SESSIONS),
            "SIGNING_KEYS_TABLE": target.table(SIGNING_KEYS),
            "MAX_CUSTOM_CLAIMS_BYTES": str(MAX_CUSTOM_CLAIMS_BYTES),
        }
    )


def _sessions(target: Target, partition: str, mac_key: bytes) -> Sessions:
    """A ``Sessions`` on this thread's client with a KeyRing object of its own (a cold one)."""
    config = _settings(target)
    keyring = KeyRing(
        Table(config.signing_keys_table, lambda: target.client),
        rotation_seconds=config.signing_key_rotation_seconds,
        access_token_ttl_seconds=config.access_token_ttl_seconds,
        partition=partition,
    )
    codec = RefreshTokenCodec(mac_key)
    store = SessionStore(Table(config.sessions_table, lambda: target.client))
    return Sessions(store, keyring, lambda: codec, config)


def _session_key(handle: str) -> Item:
    return {"sessionHandle": {"S": handle}}


def session_prepare(target: Target) -> None:
    """Create the signing key (of a partition of the subject's own) and the session."""
    partition, mac_key = f"bench-keys-{target.subject}", secrets.token_bytes(32)
    issued = _sessions(target, partition, mac_key).create(target.subject, "public", {}, {})
    _PREPARED[target.subject] = PreparedSession(
        issued.session.handle, issued.access_token.token, partition, mac_key
    )


def _warm_sessions(target: Target) -> tuple[Sessions, PreparedSession]:
    """This thread's ``Sessions``, its keyring loaded (one Query) before the calls are counted."""
    prepared = _PREPARED[target.subject]
    sessions = _sessions(target, prepared.partition, prepared.mac_key)
    sessions.verify_token(prepared.access_token)  # loads the partition: verifying and signing key
    return sessions, prepared


def session_online(target: Target) -> Apply:
    """authstate: ``Sessions.merge_payload_online`` - verify, one conditional UpdateItem, mint."""
    sessions, prepared = _warm_sessions(target)

    def apply(name: str, value: Any) -> None:
        sessions.merge_payload_online(prepared.access_token, {name: value})

    return apply


def session_naive(target: Target) -> Apply:
    """Baseline: verify, GetItem the session, merge in Python, PutItem the whole item, mint a new
    token as authstate does (same claims, same ``exp``): the same work minus atomicity."""
    sessions, prepared = _warm_sessions(target)
    table, limit = Table(target.table(SESSIONS), lambda: target.client), MAX_CUSTOM_CLAIMS_BYTES
    keyring = sessions_keyring(target, prepared)

    def apply(name: str, value: Any) -> None:
        access = sessions.verify_token(prepared.access_token)
        update = {name: value}
        check_custom_claims(update, field="update", limit=limit)
        check_claims_size(merge(access.payload, update), limit=limit)
        now = time.time()
        item = table.get(_session_key(access.handle))  # consistent read
        if item is None or int(item["expiresAt"]["N"]) <= int(now):
            raise AuthstateError(ErrorCode.SESSION_REVOKED, "the session was revoked or has expired")
        payload = merge(decode_document(item.get(PAYLOAD)), update)
        item = {
            **item,
            PAYLOAD: encode_document(payload),
            "version": {"N": str(int(item["version"]["N"]) + 1)},
        }
        table.put(item)
        claims = access_token_claims(
            replace(session_from_item(item), payload=payload),
            refresh_hash=access.refresh_hash,
            parent_hash=access.parent_hash,
            issued_at=int(now),
            expires_at=int(access.claims["exp"]),
            issuer=None,
        )
        mint_access_token(claims, keyring.signing_key(now))

    return apply


def sessions_keyring(target: Target, prepared: PreparedSession) -> KeyRing:
    config = _settings(target)
    keyring = KeyRing(
        Table(config.signing_keys_table, lambda: target.client),
        rotation_seconds=config.signing_key_rotation_seconds,
        access_token_ttl_seconds=config.access_token_ttl_seconds,
        partition=prepared.partition,
    )
    keyring.signing_key(time.time())  # loaded before the calls are counted
    return keyring


def session_keys(target: Target) -> set[str]:
    item = Table(target.table(SESSIONS), lambda: target.client).get(
        _session_key(_PREPARED[target.subject].handle)
    )
    return set(decode_document(item.get(PAYLOAD) if item else None))


def session_cleanup(target: Target) -> None:
    prepared = _PREPARED.pop(target.subject)
    Table(target.table(SESSIONS), lambda: target.client).delete(_session_key(prepared.handle))
    keys = Table(target.table(SIGNING_KEYS), lambda: target.client)
    for item in keys.query(
        KeyConditionExpression="#pk = :pk",
        ExpressionAttributeNames={"#pk": "pk"},
        ExpressionAttributeValues={":pk": {"S": prepared.partition}},
    ):
        keys.delete({"pk": item["pk"], "sk": item["sk"]})


# --- the registry --------------------------------------------------------------------------------

WORKLOADS: dict[str, Workload] = {
    "metadata": Workload(
        description="concurrent root-key updates of one user's metadata document",
        contenders={
            "authstate store": metadata_store,
            "naive baseline": metadata_naive,
        },
        baseline="naive baseline",
        read_keys=metadata_keys,
        cleanup=metadata_cleanup,
    ),
    "verify-and-merge": Workload(
        description="concurrent online merges into one session's access-token payload, original token",
        contenders={
            "authstate online merge": session_online,
            "naive baseline": session_naive,
        },
        baseline="naive baseline",
        read_keys=session_keys,
        prepare=session_prepare,
        cleanup=session_cleanup,
        updates=SESSION_UPDATES,
        parameters=f"max_custom_claims_bytes={MAX_CUSTOM_CLAIMS_BYTES} (service default 4096)",
    ),
}
