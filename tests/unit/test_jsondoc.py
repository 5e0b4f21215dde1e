"""Strict JSON: every bad input is a named 4xx error; numbers come back exactly as sent."""

import base64
import math
import sys
from typing import Any

import pytest

from authstate.documents.expressions import decode_document, encode_document
from authstate.documents.jsondoc import (
    LARGEST_INTEGER,
    JsonNumber,
    StoredJson,
    check_document_keys,
    dumps,
    parse_body,
    parse_object,
    to_plain,
)
from authstate.edge.app import body_text
from authstate.errors import AuthstateError
from authstate.limits import MAX_BODY_BYTES, MAX_KEY_BYTES, MAX_NESTING_DEPTH, MAX_NUMBER_DIGITS


def nested(levels: int) -> str:
    """A document nesting ``levels`` levels (the document object itself is level 1)."""
    return '{"a":' + "[" * (levels - 1) + "]" * (levels - 1) + "}"


BAD_BODIES = [
    ("not json", "{", "INVALID_JSON"),
    ("array", "[1, 2]", "INVALID_JSON"),
    ("string", '"x"', "INVALID_JSON"),
    ("null", "null", "INVALID_JSON"),
    ("NaN", '{"a": NaN}', "INVALID_NUMBER"),
    ("Infinity", '{"a": -Infinity}', "INVALID_NUMBER"),
    ("float overflow", '{"a": 1e400}', "INVALID_NUMBER"),
    ("float underflow", '{"a": 1e-400}', "INVALID_NUMBER"),
    ("duplicate key", '{"a": 1, "a": 2}', "DUPLICATE_KEY"),
    ("nested duplicate key", '{"a": {"b": 1, "b": 1}}', "DUPLICATE_KEY"),
    ("lone surrogate value", '{"a": "\\ud800"}', "INVALID_UTF8"),
    ("lone surrogate key", '{"\\udfff": 1}', "INVALID_UTF8"),
    ("document too deep", '{"doc": ' + nested(MAX_NESTING_DEPTH + 1) + "}", "NESTING_TOO_DEEP"),
    ("recursion bomb", "[" * 100_000, "NESTING_TOO_DEEP"),
]


@pytest.mark.parametrize(("text", "code"), [b[1:] for b in BAD_BODIES], ids=[b[0] for b in BAD_BODIES])
def test_bad_json_is_a_named_400(text: str, code: str) -> None:
    with pytest.raises(AuthstateError) as caught:
        parse_body(text)
    assert (caught.value.status, caught.value.code) == (400, code)


def test_a_document_may_nest_exactly_the_limit_inside_its_body() -> None:
    parsed = parse_body('{"doc": ' + nested(MAX_NESTING_DEPTH) + "}")
    assert list(parsed) == ["doc"]


def test_a_token_payload_is_a_document_of_its_own() -> None:
    assert list(parse_object(nested(MAX_NESTING_DEPTH), max_depth=MAX_NESTING_DEPTH)) == ["a"]
    with pytest.raises(AuthstateError) as caught:
        parse_object(nested(MAX_NESTING_DEPTH + 1), max_depth=MAX_NESTING_DEPTH)
    assert caught.value.code == "NESTING_TOO_DEEP"


def test_valid_object_keeps_types() -> None:
    assert parse_body('{"i": 1, "f": 1.5, "b": true, "n": null, "s": "é"}') == {
        "i": 1,
        "f": JsonNumber("1.5"),
        "b": True,
        "n": None,
        "s": "é",
    }


def test_body_size_limit() -> None:
    with pytest.raises(AuthstateError) as caught:
        body_text("x" * (MAX_BODY_BYTES + 1), is_base64=False)
    assert (caught.value.status, caught.value.code) == (413, "BODY_TOO_LARGE")


def test_invalid_utf8_in_base64_body() -> None:
    with pytest.raises(AuthstateError) as caught:
        body_text(base64.b64encode(b'{"a": "\xff"}').decode(), is_base64=True)
    assert caught.value.code == "INVALID_UTF8"


def test_invalid_base64_body() -> None:
    with pytest.raises(AuthstateError) as caught:
        body_text("not base64!", is_base64=True)
    assert caught.value.code == "INVALID_JSON"


@pytest.mark.parametrize("key", ["", "k" * (MAX_KEY_BYTES + 1)])
def test_bad_root_keys(key: str) -> None:
    with pytest.raises(AuthstateError) as caught:
        check_document_keys({key: 1}, field="metadataUpdate")
    assert caught.value.code == "INVALID_KEY"


# --- numbers: exactly as sent through parsing and storage, named errors beyond the limits -----------


def _stored_text(literal: str) -> str:
    """Parse as a request body would be, then as DynamoDB stores it, then as a response writes it."""
    stored = decode_document(encode_document(parse_body(f'{{"n": {literal}}}')))
    assert isinstance(stored["n"], StoredJson)
    response = dumps(stored)
    assert response.startswith('{"n":')
    assert response.endswith("}")
    return response[len('{"n":') : -1]


@pytest.mark.parametrize(
    "literal",
    [
        "1E5",
        "1e-7",
        "1.0",
        "-0.0",
        "-0",
        "1.50",
        "0.1000000000000000000001",
        "123456789012345678901234567890.123456789",
        "5e-324",
        "1.7976931348623157e308",
        "12345678901234567890123",
        str(LARGEST_INTEGER),
        str(-LARGEST_INTEGER),
        "1." + "0" * (MAX_NUMBER_DIGITS - 1),
    ],
)
def test_numbers_come_back_exactly_as_sent(literal: str) -> None:
    assert _stored_text(literal) == literal


@pytest.mark.parametrize(
    "literal",
    [
        "1" * (MAX_NUMBER_DIGITS + 1),
        "-" + "1" * 5000,
        "1." + "0" * MAX_NUMBER_DIGITS,
        "1e309",
        "-1.8e308",
        "2e-324",
        "1" + "0" * 309,  # 1e309 as an integer: the same rule
        "9" * MAX_NUMBER_DIGITS,
    ],
)
def test_numbers_beyond_the_limits_are_invalid_number(literal: str) -> None:
    with pytest.raises(AuthstateError) as caught:
        parse_body(f'{{"n": {{"deep": [{literal}]}}}}')
    assert (caught.value.status, caught.value.code) == (400, "INVALID_NUMBER")


# One rule for integers and other numbers: what a 64-bit float reads as finite. The boundary is
# 2**1024 - 2**970 (half-way between the largest float and 2**1024): it and above round to infinity.
BOUNDARY = 2**1024 - 2**970
FINITE_AT_THE_BOUNDARY = [
    str(BOUNDARY - 1),  # the largest integer accepted: 309 digits
    str(BOUNDARY - 1) + ".0",
    str(-(BOUNDARY - 1)),
    "1.7976931348623158e308",  # below the boundary, in an exponent
    str(BOUNDARY - 1) + "e0",
]
INFINITE_AT_THE_BOUNDARY = [
    str(BOUNDARY),  # the smallest integer refused: 309 digits too
    str(BOUNDARY) + ".0",
    str(-BOUNDARY),
    "1.7976931348623159e308",
    str(BOUNDARY) + "e0",
    "1" + "0" * 309,  # a 310-digit integer: every one is refused
]


def test_the_boundary_is_where_a_64_bit_float_turns_infinite() -> None:
    assert LARGEST_INTEGER == BOUNDARY - 1
    assert len(str(BOUNDARY - 1)) == len(str(BOUNDARY)) == 309
    assert {abs(float(text)) for text in FINITE_AT_THE_BOUNDARY} == {sys.float_info.max}
    assert {abs(float(text)) for text in INFINITE_AT_THE_BOUNDARY} == {math.inf}


@pytest.mark.parametrize("literal", FINITE_AT_THE_BOUNDARY)
def test_a_number_just_below_the_boundary_is_kept_whether_integer_or_not(literal: str) -> None:
    assert _stored_text(literal) == literal


@pytest.mark.parametrize("literal", INFINITE_AT_THE_BOUNDARY)
def test_a_number_at_the_boundary_is_refused_whether_integer_or_not(literal: str) -> None:
    with pytest.raises(AuthstateError) as caught:
        parse_body(f'{{"n": {literal}}}')
    assert (caught.value.status, caught.value.code) == (400, "INVALID_NUMBER")
    assert "beyond the range of a 64-bit float" in caught.value.message


def test_zero_in_any_notation_is_a_number_not_an_underflow() -> None:
    assert [_stored_text(literal) for literal in ("0e5", "0.000", "-0E-400")] == ["0e5", "0.000", "-0E-400"]


def test_integers_are_python_ints_other_numbers_keep_their_text() -> None:
    parsed: dict[str, Any] = parse_body('{"i": 1, "big": 100000000000000000000000000001, "f": 1.0, "e": 2E3}')
    assert [type(value) for value in parsed.values()] == [int, int, JsonNumber, JsonNumber]
    assert to_plain(parsed) == {"i": 1, "big": 10**27 * 100 + 1, "f": 1.0, "e": 2000.0}
