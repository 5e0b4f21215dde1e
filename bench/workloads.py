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
  To add one (e.g. verify-and-merge of session access-token payloads): write its contenders and its
  ``read_keys`` (plus ``prepare``/``cleanup`` if needed) and add one entry to :data:`WORKLOADS`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from authstate.expressions import decode_document, encode_document
from authstate.merge import merge
from authstate.metadata import DOCUMENT, UserMetadata
from authstate.store import Table

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


@dataclass(frozen=True)
class Workload:
    description: str
    contenders: Mapping[str, Contender]  # display name -> contender, in run order
    baseline: str  # the contender the others' ops/s are divided by
    read_keys: Callable[[Target], set[str]]  # root keys present in the subject's document now
    prepare: Callable[[Target], None] | None = None  # make the subject exist, before any update
    cleanup: Callable[[Target], None] | None = None  # best effort, after the read-back


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
    # "sessions": verify-and-merge of session access-token payloads goes here (prepare = create the
    # session; contenders = the store's merge and a read-merge-put baseline; read_keys = payload keys).
}
