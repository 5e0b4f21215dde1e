"""The UpdateExpression builder: exact shapes, placeholders only, limits."""

import pytest

from authstate.documents.expressions import (
    DYNAMODB_MAX_EXPRESSION_BYTES,
    MAX_EXPRESSION_CLAUSES,
    ExpressionTooLarge,
    UpdateBuilder,
    decode_document,
    encode_document,
)
from authstate.documents.jsondoc import JsonNumber, StoredJson, parse_body
from authstate.limits import MERGE_KEYS_PER_UPDATE


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


def test_too_many_clauses_are_refused_as_a_bug() -> None:
    update = {f"k{i}": i for i in range(MAX_EXPRESSION_CLAUSES + 1)}
    with pytest.raises(ExpressionTooLarge):
        UpdateBuilder().merge_document("doc", update).build()


def test_one_part_of_a_merge_fits_dynamodbs_expression_limit_whatever_the_keys() -> None:
    """Names and values are placeholders: the expression's size depends on the key count alone."""
    update = {"k" * 1024 + str(i): "v" * 1000 for i in range(MERGE_KEYS_PER_UPDATE)}
    builder = UpdateBuilder().merge_document("doc", update).bump_version()
    builder.condition(f"attribute_exists({builder.name('doc')})")
    builder.condition(f"{builder.name('expiresAt')}>{builder.value({'N': '1'})}")
    arguments = builder.build()
    assert len(arguments["UpdateExpression"].encode()) <= DYNAMODB_MAX_EXPRESSION_BYTES


def test_documents_are_stored_as_the_exact_json_text_of_each_root_value() -> None:
    document = parse_body(
        '{"int": 1, "float": 1.0, "e": 1E5, "big": 100000000000000000000000000000000000000001,'
        ' "neg0": -0.0, "s": "ü", "n": {"x": null}, "l": [true, 1.50]}'
    )
    assert isinstance(document["e"], JsonNumber)
    assert encode_document(document) == {
        "M": {
            "int": {"S": "1"},
            "float": {"S": "1.0"},
            "e": {"S": "1E5"},
            "big": {"S": "100000000000000000000000000000000000000001"},
            "neg0": {"S": "-0.0"},
            "s": {"S": '"ü"'},
            "n": {"S": '{"x":null}'},
            "l": {"S": "[true,1.50]"},
        }
    }


def test_a_stored_document_reads_back_as_its_texts_keys_sorted_never_parsed() -> None:
    stored = {"M": {"b": {"S": "1E5"}, "a": {"S": '{"x":[1,2]}'}}}
    assert decode_document(stored) == {"a": StoredJson('{"x":[1,2]}'), "b": StoredJson("1E5")}
    assert list(decode_document(stored)) == ["a", "b"]
