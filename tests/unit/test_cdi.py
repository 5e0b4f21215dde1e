"""The CDI's rules and its one error table, without the network (the CDI over HTTP: tests/e2e/test_cdi.py;
through the unmodified SDKs: tests/sdk)."""

from __future__ import annotations

import json

import pytest

from authstate.cdi import answers, protocol
from authstate.cdi.answers import ANSWERS, NotFound, Status, Text
from authstate.cdi.models.session import RefreshAnswer, RegenerateAnswer, SessionTokens, VerifyAnswer
from authstate.errors import AuthstateError, ErrorCode


def test_every_error_code_has_one_answer() -> None:
    assert set(ANSWERS) == set(ErrorCode)


def test_refusals_are_status_answers_and_bad_input_is_plain_text() -> None:
    """What the SDKs act on is a 200 status; every other code keeps a 4xx/5xx (never a 200 OK)."""
    for code, answer in ANSWERS.items():
        if isinstance(answer, Status):
            assert code.status == 401 or code is ErrorCode.SESSION_NOT_FOUND, code
        elif isinstance(answer, Text):
            assert answer.status >= 400, code
        else:
            assert isinstance(answer, NotFound)
            assert code is ErrorCode.ROUTE_NOT_FOUND


def test_each_route_answers_the_statuses_of_its_model() -> None:
    assert answers.statuses(VerifyAnswer) == ["OK", "UNAUTHORISED", "TRY_REFRESH_TOKEN"]
    assert answers.statuses(RefreshAnswer) == ["OK", "UNAUTHORISED", "TOKEN_THEFT_DETECTED"]
    assert answers.statuses(RegenerateAnswer) == ["OK", "UNAUTHORISED"]
    assert answers.statuses(SessionTokens) == ["OK"]


def _body(response: object) -> object:
    return json.loads(str(getattr(response, "body", "")))


def test_a_token_refusal_is_try_refresh_token_where_the_route_can_say_it() -> None:
    """Verify answers TRY_REFRESH_TOKEN; regenerate and refresh cannot (the core's SessionRegenerateAPI
    catches TryRefreshTokenException as UNAUTHORISED), so the same error is UNAUTHORISED there."""
    error = AuthstateError(ErrorCode.TOKEN_EXPIRED, "the access token has expired")
    verify = answers.answer(error, frozenset(answers.statuses(VerifyAnswer)), "/cdi/x")
    regenerate = answers.answer(error, frozenset(answers.statuses(RegenerateAnswer)), "/cdi/x")
    assert (verify.status_code, _body(verify)) == (
        200,
        {"status": "TRY_REFRESH_TOKEN", "message": "the access token has expired"},
    )
    assert (regenerate.status_code, _body(regenerate)) == (
        200,
        {"status": "UNAUTHORISED", "message": "the access token has expired"},
    )


def test_theft_names_the_revoked_session() -> None:
    error = AuthstateError(
        ErrorCode.TOKEN_THEFT_DETECTED, "theft", details={"sessionHandle": "h", "userId": "u"}
    )
    response = answers.answer(error, frozenset(answers.statuses(RefreshAnswer)), "/cdi/x")
    assert _body(response) == {
        "status": "TOKEN_THEFT_DETECTED",
        "session": {"handle": "h", "userId": "u", "recipeUserId": "u"},
    }


@pytest.mark.parametrize(
    ("code", "status", "text"),
    [
        (ErrorCode.PROTECTED_CLAIM, 400, "The user payload contains protected field\n"),
        (ErrorCode.INVALID_API_KEY, 401, "Invalid API key\n"),
        (ErrorCode.THROTTLED, 429, "message\n"),  # the SDKs retry a 429
        (ErrorCode.CONFLICT, 429, "message\n"),
        (ErrorCode.STORAGE_UNAVAILABLE, 503, "message\n"),
    ],
)
def test_plain_text_answers(code: ErrorCode, status: int, text: str) -> None:
    response = answers.answer(AuthstateError(code, "message"), frozenset({"OK"}), "/cdi/x")
    assert (response.status_code, response.body, response.headers["Content-Type"]) == (
        status,
        text,
        answers.TEXT,
    )


def test_a_status_refusal_on_a_route_that_cannot_refuse_keeps_its_own_status() -> None:
    response = answers.answer(AuthstateError(ErrorCode.SESSION_NOT_FOUND, "gone"), frozenset(), "/cdi/x")
    assert (response.status_code, response.body) == (404, "Session does not exist.\n")


@pytest.mark.parametrize(
    ("header", "any_supported", "refusal"),
    [
        (None, False, None),
        ("5.4", False, None),
        ("5.4.0", True, None),  # compared part by part (SemVer.compareTo)...
        ("5.4.0", False, "cdi-version 5.4.0 not supported (authstate speaks CDI 5.4)"),  # ...listed as text
        ("5.10", True, "cdi-version 5.10 not supported (authstate speaks CDI 5.4)"),
        ("4.0", True, None),
        ("v5.4", True, "cdi-version v5.4 is not a version: send cdi-version: 5.4"),
        ("", True, "cdi-version  is not a version: send cdi-version: 5.4"),
        ("9" * 100, True, f"cdi-version {'9' * 32} not supported (authstate speaks CDI 5.4)"),
    ],
)
def test_version_refusals(header: str | None, any_supported: bool, refusal: str | None) -> None:
    assert protocol.version_refusal(header, any_supported=any_supported) == refusal


@pytest.mark.parametrize(
    ("value", "tenant"), [("PUBLIC", "public"), ("Tenant-1", "tenant-1"), ("-", "-"), ("0" * 64, "0" * 64)]
)
def test_tenant_ids_are_lower_cased(value: str, tenant: str) -> None:
    assert protocol.tenant_id(value) == tenant


@pytest.mark.parametrize("value", ["", "a_b", "a.b", "é", "recipe", "CONFIG", "x" * 65])
def test_tenant_ids_the_core_refuses(value: str) -> None:
    with pytest.raises(ValueError, match="tenantId"):
        protocol.tenant_id(value)


def test_query_flags() -> None:
    assert [protocol.query_flag(v) for v in ("true", "TRUE", "True", "false", "1", "")] == [
        True,
        True,
        True,
        False,
        False,
        False,
    ]
