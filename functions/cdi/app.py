"""SuperTokens' Core Driver Interface 5.4 under /cdi: the unmodified SuperTokens backend SDKs use
authstate as their core (``connection_uri = https://<api>/cdi``) for the session and user-metadata
recipes. Each route translates shapes only; the session and metadata services do the work."""

import time
from typing import Any

from aws_lambda_powertools.event_handler import Response

from authstate import services
from authstate.cdi import protocol as cdi
from authstate.cdi.app import CdiResolver, json_response, text_response
from authstate.edge.app import lambda_entry, metrics
from authstate.errors import AuthstateError, ErrorCode
from authstate.identifiers import is_session_handle, tenant_id, user_id
from authstate.limits import MAX_HANDLES_PER_REQUEST
from authstate.sessions.service import SDK_CLAIMS

app = CdiResolver()
PUBLIC = "public"


def _ok(**fields: Any) -> Response[str]:
    return json_response({"status": "OK", **fields})


def _now_ms() -> int:
    return int(time.time() * 1000)


# -- the core itself --------------------------------------------------------------------------------


@app.get("/apiversion")
def api_version() -> Response[str]:
    return json_response({"versions": cdi.CDI_VERSIONS})


@app.get("/hello")
@app.get("/")
def hello() -> Response[str]:
    return text_response(200, "Hello")


@app.get("/.well-known/jwks.json")
def jwks() -> Response[str]:
    return json_response(services.signing_keyring().jwks(time.time()))


@app.get("/user/id")
def user_by_id() -> Response[str]:
    """authstate keeps no users: every id is unknown, and the SDK uses the one it was given."""
    app.query("userId")
    return json_response({"status": "UNKNOWN_USER_ID_ERROR"})


# -- sessions ---------------------------------------------------------------------------------------


@app.post("/recipe/session")
@app.post("/<tenantId>/recipe/session")
def create_session(tenantId: str = PUBLIC) -> Response[str]:
    body = app.json()
    user = user_id(cdi.required_string(body, "userId"))
    payload = cdi.required_object(body, "userDataInJWT")
    data = cdi.required_object(body, "userDataInDatabase")
    anti_csrf = cdi.bool_field(body, "enableAntiCsrf")
    dynamic = cdi.bool_field(body, "useDynamicSigningKey", default=True)
    issued = services.sessions().create(
        user,
        tenant_id(tenantId),
        payload,
        data,
        anti_csrf=anti_csrf,
        static_key=not dynamic,
        allowed_claims=SDK_CLAIMS,
    )
    metrics.add_metric(name="SessionCreated", unit="Count", value=1)
    return json_response(cdi.tokens_response(issued, now_ms=_now_ms()))


@app.post("/recipe/session/verify")
def verify_session() -> Response[str]:
    body = app.json()
    token = cdi.required_string(body, "accessToken")
    anti_csrf_token = cdi.optional_string(body, "antiCsrfToken")
    check_anti_csrf = cdi.bool_field(body, "doAntiCsrfCheck") and cdi.bool_field(body, "enableAntiCsrf")
    check_database = cdi.bool_field(body, "checkDatabase", default=False)
    try:
        access, renewed = services.sessions().verify_with_renewal(
            token, anti_csrf_token, check_anti_csrf=check_anti_csrf, check_database=check_database
        )
    except AuthstateError as error:
        if error.code is ErrorCode.ANTI_CSRF_FAILED:
            return json_response(cdi.try_refresh_token("anti-csrf check failed"))
        if cdi.is_token_refusal(error):
            return json_response(cdi.try_refresh_token(error.message))
        if cdi.is_session_gone(error):
            return json_response(cdi.unauthorised("Either the session has ended or has been blacklisted"))
        raise
    metrics.add_metric(name="SessionVerified", unit="Count", value=1)
    if renewed is None:
        return _ok(session=cdi.session_of_token(access))
    return _ok(session=cdi.session_of_token(renewed), accessToken=cdi.access_token_object(renewed))


@app.post("/recipe/session/refresh")
def refresh_session() -> Response[str]:
    body = app.json()
    token = cdi.required_string(body, "refreshToken")
    anti_csrf_token = cdi.optional_string(body, "antiCsrfToken")
    check_anti_csrf = cdi.bool_field(body, "enableAntiCsrf")
    dynamic = cdi.bool_field(body, "useDynamicSigningKey")
    try:
        issued = services.sessions().refresh(
            token, anti_csrf_token=anti_csrf_token, check_anti_csrf=check_anti_csrf, static_key=not dynamic
        )
    except AuthstateError as error:
        if error.code is ErrorCode.TOKEN_THEFT_DETECTED:
            handle, user_id = error.details["sessionHandle"], error.details["userId"]
            return json_response(
                {
                    "status": "TOKEN_THEFT_DETECTED",
                    "session": {"handle": handle, "userId": user_id, "recipeUserId": user_id},
                }
            )
        if error.code is ErrorCode.ANTI_CSRF_FAILED:
            return json_response(cdi.unauthorised("Anti CSRF token missing, or not matching"))
        if error.status < 500 and error.code is not ErrorCode.THROTTLED:
            # The SDKs read any other status as theft: every refusal is UNAUTHORISED, with its reason.
            return json_response(cdi.unauthorised(error.message))
        raise
    metrics.add_metric(name="SessionRefreshed", unit="Count", value=1)
    return json_response(cdi.tokens_response(issued, now_ms=_now_ms()))


@app.post("/recipe/session/regenerate")
def regenerate() -> Response[str]:
    """The SDK's online merge: it sends the whole new payload; only the difference is applied."""
    body = app.json()
    token = cdi.required_string(body, "accessToken")
    payload = cdi.optional_object(body, "userDataInJWT")
    sessions = services.sessions()
    try:
        if payload is None:  # nothing to change: the session as it is
            access = sessions.verify_token(token, check_anti_csrf=False, allow_expired=True)
            session, _ = sessions.get(access.handle, with_data=False)
            return _ok(session=cdi.session_of(session))
        session, renewed = sessions.regenerate(token, payload)
    except AuthstateError as error:
        if cdi.is_session_gone(error) or cdi.is_token_refusal(error):
            return json_response(cdi.unauthorised())
        raise
    metrics.add_metric(name="PayloadMergedOnline", unit="Count", value=1)
    if renewed is None:
        return _ok(session=cdi.session_of(session))
    return _ok(session=cdi.session_of(session), accessToken=cdi.access_token_object(renewed))


@app.get("/recipe/session")
def session_information() -> Response[str]:
    handle = str(app.query("sessionHandle"))
    if not is_session_handle(handle):  # no session has such a handle (and no query should run)
        return json_response(cdi.unauthorised())
    try:
        session, data = services.sessions().get(handle)
    except AuthstateError as error:
        if cdi.is_session_gone(error):
            return json_response(cdi.unauthorised())
        raise
    return json_response(cdi.session_information(session, data))


@app.put("/recipe/session/data")
def update_session_data() -> Response[str]:
    body = app.json()
    handle = cdi.required_string(body, "sessionHandle")
    data = cdi.required_object(body, "userDataInDatabase")
    if not is_session_handle(handle):
        return json_response(cdi.unauthorised())
    try:
        services.sessions().put_data(handle, data)
    except AuthstateError as error:
        if cdi.is_session_gone(error):
            return json_response(cdi.unauthorised())
        raise
    metrics.add_metric(name="SessionDataWritten", unit="Count", value=1)
    return _ok()


@app.put("/recipe/jwt/data")
def update_access_token_payload() -> Response[str]:
    """The SDK's offline merge: the whole payload, read and merged by the SDK (last writer wins)."""
    body = app.json()
    handle = cdi.required_string(body, "sessionHandle")
    payload = cdi.required_object(body, "userDataInJWT")
    if not is_session_handle(handle):
        return json_response(cdi.unauthorised())
    try:
        services.sessions().replace_payload(handle, payload)
    except AuthstateError as error:
        if cdi.is_session_gone(error):
            return json_response(cdi.unauthorised())
        raise
    metrics.add_metric(name="PayloadMergedOffline", unit="Count", value=1)
    return _ok()


@app.get("/recipe/session/user")
@app.get("/<tenantId>/recipe/session/user")
def session_handles_of_user(tenantId: str = PUBLIC) -> Response[str]:
    user = user_id(str(app.query("userId")))
    across = cdi.query_flag(app.query("fetchAcrossAllTenants", required=False))
    handles = services.sessions().handles_of_user(user, None if across else tenant_id(tenantId))
    return _ok(sessionHandles=handles)


@app.post("/recipe/session/remove")
@app.post("/<tenantId>/recipe/session/remove")
def remove_sessions(tenantId: str = PUBLIC) -> Response[str]:
    body = app.json()
    sessions = services.sessions()
    if ("userId" in body) == ("sessionHandles" in body):
        raise cdi.CdiBadRequest("Invalid JSON input - use one of userId or sessionHandles array")
    if "sessionHandles" in body:
        handles = body["sessionHandles"]
        if "revokeAcrossAllTenants" in body:
            raise cdi.CdiBadRequest(
                "Invalid JSON input - revokeAcrossAllTenants can only be set if userId is set"
            )
        if not isinstance(handles, list) or not all(isinstance(handle, str) for handle in handles):
            raise cdi.invalid_field("sessionHandles")
        if len(handles) > MAX_HANDLES_PER_REQUEST:
            raise cdi.CdiBadRequest(
                f"Invalid JSON input - at most {MAX_HANDLES_PER_REQUEST} sessionHandles per request "
                f"(authstate's limit, TOO_MANY_SESSION_HANDLES); {len(handles)} were sent"
            )
        revoked = [handle for handle in handles if is_session_handle(handle) and sessions.revoke(handle)]
    else:
        user = user_id(cdi.required_string(body, "userId"))
        across = cdi.bool_field(body, "revokeAcrossAllTenants", default=True)
        revoked = sessions.revoke_all(user, None if across else tenant_id(tenantId))
    metrics.add_metric(name="SessionRevoked", unit="Count", value=len(revoked))
    return _ok(sessionHandlesRevoked=revoked)


# -- user metadata ----------------------------------------------------------------------------------


@app.get("/recipe/user/metadata")
def get_user_metadata() -> Response[str]:
    metadata = services.user_metadata().get(user_id(str(app.query("userId"))))
    return _ok(metadata=metadata)


@app.put("/recipe/user/metadata")
def update_user_metadata() -> Response[str]:
    body = app.json()
    user = user_id(cdi.required_string(body, "userId"))
    update = cdi.required_object(body, "metadataUpdate")
    merged = services.user_metadata().update(user, update)
    metrics.add_metric(name="MetadataUpdated", unit="Count", value=1)
    return _ok(metadata=merged)


@app.post("/recipe/user/metadata/remove")
def clear_user_metadata() -> Response[str]:
    body = app.json()
    services.user_metadata().clear(user_id(cdi.required_string(body, "userId")))
    metrics.add_metric(name="MetadataCleared", unit="Count", value=1)
    return _ok()


lambda_handler = lambda_entry(app)
