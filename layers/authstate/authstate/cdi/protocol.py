"""The Core Driver Interface's shapes and conventions (CDI 5.4, as SuperTokens' core answers them).

- Success and business outcomes are HTTP 200 with a JSON object and a ``status`` string (``OK``,
  ``UNAUTHORISED`` with a ``message``, ``TRY_REFRESH_TOKEN``, ``TOKEN_THEFT_DETECTED``, ...).
- Bad input is HTTP 400 with a plain-text message (``Field name 'userId' is invalid in JSON input``),
  which the SDKs turn into an exception; nothing is stored.
- Times in bodies are integer milliseconds; access-token ``expiry``/``createdTime`` are its ``exp``/``iat``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from authstate.documents.jsondoc import JsonObject
from authstate.errors import AuthstateError, ErrorCode
from authstate.sessions.model import AccessToken, IssuedTokens, Session
from authstate.sessions.service import SDK_CLAIMS

#: The one interface version this facade speaks (``GET /apiversion``).
CDI_VERSIONS: Final = ["5.4"]
SUPPORTED_RECIPES: Final = ["session", "usermetadata"]
SESSION_DOES_NOT_EXIST: Final = "Session does not exist."


class CdiBadRequest(Exception):
    """Answered 400 with the message as plain text, as the core answers bad input."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def invalid_field(name: str) -> CdiBadRequest:
    return CdiBadRequest(f"Field name '{name}' is invalid in JSON input")


def required_string(body: Mapping[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str):
        raise invalid_field(name)
    return value


def optional_string(body: Mapping[str, Any], name: str) -> str | None:
    return None if body.get(name) is None else required_string(body, name)


def bool_field(body: Mapping[str, Any], name: str, default: bool | None = None) -> bool:
    value = body.get(name, default)
    if not isinstance(value, bool):
        raise invalid_field(name)
    return value


def required_object(body: Mapping[str, Any], name: str) -> JsonObject:
    value = body.get(name)
    if not isinstance(value, dict):
        raise invalid_field(name)
    return value


def optional_object(body: Mapping[str, Any], name: str) -> JsonObject | None:
    return None if body.get(name) is None else required_object(body, name)


def query_flag(value: str | None, *, default: bool = True) -> bool:
    """A boolean query parameter: only ``true`` (any case) is true; missing is ``default``."""
    return default if value is None else value.lower() == "true"


def unauthorised(message: str = SESSION_DOES_NOT_EXIST) -> dict[str, Any]:
    return {"status": "UNAUTHORISED", "message": message}


def try_refresh_token(message: str) -> dict[str, Any]:
    return {"status": "TRY_REFRESH_TOKEN", "message": message}


def session_object(handle: str, user_id: str, tenant_id: str, claims: JsonObject) -> dict[str, Any]:
    """``{handle, userId, recipeUserId, userDataInJWT, tenantId}``: no account linking, so the recipe
    user is the user."""
    return {
        "handle": handle,
        "userId": user_id,
        "recipeUserId": user_id,
        "userDataInJWT": claims,
        "tenantId": tenant_id,
    }


def session_of(session: Session) -> dict[str, Any]:
    return session_object(session.handle, session.user_id, session.tenant_id, session.payload)


def session_of_token(access: AccessToken) -> dict[str, Any]:
    return session_object(access.handle, access.user_id, access.tenant_id, access.custom_claims(SDK_CLAIMS))


def access_token_object(access: AccessToken) -> dict[str, Any]:
    return {"token": access.token, "expiry": access.expiry_ms, "createdTime": access.created_ms}


def tokens_response(issued: IssuedTokens, *, now_ms: int) -> dict[str, Any]:
    """What creation and refresh answer; ``antiCsrfToken`` only when the session has one."""
    session = issued.session
    response: dict[str, Any] = {
        "status": "OK",
        "session": session_of(session),
        "accessToken": access_token_object(issued.access_token),
        "refreshToken": {
            "token": issued.refresh_token.token,
            "expiry": session.expiry_ms,
            "createdTime": now_ms,
        },
    }
    if session.anti_csrf_token is not None:
        response["antiCsrfToken"] = session.anti_csrf_token
    return response


def session_information(session: Session, data: JsonObject) -> dict[str, Any]:
    """``GET /recipe/session``: the session's stored claims and data, its expiry and creation (ms)."""
    return {
        "status": "OK",
        "sessionHandle": session.handle,
        "userId": session.user_id,
        "recipeUserId": session.user_id,
        "userDataInDatabase": data,
        "expiry": session.expiry_ms,
        "userDataInJWT": session.payload,
        "timeCreated": session.created_ms,
        "tenantId": session.tenant_id,
    }


#: authstate's errors that mean "this token does not verify": the SDK refreshes.
_TRY_REFRESH = {
    ErrorCode.TOKEN_MALFORMED,
    ErrorCode.TOKEN_ALGORITHM_NOT_ALLOWED,
    ErrorCode.TOKEN_KEY_UNKNOWN,
    ErrorCode.TOKEN_SIGNATURE_INVALID,
    ErrorCode.TOKEN_CLAIMS_INVALID,
    ErrorCode.TOKEN_EXPIRED,
    ErrorCode.TOKEN_NOT_YET_VALID,
    ErrorCode.ANTI_CSRF_FAILED,
}
#: authstate's errors that mean "no such live session".
_GONE = {ErrorCode.SESSION_REVOKED, ErrorCode.SESSION_NOT_FOUND, ErrorCode.SESSION_EXPIRED}


def is_token_refusal(error: AuthstateError) -> bool:
    return error.code in _TRY_REFRESH


def is_session_gone(error: AuthstateError) -> bool:
    return error.code in _GONE


def bad_request_message(error: AuthstateError) -> str:
    """The plain-text 400 for bad input in a body (the core's words where it has them)."""
    if error.code is ErrorCode.PROTECTED_CLAIM:
        return "The user payload contains protected field"
    return error.message
