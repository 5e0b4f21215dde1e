"""Pure properties: the root-level merge rule, and the storage encoding's exact round-trip."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, note, settings
from hypothesis import strategies as st

from authstate.documents.expressions import decode_document, encode_document
from authstate.documents.jsondoc import check_document_keys, document_text, dumps, parse_body, to_plain
from authstate.documents.merge import difference, merge
from authstate.errors import AuthstateError
from authstate.limits import MAX_KEY_BYTES
from tests.property.strategies import (
    assert_exactly_equal,
    bulk_updates,
    documents,
    json_values,
    key_bytes,
    root_keys,
    updates,
)

PURE = settings(max_examples=300, deadline=None, derandomize=True, database=None)


@st.composite
def document_and_update(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    document = draw(documents)
    strategy = bulk_updates(list(document)) if draw(st.integers(0, 9)) == 0 else updates(list(document))
    return document, draw(strategy)


@PURE
@given(document_and_update())
def test_merge_obeys_the_root_level_rule(case: tuple[dict[str, Any], dict[str, Any]]) -> None:
    document, update = case
    note(f"document={document!r}\nupdate={update!r}")  # the pytest report shows args blank
    before_document, before_update = copy.deepcopy(document), copy.deepcopy(update)
    merged = merge(document, update)
    for key, value in update.items():
        if value is None:
            assert key not in merged
        else:
            assert merged[key] is value  # replaced whole, never deep-merged
    for key, value in document.items():
        if key not in update:
            assert merged[key] is value
    assert set(merged) == {k for k in document if k not in update} | {
        k for k, v in update.items() if v is not None
    }
    assert None not in merged.values()
    assert_exactly_equal(document, before_document)  # inputs untouched
    assert_exactly_equal(update, before_update)


@PURE
@given(documents, st.lists(updates(), max_size=4))
def test_merge_fold_is_applying_updates_in_order(
    document: dict[str, Any], steps: list[dict[str, Any]]
) -> None:
    folded = document
    for step in steps:
        folded = merge(folded, step)
    for key in {k for step in steps for k in step} | set(document):
        last = next((step[key] for step in reversed(steps) if key in step), document.get(key))
        assert folded.get(key) is last


@PURE
@given(documents)
def test_storage_encoding_round_trips_with_exact_types(document: dict[str, Any]) -> None:
    encoded = encode_document(document)
    assert set(encoded["M"]) == set(document)
    assert all(set(entry) == {"S"} for entry in encoded["M"].values())
    decoded = decode_document(encoded)
    assert_exactly_equal(to_plain(decoded), document)
    assert list(decoded) == sorted(document)  # same document, same bytes


@PURE
@given(documents)
def test_request_parsing_then_storage_round_trips(document: dict[str, Any]) -> None:
    """As the API sees it: canonical text in, parsed strictly, stored, read back, written out: the
    same text, whatever the numbers."""
    decoded = decode_document(encode_document(parse_body(dumps({"doc": document}))["doc"]))
    assert_exactly_equal(to_plain(decoded), document)
    assert dumps(decoded) == dumps(dict(sorted(document.items())))


@PURE
@given(
    documents,
    st.one_of(
        st.just(""),
        st.text(min_size=1, max_size=8).map(lambda s: s * (MAX_KEY_BYTES // len(s.encode()) + 1)),
        root_keys.map(lambda k: k + "k" * (MAX_KEY_BYTES + 1 - key_bytes(k))),  # one byte too many
    ),
    json_values,
)
def test_empty_and_over_long_root_keys_are_invalid_key(
    document: dict[str, Any], bad_key: str, value: Any
) -> None:
    with pytest.raises(AuthstateError) as caught:
        check_document_keys({**document, bad_key: value}, field="metadataUpdate")
    assert (caught.value.status, caught.value.code) == (400, "INVALID_KEY")


@PURE
@given(root_keys)
def test_generated_root_keys_are_accepted(key: str) -> None:
    check_document_keys({key: 1}, field="metadataUpdate")


@PURE
@given(document_and_update())
def test_document_text_is_dumps_for_stored_merged_and_parsed_documents(
    case: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    """Responses write documents with ``document_text`` (stored texts copied): byte for byte what
    ``dumps`` writes, whether the values are stored texts, a merge's mix of stored and new values,
    or a request's parsed values (exact numbers included)."""
    document, update = case
    stored = decode_document(encode_document(document))
    merged = merge(stored, update)
    parsed = parse_body(dumps(document))
    for value in (stored, merged, parsed, document):
        assert document_text(value).text == dumps(value)


@st.composite
def old_and_new(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    """A document and a new version of it: some keys kept, some rewritten (equal or not), some
    dropped, some added: what an SDK's online merge sends against the token it presented."""
    old = draw(documents)
    kept = {key: value for key, value in old.items() if draw(st.booleans())}
    rewritten = {key: copy.deepcopy(old[key]) for key in old if key not in kept and draw(st.booleans())}
    return old, {**kept, **rewritten, **draw(documents)}


@PURE
@given(old_and_new())
def test_difference_is_the_update_that_makes_the_new_document(
    case: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    old, new = case
    note(f"old={old!r}\nnew={new!r}")
    update = difference(old, new)
    assert_exactly_equal(merge(old, update), merge({}, new))
    assert set(update) <= set(old) | set(new)
    assert {key for key, value in update.items() if value is None} == set(old) - set(new)
    for key, value in update.items():  # only what changed: a key equal in both is never sent
        if value is not None:
            assert key not in old or dumps(old[key]) != dumps(value)
            assert value is new[key]
    assert difference(new, new) == {}


@PURE
@given(old_and_new(), documents)
def test_difference_applied_to_a_concurrently_changed_document_keeps_the_other_keys(
    case: tuple[dict[str, Any], dict[str, Any]], concurrent: dict[str, Any]
) -> None:
    """Why the CDI's regenerate loses nothing: the stored claims gained other keys since the token
    was minted (concurrent merges); applying only the difference leaves those keys as they are."""
    old, new = case
    others = {key: value for key, value in concurrent.items() if key not in old and key not in new}
    stored = merge(old, others)
    merged = merge(stored, difference(old, new))
    assert_exactly_equal(merged, merge(merge({}, new), others))
