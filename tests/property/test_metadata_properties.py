"""``UserMetadata`` against DynamoDB Local equals the pure fold of ``merge``, with exact types.

Each example stores a random document for a user id of its own, applies a random sequence of
updates (some with more root keys than one UpdateItem writes, so the merge runs in parts) and
compares every result, and the final read, with ``merge`` folded over the same updates. Bounded and
derandomized, so CI runs the same examples every time; an explicit example always takes both paths.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, event, example, given, note, settings
from hypothesis import strategies as st

from authstate.documents.jsondoc import to_plain
from authstate.documents.merge import merge
from authstate.errors import AuthstateError
from authstate.limits import MAX_KEY_BYTES, MERGE_KEYS_PER_UPDATE
from authstate.recipe.usermetadata.service import UserMetadata
from authstate.recipe.usermetadata.store import MetadataStore
from authstate.storage.table import Table
from tests.property.strategies import (
    assert_exactly_equal,
    bulk_updates,
    document_bytes,
    documents,
    json_values,
    key_bytes,
    root_keys,
    updates,
)
from tools.localrun.dynamodb import client
from tools.localrun.template import Template

pytestmark = pytest.mark.dynamodb

AGAINST_DYNAMODB = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

#: Generated histories stay well under DynamoDB's 400 KB item limit (its own test covers that).
MAX_DOCUMENT_BYTES = 150_000

#: DynamoDB API calls, by operation, over the whole module (a rejected update makes none).
CALLS: dict[str, int] = {}
#: Always run: a first write (one PutItem), a merge of three parts, then a usual one-part merge.
BOTH_PATHS = (
    {"a": 1, "b": [1.5, None]},
    [{f"bulk-{i}": i for i in range(MERGE_KEYS_PER_UPDATE * 2 + 1)} | {"a": None}, {"b": None, "c": "ü"}],
)


@pytest.fixture(scope="module")
def metadata(dynamodb_endpoint: str, template: Template) -> UserMetadata:
    """Module-scoped (Hypothesis runs every example in one test call), with a counting client."""
    dynamodb = client(dynamodb_endpoint)

    def count(event_name: str, **_: Any) -> None:
        operation = event_name.rsplit(".", 1)[-1]
        CALLS[operation] = CALLS.get(operation, 0) + 1

    dynamodb.meta.events.register("before-call.dynamodb.*", count)
    return UserMetadata(MetadataStore(Table(template.table_name("UserMetadataTable"), lambda: dynamodb)))


def _new_user() -> str:
    return f"property-{uuid.uuid4().hex}"


@st.composite
def histories(draw: st.DrawFn) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A stored document and 1-4 updates; each update may name keys the document has by then."""
    document = draw(documents)
    steps: list[dict[str, Any]] = []
    known, folded = list(document), merge({}, document)
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        big = draw(st.integers(min_value=0, max_value=3)) == 0
        step = draw(bulk_updates(known) if big else updates(known))
        steps.append(step)
        folded = merge(folded, step)
        assume(document_bytes(folded) <= MAX_DOCUMENT_BYTES)
        known = sorted(set(known) | set(step), key=lambda k: (len(k), k))[:40]
    return document, steps


@AGAINST_DYNAMODB
@given(histories())
@example(BOTH_PATHS)
def test_updates_equal_the_pure_fold_of_merge(
    metadata: UserMetadata, history: tuple[dict[str, Any], list[dict[str, Any]]]
) -> None:
    document, steps = history
    user = _new_user()
    note(f"user={user!r}\ndocument={document!r}\nsteps={steps!r}")  # the pytest report shows args blank
    expected = merge({}, document)
    assert_exactly_equal(to_plain(metadata.update(user, document)), expected)  # the first write (PutItem)
    for step in steps:
        expected = merge(expected, step)
        event("in parts" if len(step) > MERGE_KEYS_PER_UPDATE else "one UpdateItem")
        assert_exactly_equal(to_plain(metadata.update(user, step)), expected)
    stored = metadata.get(user)
    assert_exactly_equal(to_plain(stored), expected)
    assert list(stored) == sorted(expected)


def _bad_keys() -> st.SearchStrategy[str]:
    return st.one_of(
        st.just(""),
        root_keys.map(lambda k: k + "k" * (MAX_KEY_BYTES + 1 - key_bytes(k))),
        st.text(min_size=1, max_size=4).map(lambda s: s * (MAX_KEY_BYTES // len(s.encode()) + 1)),
    )


@AGAINST_DYNAMODB
@given(
    documents,
    st.booleans(),
    _bad_keys(),
    json_values,
    st.booleans(),
)
def test_invalid_root_keys_are_rejected_and_nothing_is_stored(
    metadata: UserMetadata,
    document: dict[str, Any],
    stored_first: bool,
    bad_key: str,
    value: Any,
    big: bool,
) -> None:
    user = _new_user()
    note(f"user={user!r} bad_key={bad_key!r} big={big!r}")
    expected = to_plain(metadata.update(user, document)) if stored_first else {}
    update: dict[str, Any] = {"fine": 1, bad_key: value}
    if big:  # would be merged in parts if it got that far
        update.update({f"bulk-{i}": i for i in range(MERGE_KEYS_PER_UPDATE + 1)})
    calls_before = dict(CALLS)
    with pytest.raises(AuthstateError) as caught:
        metadata.update(user, update)
    assert (caught.value.status, caught.value.code) == (400, "INVALID_KEY")
    assert calls_before == CALLS  # rejected before any DynamoDB call
    assert_exactly_equal(to_plain(metadata.get(user)), expected)
