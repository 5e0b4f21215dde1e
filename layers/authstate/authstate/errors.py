"""Every error a caller can see: a stable code (with its one HTTP status) and a message without secrets.

:class:`ErrorCode` is the single list of codes: the README's error table and each route's documented
responses are checked against it, so a code cannot be raised without being documented.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Self


class ErrorCode(StrEnum):
    """A code, its HTTP status and when it is answered."""

    status: int
    when: str

    def __new__(cls, code: str, status: int, when: str) -> Self:
        member = str.__new__(cls, code)
        member._value_ = code
        member.status = status
        member.when = when
        return member

    INVALID_JSON = "INVALID_JSON", 400, "empty body, not JSON, not an object, or bad base64"
    INVALID_UTF8 = "INVALID_UTF8", 400, "body or string not valid UTF-8 (e.g. a lone surrogate)"
    INVALID_NUMBER = (
        "INVALID_NUMBER",
        400,
        (
            "`NaN`, `Infinity`, a number (integer or not) a 64-bit float reads as infinite or as zero "
            "(`1e400`, a 310-digit integer, `1e-400`), or a number of more than 4300 digits"
        ),
    )
    DUPLICATE_KEY = "DUPLICATE_KEY", 400, "the same key twice in one JSON object"
    NESTING_TOO_DEEP = "NESTING_TOO_DEEP", 400, "a document nested deeper than 64 levels"
    VALIDATION_ERROR = (
        "VALIDATION_ERROR",
        400,
        "wrong shape: missing or unknown field, wrong type, bad `userId` or `tenantId`",
    )
    INVALID_KEY = "INVALID_KEY", 400, "a root-level key of a document that is empty or longer than 1024 bytes"
    INVALID_USER_ID = (
        "INVALID_USER_ID",
        400,
        "`{userId}` in the path blank, longer than 256 bytes, or with control characters",
    )
    INVALID_SESSION_HANDLE = (
        "INVALID_SESSION_HANDLE",
        400,
        "`{sessionHandle}` in the path is not a session handle (a lower-case UUID)",
    )
    TOO_MANY_KEYS = "TOO_MANY_KEYS", 400, "a merge's update with more than 10 000 root keys"
    INVALID_TENANT_ID = "INVALID_TENANT_ID", 400, "the `tenantId` query parameter is empty or not a tenant id"
    UNKNOWN_QUERY_PARAMETER = (
        "UNKNOWN_QUERY_PARAMETER",
        400,
        "a query parameter the route does not take (only `tenantId`, on a user's sessions, is taken)",
    )
    PROTECTED_CLAIM = (
        "PROTECTED_CLAIM",
        400,
        "custom claims naming a protected claim (`sub`, `exp`, `iat`, ...)",
    )
    MISSING_API_KEY = "MISSING_API_KEY", 401, "no API key (`api-key`, `x-api-key` or `Authorization: Bearer`)"
    INVALID_API_KEY = "INVALID_API_KEY", 401, "an API key that is not a configured one"
    TOKEN_MALFORMED = (
        "TOKEN_MALFORMED",
        401,
        "the access token is not a JWT: not a well-formed JWS of JSON objects with a `kid`",
    )
    TOKEN_ALGORITHM_NOT_ALLOWED = "TOKEN_ALGORITHM_NOT_ALLOWED", 401, "the access token's `alg` is not RS256"
    TOKEN_KEY_UNKNOWN = "TOKEN_KEY_UNKNOWN", 401, "the access token's `kid` is unknown or retired"
    TOKEN_SIGNATURE_INVALID = "TOKEN_SIGNATURE_INVALID", 401, "the access token's signature does not verify"
    TOKEN_CLAIMS_INVALID = (
        "TOKEN_CLAIMS_INVALID",
        401,
        "a required claim missing or of the wrong type, or the wrong `iss`",
    )
    TOKEN_EXPIRED = "TOKEN_EXPIRED", 401, "the access token is past its `exp`: refresh the session"
    TOKEN_NOT_YET_VALID = (
        "TOKEN_NOT_YET_VALID",
        401,
        "before the token's `nbf`, or `iat` more than 60 s ahead",
    )
    ANTI_CSRF_FAILED = (
        "ANTI_CSRF_FAILED",
        401,
        "the session has anti-CSRF and `antiCsrfToken` is missing or wrong",
    )
    SESSION_REVOKED = (
        "SESSION_REVOKED",
        401,
        "online call or refresh for a session that was revoked (or, online, expired)",
    )
    SESSION_EXPIRED = "SESSION_EXPIRED", 401, "refresh of an expired session"
    REFRESH_TOKEN_INVALID = "REFRESH_TOKEN_INVALID", 401, "not a refresh token this service issued"
    TOKEN_THEFT_DETECTED = (
        "TOKEN_THEFT_DETECTED",
        401,
        "a refresh token was reused after rotation; the session was revoked",
    )
    SESSION_NOT_FOUND = "SESSION_NOT_FOUND", 404, "offline call for a missing or expired session"
    ROUTE_NOT_FOUND = "ROUTE_NOT_FOUND", 404, "no route has this path"
    METHOD_NOT_ALLOWED = (
        "METHOD_NOT_ALLOWED",
        405,
        "the path exists, the method does not (the `Allow` header lists the methods)",
    )
    CONFLICT = (
        "CONFLICT",
        409,
        "a merge lost 10 races in a row against writes of the same document (or a user's first "
        "metadata write 12 against clears); retry",
    )
    BODY_TOO_LARGE = "BODY_TOO_LARGE", 413, "request body over 400 KiB"
    ACCESS_TOKEN_PAYLOAD_TOO_LARGE = (
        "ACCESS_TOKEN_PAYLOAD_TOO_LARGE",
        413,
        "custom claims over `MAX_CUSTOM_CLAIMS_BYTES`",
    )
    SESSION_DATA_TOO_LARGE = "SESSION_DATA_TOO_LARGE", 413, "session data over 350 000 bytes"
    ITEM_TOO_LARGE = "ITEM_TOO_LARGE", 413, "all of a user's metadata would exceed DynamoDB's 400 KB item"
    UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE", 415, "a body whose `Content-Type` is not JSON"
    STORAGE_ERROR = "STORAGE_ERROR", 500, "DynamoDB rejected a request (a bug or a misconfiguration)"
    INTERNAL_ERROR = "INTERNAL_ERROR", 500, "a bug"
    CONFIGURATION_INVALID = (
        "CONFIGURATION_INVALID",
        500,
        "the function's environment is missing or has an invalid setting",
    )
    THROTTLED = "THROTTLED", 503, "DynamoDB throttled the request; retry later"
    STORAGE_UNAVAILABLE = (
        "STORAGE_UNAVAILABLE",
        503,
        "DynamoDB is unreachable or failing; retry later (a timed-out write may have landed)",
    )
    CUTOVER_IN_PROGRESS = (
        "CUTOVER_IN_PROGRESS",
        503,
        "a SuperTokens core's refresh token not matched by the import yet, while the cutover holds; retry",
    )
    API_KEYS_UNAVAILABLE = "API_KEYS_UNAVAILABLE", 503, "the API keys could not be loaded"
    SIGNING_KEY_UNAVAILABLE = "SIGNING_KEY_UNAVAILABLE", 503, "this slot's signing key could not be loaded"


class AuthstateError(Exception):
    """An error answered as JSON ``{"code", "message"}`` (and non-secret ``details``), its code's status."""

    def __init__(self, code: ErrorCode, message: str, *, details: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or {}

    @property
    def status(self) -> int:
        return self.code.status

    def to_body(self) -> dict[str, str]:
        """``{"code", "message"}`` plus any non-secret details (e.g. the session a theft revoked)."""
        return {"code": str(self.code), "message": self.message, **self.details}


class StorageError(AuthstateError):
    """DynamoDB refused a request that retrying will not fix: a bug or a misconfiguration (500)."""

    def __init__(self, message: str) -> None:
        super().__init__(ErrorCode.STORAGE_ERROR, message)


class StorageUnavailable(AuthstateError):
    """DynamoDB could not be reached, failed, or throttled us; retry later (503)."""

    def __init__(self, message: str, *, throttled: bool = False) -> None:
        super().__init__(ErrorCode.THROTTLED if throttled else ErrorCode.STORAGE_UNAVAILABLE, message)


class ApiKeysUnavailable(AuthstateError):
    """The configured API-key source (secret or parameter) could not be read (503)."""

    def __init__(self) -> None:
        super().__init__(ErrorCode.API_KEYS_UNAVAILABLE, "the API keys could not be loaded; retry later")


class SigningKeyUnavailable(AuthstateError):
    """This rotation slot's signing key exists but could not be read (503)."""

    def __init__(self) -> None:
        message = "the signing key of this slot exists but could not be read; retry later"
        super().__init__(ErrorCode.SIGNING_KEY_UNAVAILABLE, message)


class ConfigurationInvalid(AuthstateError):
    """The function's environment does not hold a valid configuration (500, names the setting)."""

    def __init__(self, message: str) -> None:
        super().__init__(ErrorCode.CONFIGURATION_INVALID, message)


class InternalError(AuthstateError):
    """A bug: the details are in the log, never in the response (500)."""

    def __init__(self) -> None:
        super().__init__(ErrorCode.INTERNAL_ERROR, "internal error")
