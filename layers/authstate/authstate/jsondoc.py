"""Strict JSON in, canonical JSON out.

Python's ``json`` accepts things a JSON document store must not: ``NaN``/``Infinity``, ``1e400``
(parsed as ``inf``), duplicate keys (last one silently wins) and lone surrogates (which cannot be
encoded as UTF-8 and would crash boto3); and it refuses integers longer than Python's int-parsing
limit with a bare ``ValueError``. This module turns each of them into a named 4xx error.

Numbers: documents are stored as JSON text, so every integer up to ``MAX_INTEGER_DIGITS`` digits
round-trips exactly (DynamoDB's 38-digit number limit never applies), and every float that is finite
as a 64-bit IEEE double round-trips as that double (``-0.0``, ``5e-324`` and ``1e308`` included).
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Mapping
from typing import Any

from authstate.errors import InvalidRequest, PayloadTooLarge
from authstate.limits import MAX_BODY_BYTES, MAX_INTEGER_DIGITS, MAX_KEY_BYTES, MAX_NESTING_DEPTH

type JsonValue = bool | int | float | str | list[JsonValue] | dict[str, JsonValue] | None
type JsonObject = dict[str, JsonValue]


def _reject_constant(name: str) -> Any:
    raise InvalidRequest(f"{name} is not a JSON number", code="INVALID_NUMBER")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise InvalidRequest("number out of range of a 64-bit float", code="INVALID_NUMBER")
    return value


def _bounded_int(text: str) -> int:
    """An integer literal (``-?(0|[1-9][0-9]*)``, as the JSON scanner matched it) of bounded length.

    Checked here, before ``int()``: Python refuses longer ones (quadratic-time conversion), and so
    would ``dumps`` on the way out, so such a number could be neither stored nor returned."""
    digits = len(text) - text.startswith("-")
    if digits > MAX_INTEGER_DIGITS:
        raise InvalidRequest(
            f"integer has {digits} digits; at most {MAX_INTEGER_DIGITS} are accepted", code="INVALID_NUMBER"
        )
    try:
        return int(text)
    except ValueError as error:  # the process runs with a lower sys.set_int_max_str_digits()
        raise InvalidRequest(
            f"integer has {digits} digits, more than this runtime converts", code="INVALID_NUMBER"
        ) from error


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise InvalidRequest("duplicate key in a JSON object", code="DUPLICATE_KEY")
        result[key] = value
    return result


def decode_body(body: str | None, *, is_base64: bool = False) -> str:
    """The request body as text: base64 undone, UTF-8 checked, size limit applied."""
    if body is None or body == "":
        raise InvalidRequest("request body is empty; a JSON object is required", code="INVALID_JSON")
    raw: bytes
    if is_base64:
        try:
            raw = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError) as error:
            raise InvalidRequest("request body is not valid base64", code="INVALID_JSON") from error
    else:
        try:
            raw = body.encode("utf-8")
        except UnicodeEncodeError as error:
            raise InvalidRequest("request body is not valid UTF-8", code="INVALID_UTF8") from error
    if len(raw) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"request body exceeds {MAX_BODY_BYTES} bytes", code="BODY_TOO_LARGE")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidRequest("request body is not valid UTF-8", code="INVALID_UTF8") from error


def parse_object(text: str) -> JsonObject:
    """Parse a JSON object strictly (see module docstring) and check its nesting and strings."""
    try:
        value = json.loads(
            text,
            object_pairs_hook=_unique_keys,
            parse_constant=_reject_constant,
            parse_float=_finite_float,
            parse_int=_bounded_int,
        )
    except RecursionError as error:
        raise InvalidRequest(
            f"JSON nesting deeper than {MAX_NESTING_DEPTH} levels", code="NESTING_TOO_DEEP"
        ) from error
    except ValueError as error:  # JSONDecodeError (the number hooks raise InvalidRequest, not ValueError)
        raise InvalidRequest("request body is not valid JSON", code="INVALID_JSON") from error
    if not isinstance(value, dict):
        raise InvalidRequest("request body must be a JSON object", code="INVALID_JSON")
    check_value(value)
    return value


def check_value(value: Any, depth: int = 1) -> None:
    """Reject nesting beyond the limit and strings that cannot be stored as UTF-8."""
    if depth > MAX_NESTING_DEPTH:
        raise InvalidRequest(f"JSON nesting deeper than {MAX_NESTING_DEPTH} levels", code="NESTING_TOO_DEEP")
    if isinstance(value, str):
        _check_utf8(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_utf8(key)
            check_value(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            check_value(item, depth + 1)


def _check_utf8(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise InvalidRequest("string is not valid Unicode (lone surrogate)", code="INVALID_UTF8") from error


def check_document_keys(document: Mapping[str, Any], *, field: str) -> None:
    """Root-level keys become DynamoDB map keys: non-empty and bounded in size."""
    for key in document:
        if key == "":
            raise InvalidRequest(f"{field} has an empty key", code="INVALID_KEY")
        if len(key.encode("utf-8")) > MAX_KEY_BYTES:
            raise InvalidRequest(f"{field} has a key longer than {MAX_KEY_BYTES} bytes", code="INVALID_KEY")


def dumps(value: Any) -> str:
    """Canonical compact JSON text, as stored and as returned."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
