"""The error groups of the session recipe's routes (``edge.responses``: the groups every route shares)."""

from __future__ import annotations

from authstate.edge.responses import ErrorGroup
from authstate.errors import ErrorCode as E

#: Writes of custom access-token claims.
CLAIMS: ErrorGroup = (E.PROTECTED_CLAIM, E.ACCESS_TOKEN_PAYLOAD_TOO_LARGE)
#: Writes of session data.
SESSION_DATA: ErrorGroup = (E.SESSION_DATA_TOO_LARGE,)
#: Routes that verify an access token.
ACCESS_TOKEN: ErrorGroup = (
    E.TOKEN_MALFORMED,
    E.TOKEN_ALGORITHM_NOT_ALLOWED,
    E.TOKEN_KEY_UNKNOWN,
    E.TOKEN_SIGNATURE_INVALID,
    E.TOKEN_CLAIMS_INVALID,
    E.TOKEN_EXPIRED,
    E.TOKEN_NOT_YET_VALID,
    E.ANTI_CSRF_FAILED,
)
#: Online calls that need the session to be live.
ONLINE: ErrorGroup = (E.SESSION_REVOKED,)
#: Offline calls by handle that need the session to be live.
OFFLINE: ErrorGroup = (E.SESSION_NOT_FOUND,)
#: Routes that mint an access token (and may create this slot's signing key).
MINT: ErrorGroup = (E.SIGNING_KEY_UNAVAILABLE,)
REFRESH: ErrorGroup = (
    E.REFRESH_TOKEN_INVALID,
    E.SESSION_REVOKED,
    E.SESSION_EXPIRED,
    E.TOKEN_THEFT_DETECTED,
    E.ACCESS_TOKEN_PAYLOAD_TOO_LARGE,
    E.CONFLICT,
    E.CUTOVER_IN_PROGRESS,
)
HANDLE_PATH: ErrorGroup = (E.INVALID_SESSION_HANDLE,)
#: ``/sessions/{sessionHandle}`` itself, which API Gateway also hands ``GET /sessions/verify`` and the
#: like: a literal path of another route is that path's 405.
SESSION_PATH: ErrorGroup = (*HANDLE_PATH, E.METHOD_NOT_ALLOWED)
TENANT_QUERY: ErrorGroup = (E.INVALID_TENANT_ID,)
