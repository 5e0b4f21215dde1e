"""Every error a caller can see: a stable ``code``, an HTTP status and a message without secrets."""

from __future__ import annotations


class AuthstateError(Exception):
    """Base of all errors that become a JSON ``{"code", "message"}`` response."""

    status: int = 400
    code: str = "BAD_REQUEST"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        details: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status

    def to_body(self) -> dict[str, str]:
        """``{"code", "message"}`` plus any non-secret details (e.g. the session a theft revoked)."""
        return {"code": self.code, "message": self.message, **self.details}


class InvalidRequest(AuthstateError):
    """The request is malformed: bad JSON, wrong shape, invalid key or value (400)."""

    status = 400
    code = "INVALID_REQUEST"


class PayloadTooLarge(AuthstateError):
    """A size limit was exceeded: request body, document, item or token payload (413)."""

    status = 413
    code = "PAYLOAD_TOO_LARGE"


class Unauthorized(AuthstateError):
    """Missing or wrong API key, or an access/refresh token that does not verify (401)."""

    status = 401
    code = "UNAUTHORIZED"


class NotFound(AuthstateError):
    status = 404
    code = "NOT_FOUND"


class Conflict(AuthstateError):
    """Concurrent writes won every retry of a conditional write (409)."""

    status = 409
    code = "CONFLICT"


class StorageUnavailable(AuthstateError):
    """DynamoDB could not be reached, failed, or throttled us; retry later (503)."""

    status = 503
    code = "STORAGE_UNAVAILABLE"
