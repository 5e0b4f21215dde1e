"""Strict JSON parsing: every bad input is a named 4xx error."""

import base64

import pytest

from authstate.errors import AuthstateError
from authstate.jsondoc import check_document_keys, decode_body, parse_object
from authstate.limits import MAX_BODY_BYTES, MAX_KEY_BYTES, MAX_NESTING_DEPTH

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
