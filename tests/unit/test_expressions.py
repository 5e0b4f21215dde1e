"""The UpdateExpression builder: exact shapes, placeholders only, limits."""

import pytest

from authstate.expressions import ExpressionTooLarge, UpdateBuilder, decode_document, encode_document
from authstate.limits import MAX_EXPRESSION_BYTES, MAX_EXPRESSION_CLAUSES


def test_merge_document_sets_kept_keys_and_removes_null_keys() -> None:
    arguments = (
        UpdateBuilder().merge_document("metadata", {"a": {"x": None}, "b": None}).bump_version().build()
    )
    assert arguments == {
        "UpdateExpression": "SET #0.#1=:0 REMOVE #0.#2 ADD #3 :1",
        "ExpressionAttributeNames": {"#0": "metadata", "#1": "a", "#2": "b", "#3": "version"},
        "ExpressionAttributeValues": {":0": {"S": '{"x":null}'}, ":1": {"N": "1"}},
    }


def test_names_never_reach_the_expression_text() -> None:
    hostile = "a) OR attribute_exists(#0) SET x = :0 #, .[0]"
    arguments = UpdateBuilder().merge_document("metadata", {hostile: 1}).build()
    assert hostile not in arguments["UpdateExpression"]
    assert arguments["ExpressionAttributeNames"]["#1"] == hostile
    assert arguments["UpdateExpression"] == "SET #0.#1=:0"


def test_same_name_gets_one_placeholder() -> None:
    builder = UpdateBuilder()
    assert builder.name("version") == builder.name("version") == "#0"


def test_conditions_are_anded_in_parentheses() -> None:
    builder = UpdateBuilder().merge_document("doc", {"k": 1})
    builder.condition(f"attribute_exists({builder.name('doc')})")
    builder.condition(f"{builder.name('expiresAt')} > {builder.value({'N': '5'})}")
    arguments = builder.build()
    assert arguments["ConditionExpression"] == "(attribute_exists(#0)) AND (#2 > :1)"


def test_removal_only_update_has_no_values() -> None:
    arguments = UpdateBuilder().merge_document("doc", {"gone": None}).build()
    assert arguments == {
        "UpdateExpression": "REMOVE #0.#1",
        "ExpressionAttributeNames": {"#0": "doc", "#1": "gone"},
    }


def test_too_many_clauses_signal_the_fallback() -> None:
    update = {f"k{i}": i for i in range(MAX_EXPRESSION_CLAUSES + 1)}
    with pytest.raises(ExpressionTooLarge):
        UpdateBuilder().merge_document("doc", update).build()


def test_largest_accepted_update_fits_dynamodbs_expression_limit() -> None:
    update = {f"k{i}": i for i in range(MAX_EXPRESSION_CLAUSES - 1)}
    arguments = UpdateBuilder().merge_document("doc", update).bump_version().build()
    assert len(arguments["UpdateExpression"].encode()) <= MAX_EXPRESSION_BYTES


def test_documents_round_trip_json_types_exactly() -> None:
    document = {
        "int": 1,
        "float": 1.0,
        "big": 10**40,
        "neg0": -0.0,
        "s": "ü",
        "n": {"x": None},
        "l": [True, 1.5],
    }
    decoded = decode_document(encode_document(document))
    assert decoded == document
    assert type(decoded["int"]) is int
    assert type(decoded["float"]) is float
    assert repr(decoded["neg0"]) == "-0.0"
