"""Strict JSON parsing: every bad input is a named 4xx error."""

import base64
import math
import sys
from typing import Any

import pytest

from authstate.errors import AuthstateError
from authstate.expressions import decode_document, encode_document
from authstate.jsondoc import check_document_keys, decode_body, dumps, parse_object
from authstate.limits import MAX_BODY_BYTES, MAX_INTEGER_DIGITS, MAX_KEY_BYTES, MAX_NESTING_DEPTH

BAD_BODIES = [
    ("not json", "{", 400, "INVALID_JSON"),
    ("array", "[1, 2]", 400, "INVALID_JSON"),
    ("string", '"x"', 400, "INVALID_JSON"),
    ("null", "null", 400, "INVALID_JSON"),
    ("NaN", '{"a": NaN}', 400, "INVALID_NUMBER"),
    ("Infinity", '{"a": -Infinity}', 400, "INVALID_NUMBER"),
    ("float overflow", '{"a": 1e400}', 400, "INVALID_NUMBER"),
    ("duplicate key", '{"a": 1, "a": 2}', 400, "DUPLICATE_KEY"),
    ("nested duplicate key", '{"a": {"b": 1, "b": 1}}', 400, "DUPLICATE_KEY"),
    ("lone surrogate value", '{"a": "\\ud800"}', 400, "INVALID_UTF8"),
    ("lone surrogate key", '{"\\udfff": 1}', 400, "INVALID_UTF8"),
    ("too deep", '{"a": ' + "[" * MAX_NESTING_DEPTH + "]" * MAX_NESTING_DEPTH + "}", 400, "NESTING_TOO_DEEP"),
    ("recursion bomb", "[" * 100_000, 400, "NESTING_TOO_DEEP"),
]


@pytest.mark.parametrize(
    ("text", "status", "code"), [b[1:] for b in BAD_BODIES], ids=[b[0] for b in BAD_BODIES]
)
def test_bad_json_is_a_named_error(text: str, status: int, code: str) -> None:
    with pytest.raises(AuthstateError) as caught:
        parse_object(text)
    assert (caught.value.status, caught.value.code) == (status, code)


def test_deepest_allowed_nesting_parses() -> None:
    depth = MAX_NESTING_DEPTH - 1
    parsed = parse_object('{"a": ' + "[" * depth + "]" * depth + "}")
    assert "a" in parsed


def test_valid_object_keeps_types() -> None:
    assert parse_object('{"i": 1, "f": 1.0, "b": true, "n": null, "s": "é"}') == {
        "i": 1,
        "f": 1.0,
        "b": True,
        "n": None,
        "s": "é",
    }


def test_body_size_limit() -> None:
    with pytest.raises(AuthstateError) as caught:
        decode_body("x" * (MAX_BODY_BYTES + 1))
    assert (caught.value.status, caught.value.code) == (413, "BODY_TOO_LARGE")


def test_invalid_utf8_in_base64_body() -> None:
    with pytest.raises(AuthstateError) as caught:
        decode_body(base64.b64encode(b'{"a": "\xff"}').decode(), is_base64=True)
    assert caught.value.code == "INVALID_UTF8"


def test_empty_body() -> None:
    with pytest.raises(AuthstateError) as caught:
        decode_body(None)
    assert caught.value.code == "INVALID_JSON"


@pytest.mark.parametrize("key", ["", "k" * (MAX_KEY_BYTES + 1)])
def test_bad_root_keys(key: str) -> None:
    with pytest.raises(AuthstateError) as caught:
        check_document_keys({key: 1}, field="metadataUpdate")
    assert caught.value.code == "INVALID_KEY"


# --- numbers: exact round-trip through parsing and storage, named errors beyond the limits ---------


def _stored_and_read_back(text: str) -> dict[str, Any]:
    """Parse as a request body would be, then through the DynamoDB map encoding and back."""
    return decode_document(encode_document(parse_object(text)))


@pytest.mark.parametrize("digits", [38, 39, 4000, MAX_INTEGER_DIGITS])
@pytest.mark.parametrize("sign", ["", "-"])
def test_long_integers_round_trip_exactly(digits: int, sign: str) -> None:
    literal = sign + "9" + "8" * (digits - 2) + "7"
    value = _stored_and_read_back(f'{{"n": {literal}}}')["n"]
    assert type(value) is int
    assert value == int(literal)
    assert dumps(value) == literal


@pytest.mark.parametrize("digits", [MAX_INTEGER_DIGITS + 1, 5000, 100_000])
@pytest.mark.parametrize("sign", ["", "-"])
def test_integers_beyond_the_digit_limit_are_invalid_number(digits: int, sign: str) -> None:
    with pytest.raises(AuthstateError) as caught:
        parse_object(f'{{"n": {sign}{"1" * digits}}}')
    assert (caught.value.status, caught.value.code) == (400, "INVALID_NUMBER")
    assert str(MAX_INTEGER_DIGITS) in caught.value.message


def test_integer_limit_applies_inside_nested_values() -> None:
    with pytest.raises(AuthstateError) as caught:
        parse_object('{"a": {"b": [1, ' + "2" * 5000 + "]}}")
    assert caught.value.code == "INVALID_NUMBER"


def test_digit_limit_does_not_apply_to_float_literals() -> None:
    value = _stored_and_read_back('{"f": 1.' + "0" * 5000 + "}")["f"]
    assert (type(value), value) == (float, 1.0)


@pytest.mark.parametrize(
    ("literal", "expected"),
    [
        ("-0.0", -0.0),
        ("1e308", 1e308),
        ("-1e308", -1e308),
        ("5e-324", 5e-324),
        ("1.7976931348623157e308", sys.float_info.max),
    ],
)
def test_extreme_finite_floats_round_trip_exactly(literal: str, expected: float) -> None:
    value = _stored_and_read_back(f'{{"f": {literal}}}')["f"]
    assert type(value) is float
    assert value == expected
    assert math.copysign(1.0, value) == math.copysign(1.0, expected)  # -0.0 keeps its sign


@pytest.mark.parametrize("literal", ["1e309", "-1e309", "1.8e308", "1" + "0" * 400 + ".0"])
def test_floats_beyond_a_double_are_invalid_number(literal: str) -> None:
    with pytest.raises(AuthstateError) as caught:
        parse_object(f'{{"f": {literal}}}')
    assert (caught.value.status, caught.value.code) == (400, "INVALID_NUMBER")


def test_int_and_float_stay_distinct_through_storage() -> None:
    stored = _stored_and_read_back('{"i": 1, "f": 1.0, "b": true, "z": 0, "nz": -0}')
    assert [(type(v), v) for v in stored.values()] == [
        (bool, True),
        (float, 1.0),
        (int, 1),
        (int, 0),
        (int, 0),
    ]
