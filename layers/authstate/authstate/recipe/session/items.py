"""A session as its items, both ways, and the names of their attributes (no I/O: ``session.store`` and
``session.data_store`` make the calls).

One item per session in the sessions table, its claims and refresh-token state (small, whatever its
session data)::

    sessionHandle  userId  tenantId  createdAt(ms)  expiresAt(s, also the TTL)  version
    payload            map of custom claims (JSON texts)
    payloadBytes, payloadEpoch   its cap bookkeeping (``storage.documents.Counted``: a count that never
                       under-counts its size, and an epoch bumped by the writes that read first or overwrite)
    refreshHash        hash of the current refresh token
    parentRefreshHash  hash of the token the current one was rotated from ("-" for none)
    rotatedAt          when the current refresh token became current (s)
    usedChild          {c: hash, t: s}: the first child of the current token seen in use, and when
    antiCsrfToken      only when the session was created with anti-CSRF
    dataExpiresAt      once the session has session data: its data item lives at least until then (s)

and, for a session with session data, one item in the session-data table (docs/design.md §4)::

    sessionHandle  data (map of JSON texts)  dataBytes, dataEpoch  version  expiresAt (s, the TTL)

A session stored before its data had an item of its own (or imported by ``tools/migrate``) keeps
``data``, ``dataBytes`` and ``dataEpoch`` on its item: they are read from there, and moved out by the
session's next data write or refresh.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from authstate.documents.expressions import Item, UpdateBuilder, decode_document
from authstate.documents.items import Counted, Precondition, counted_attributes
from authstate.identifiers import user_id_key, user_id_of_key
from authstate.limits import MAX_SESSION_DATA_BYTES
from authstate.recipe.session.model import Session, UsedChild

PAYLOAD = "payload"
DATA = "data"
#: Each document's cap bookkeeping. Session data's cap is ``limits.MAX_SESSION_DATA_BYTES``; the
#: custom claims' comes from the settings, with each merge.
PAYLOAD_COUNTED = Counted.beside(PAYLOAD)
DATA_COUNTED = Counted.beside(DATA)
DATA_CAP = DATA_COUNTED.capped_at(MAX_SESSION_DATA_BYTES)
EXPIRES = "expiresAt"
#: On a data item moved out of its session's item: the session's ``version`` it was copied from.
MOVED_FROM = "movedFrom"
#: On a session's item, once it has session data: the data item lives at least until then. No write
#: sets the session's ``expiresAt`` past it (design §4), so the TTL never deletes a live session's data.
DATA_UNTIL = "dataExpiresAt"
USER_INDEX = "byUser"
NO_PARENT = "-"
#: ``signingKey`` of a session whose tokens the static key signs (absent: the rotating keys).
STATIC = "static"


class Live(Precondition):
    """The session has not expired (an expired session reads as missing before the TTL deletes it)."""

    def __init__(self, now: float) -> None:
        self._now = int(now)

    def add_to(self, builder: UpdateBuilder) -> None:
        builder.condition(f"{builder.name('expiresAt')}>{builder.value({'N': str(self._now)})}")

    def holds(self, item: Item) -> bool:
        return int(item["expiresAt"]["N"]) > self._now


def session_key(handle: str) -> Item:
    return {"sessionHandle": {"S": handle}}


def session_from_item(item: Item) -> Session:
    used = item.get("usedChild", {}).get("M")
    parent = item["parentRefreshHash"]["S"]
    rotated = item.get("rotatedAt")
    return Session(
        handle=item["sessionHandle"]["S"],
        user_id=user_id_of_key(item["userId"]["S"]),
        tenant_id=item["tenantId"]["S"],
        payload=decode_document(item.get(PAYLOAD)),
        created_ms=int(item["createdAt"]["N"]),
        expires_at=int(item["expiresAt"]["N"]),
        refresh_hash=item["refreshHash"]["S"],
        parent_hash=None if parent == NO_PARENT else parent,
        rotated_at=int(rotated["N"]) if rotated else int(item["createdAt"]["N"]) // 1000,
        used_child=UsedChild(used["c"]["S"], int(used["t"]["N"])) if used else None,
        anti_csrf_token=item.get("antiCsrfToken", {}).get("S"),
        version=int(item["version"]["N"]),
        static_key=item.get("signingKey", {}).get("S") == STATIC,
    )


def seconds(item: Item, attribute: str) -> int | None:
    value = item.get(attribute)
    return None if value is None else int(value["N"])


def data_expires_first(item: Item, now: float, expires_at: int) -> bool:
    """A live session whose data item would expire before ``expires_at``."""
    data_until = seconds(item, DATA_UNTIL)
    return data_until is not None and data_until < expires_at and Live(now).holds(item)


def session_attributes(session: Session) -> Item:
    """A session's own attributes: everything its item holds but session data."""
    item: Item = {
        **session_key(session.handle),
        "userId": {"S": user_id_key(session.user_id)},
        "tenantId": {"S": session.tenant_id},
        **counted_attributes(PAYLOAD, session.payload, PAYLOAD_COUNTED),
        "createdAt": {"N": str(session.created_ms)},
        EXPIRES: {"N": str(session.expires_at)},
        "refreshHash": {"S": session.refresh_hash},
        "parentRefreshHash": {"S": session.parent_hash or NO_PARENT},
        "rotatedAt": {"N": str(session.rotated_at)},
        "version": {"N": str(session.version)},
    }
    if session.anti_csrf_token is not None:
        item["antiCsrfToken"] = {"S": session.anti_csrf_token}
    if session.static_key:
        item["signingKey"] = {"S": STATIC}
    return item


def session_item(session: Session, data: Mapping[str, Any]) -> Item:
    """The item of a session with its data in it: as sessions were stored before their data had an item
    of its own, and as the importer (``tools/migrate``) stores them. Read as such; the data is moved
    out by the session's next data write or refresh."""
    return {**session_attributes(session), **counted_attributes(DATA, data, DATA_COUNTED)}


def signing_key(builder: UpdateBuilder, static_key: bool | None) -> None:
    """Switch the session to the static key or back to the rotating ones (``None``: leave it)."""
    if static_key is True:
        builder.set(builder.name("signingKey"), {"S": STATIC})
    elif static_key is False:
        builder.remove(builder.name("signingKey"))


#: What a data write reads first: is the session live, and where is its data.
DATA_HOME = (EXPIRES, DATA_UNTIL, DATA, DATA_COUNTED.count, "version")

#: Everything but the session data: what a read that does not return the data fetches.
SESSION_ATTRIBUTES = (
    "sessionHandle",
    "userId",
    "tenantId",
    PAYLOAD,
    "createdAt",
    "expiresAt",
    "refreshHash",
    "parentRefreshHash",
    "rotatedAt",
    "usedChild",
    "antiCsrfToken",
    "version",
    "signingKey",
)
