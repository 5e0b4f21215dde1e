"""The API's route catalogue and its OpenAPI 3.1 contract, generated from the pydantic models.

:data:`ROUTES` is the one declarative list of every route: method, path (API Gateway form), the
template function that serves it, its request and response models and the errors it can answer.
Tests check it against template.yaml and against each function's registered routes, so it cannot
drift; :func:`build_openapi` turns it into the document the local server serves at
``/openapi.json``. No handler imports this module, so it costs nothing at cold start.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from pydantic import BaseModel, TypeAdapter
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from authstate.limits import MAX_BODY_BYTES, MAX_USER_ID_BYTES
from authstate.models import (
    AccessTokenPayloadResponse,
    CreateSessionRequest,
    DocumentUpdateRequest,
    ErrorResponse,
    JwksResponse,
    MergePayloadOnlineRequest,
    MergePayloadOnlineResponse,
    MetadataResponse,
    MetadataUpdateRequest,
    OnlineSessionDataRequest,
    OnlineSessionDataUpdateRequest,
    RefreshSessionRequest,
    RevokedSessionHandlesResponse,
    RevokeSessionResponse,
    SessionDataRequest,
    SessionDataResponse,
    SessionHandlesResponse,
    SessionResponse,
    SessionTokensResponse,
    TenantId,
    VerifySessionRequest,
    VerifySessionResponse,
)

OPENAPI_VERSION: Final = "3.1.0"
API_TITLE: Final = "authstate"
API_VERSION: Final = "0.1.0"
JSON: Final = "application/json"
API_KEY_SCHEME: Final = "ApiKeyAuth"
BEARER_SCHEME: Final = "BearerAuth"
_REF_TEMPLATE: Final = "#/components/schemas/{model}"

type Method = Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
type ErrorCodes = Mapping[int, tuple[str, ...]]

# -- Error codes, grouped by what a route does (README "Errors" lists them all) ------------------

#: Every route that needs the API key, and every route that reaches DynamoDB.
_API_KEY: ErrorCodes = {401: ("MISSING_API_KEY", "INVALID_API_KEY"), 503: ("API_KEYS_UNAVAILABLE",)}
_STORAGE: ErrorCodes = {
    500: ("STORAGE_ERROR", "INTERNAL_ERROR"),
    503: ("THROTTLED", "STORAGE_UNAVAILABLE"),
}
#: Routes with a JSON body (``http.json_body``).
_BODY: ErrorCodes = {
    400: (
        "INVALID_JSON",
        "INVALID_UTF8",
        "INVALID_NUMBER",
        "DUPLICATE_KEY",
        "NESTING_TOO_DEEP",
        "VALIDATION_ERROR",
    ),
    413: ("BODY_TOO_LARGE",),
}
#: Routes that store a document sent in the body (root keys become DynamoDB map keys).
_DOCUMENT_WRITE: ErrorCodes = {400: ("INVALID_KEY",), 413: ("ITEM_TOO_LARGE",)}
#: A user's first metadata write, racing clears (``store.merge_document``).
_MERGE: ErrorCodes = {409: ("CONFLICT",)}
#: Writes of custom access-token claims.
_CLAIMS: ErrorCodes = {400: ("PROTECTED_CLAIM",), 413: ("ACCESS_TOKEN_PAYLOAD_TOO_LARGE",)}
#: Routes that verify an access token (``Sessions.verify_token``).
_ACCESS_TOKEN: ErrorCodes = {
    401: (
        "TOKEN_MALFORMED",
        "TOKEN_ALGORITHM_NOT_ALLOWED",
        "TOKEN_KEY_UNKNOWN",
        "TOKEN_SIGNATURE_INVALID",
        "TOKEN_CLAIMS_INVALID",
        "TOKEN_EXPIRED",
        "TOKEN_NOT_YET_VALID",
        "ANTI_CSRF_FAILED",
    )
}
#: Online calls that need the session to be live.
_ONLINE: ErrorCodes = {401: ("SESSION_REVOKED",)}
#: Offline calls by handle that need the session to be live.
_OFFLINE: ErrorCodes = {404: ("SESSION_NOT_FOUND",)}
#: Routes that mint an access token (and may create this slot's signing key).
_MINT: ErrorCodes = {503: ("SIGNING_KEY_UNAVAILABLE",)}
_REFRESH: ErrorCodes = {
    401: (
        "REFRESH_TOKEN_INVALID",
        "SESSION_REVOKED",
        "SESSION_EXPIRED",
        "REFRESH_TOKEN_SUPERSEDED",
        "TOKEN_THEFT_DETECTED",
    )
}
_USER_ID_PATH: ErrorCodes = {400: ("INVALID_USER_ID",)}
_HANDLE_PATH: ErrorCodes = {400: ("INVALID_SESSION_HANDLE",)}
_TENANT_QUERY: ErrorCodes = {400: ("INVALID_TENANT_ID",)}

_STATUS_TEXT: Final = {
    400: "Bad request",
    401: "Unauthorized",
    404: "Not found",
    409: "Conflict",
    413: "Payload too large",
    500: "Internal error",
    503: "Service unavailable",
}


def errors(*groups: ErrorCodes) -> dict[int, tuple[str, ...]]:
    """The union of error-code groups, per status, codes in first-seen order."""
    merged: dict[int, tuple[str, ...]] = {}
    for group in groups:
        for status, codes in group.items():
            known = merged.get(status, ())
            merged[status] = known + tuple(code for code in codes if code not in known)
    return dict(sorted(merged.items()))


# -- Parameters -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Parameter:
    name: str
    location: Literal["path", "query"]
    description: str
    schema: Mapping[str, Any]
    required: bool = True

    def to_openapi(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "in": self.location,
            "required": self.required,
            "description": self.description,
            "schema": dict(self.schema),
        }


PATH_PARAMETERS: Final[Mapping[str, Parameter]] = {
    "userId": Parameter(
        "userId",
        "path",
        f"The user id: 1 to {MAX_USER_ID_BYTES} UTF-8 bytes, not blank (else 400 INVALID_USER_ID)",
        {"type": "string", "minLength": 1, "maxLength": MAX_USER_ID_BYTES},
    ),
    "sessionHandle": Parameter(
        "sessionHandle",
        "path",
        "A session handle: a lower-case UUID (else 400 INVALID_SESSION_HANDLE)",
        {
            "type": "string",
            "format": "uuid",
            "pattern": r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
        },
    ),
}
TENANT_FILTER: Final = Parameter(
    "tenantId",
    "query",
    "Only the sessions of this tenant (default: every tenant)",
    TypeAdapter(TenantId).json_schema(),
    required=False,
)


# -- The catalogue ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    """One route of the HTTP API, as template.yaml declares it and a function's app registers it."""

    method: Method
    path: str  # API Gateway form: /users/{userId}/metadata
    function: str  # the template's function logical id
    operation_id: str
    summary: str
    tag: str
    responses: Mapping[int, type[BaseModel]]
    errors: Mapping[int, tuple[str, ...]]
    request: type[BaseModel] | None = None
    api_key: bool = True
    query: tuple[Parameter, ...] = ()
    response_headers: Mapping[int, Mapping[str, Mapping[str, Any]]] = field(default_factory=dict)
    description: str | None = None

    @property
    def path_parameter_names(self) -> list[str]:
        return re.findall(r"\{([^}]+)\}", self.path)

    @property
    def powertools_rule(self) -> str:
        """The path as a Powertools resolver rule: ``/users/<userId>/metadata``."""
        return re.sub(r"\{([^}]+)\}", r"<\1>", self.path)


ROUTES: Final[tuple[Route, ...]] = (
    Route(
        "GET",
        "/users/{userId}/metadata",
        "UserMetadataFunction",
        "getUserMetadata",
        "Read a user's metadata",
        "User metadata",
        {200: MetadataResponse},
        errors(_API_KEY, _STORAGE, _USER_ID_PATH),
        description="An unknown user reads as {}.",
    ),
    Route(
        "DELETE",
        "/users/{userId}/metadata",
        "UserMetadataFunction",
        "clearUserMetadata",
        "Clear a user's metadata",
        "User metadata",
        {200: MetadataResponse},
        errors(_API_KEY, _STORAGE, _USER_ID_PATH),
        description='Always answers {"metadata":{}}.',
    ),
    Route(
        "PATCH",
        "/users/{userId}/metadata",
        "UserMetadataUpdateFunction",
        "updateUserMetadata",
        "Root-level merge into a user's metadata",
        "User metadata",
        {200: MetadataResponse},
        errors(_API_KEY, _STORAGE, _USER_ID_PATH, _BODY, _DOCUMENT_WRITE, _MERGE),
        request=MetadataUpdateRequest,
        description="Each key of metadataUpdate replaces the stored key; null removes it. Returns the "
        "merged document.",
    ),
    Route(
        "POST",
        "/sessions",
        "CreateSessionFunction",
        "createSession",
        "Create a session with custom access-token claims",
        "Sessions",
        {201: SessionTokensResponse},
        errors(_API_KEY, _STORAGE, _BODY, _DOCUMENT_WRITE, _CLAIMS, _MINT),
        request=CreateSessionRequest,
    ),
    Route(
        "POST",
        "/sessions/verify",
        "VerifySessionFunction",
        "verifySession",
        "Verify an access token, optionally against the database",
        "Sessions",
        {200: VerifySessionResponse},
        errors(_API_KEY, _STORAGE, _BODY, _ACCESS_TOKEN, _ONLINE),
        request=VerifySessionRequest,
    ),
    Route(
        "POST",
        "/sessions/merge",
        "MergePayloadFunction",
        "mergePayloadOnline",
        "Verify an access token, merge into its payload, return a new token",
        "Sessions",
        {200: MergePayloadOnlineResponse},
        errors(_API_KEY, _STORAGE, _BODY, _DOCUMENT_WRITE, _CLAIMS, _ACCESS_TOKEN, _ONLINE, _MINT),
        request=MergePayloadOnlineRequest,
    ),
    Route(
        "PATCH",
        "/sessions/{sessionHandle}/payload",
        "UpdatePayloadFunction",
        "mergePayloadOffline",
        "Merge into a session's access-token payload by handle",
        "Sessions",
        {200: AccessTokenPayloadResponse},
        errors(_API_KEY, _STORAGE, _HANDLE_PATH, _BODY, _DOCUMENT_WRITE, _CLAIMS, _OFFLINE),
        request=DocumentUpdateRequest,
        description="Tokens carry the change from the next refresh on.",
    ),
    Route(
        "PUT",
        "/sessions/{sessionHandle}/data",
        "SessionDataFunction",
        "overwriteSessionDataOffline",
        "Overwrite a session's data by handle",
        "Session data",
        {200: SessionDataResponse},
        errors(_API_KEY, _STORAGE, _HANDLE_PATH, _BODY, _DOCUMENT_WRITE, _OFFLINE),
        request=SessionDataRequest,
    ),
    Route(
        "PATCH",
        "/sessions/{sessionHandle}/data",
        "SessionDataFunction",
        "mergeSessionDataOffline",
        "Root-level merge into a session's data by handle",
        "Session data",
        {200: SessionDataResponse},
        errors(_API_KEY, _STORAGE, _HANDLE_PATH, _BODY, _DOCUMENT_WRITE, _OFFLINE),
        request=DocumentUpdateRequest,
    ),
    Route(
        "PUT",
        "/sessions/data",
        "SessionDataFunction",
        "overwriteSessionDataOnline",
        "Overwrite the session data of an access token's session",
        "Session data",
        {200: SessionDataResponse},
        errors(_API_KEY, _STORAGE, _BODY, _DOCUMENT_WRITE, _ACCESS_TOKEN, _ONLINE),
        request=OnlineSessionDataRequest,
    ),
    Route(
        "PATCH",
        "/sessions/data",
        "SessionDataFunction",
        "mergeSessionDataOnline",
        "Root-level merge into the session data of an access token's session",
        "Session data",
        {200: SessionDataResponse},
        errors(_API_KEY, _STORAGE, _BODY, _DOCUMENT_WRITE, _ACCESS_TOKEN, _ONLINE),
        request=OnlineSessionDataUpdateRequest,
    ),
    Route(
        "POST",
        "/sessions/refresh",
        "RefreshSessionFunction",
        "refreshSession",
        "Rotate the refresh token (theft detection) and mint a new access token",
        "Sessions",
        {200: SessionTokensResponse},
        errors(_API_KEY, _STORAGE, _BODY, _REFRESH, _MINT),
        request=RefreshSessionRequest,
    ),
    Route(
        "GET",
        "/sessions/{sessionHandle}",
        "SessionsFunction",
        "getSession",
        "Read a session: identity, stored payload, data and times",
        "Sessions",
        {200: SessionResponse},
        errors(_API_KEY, _STORAGE, _HANDLE_PATH, _OFFLINE),
    ),
    Route(
        "DELETE",
        "/sessions/{sessionHandle}",
        "SessionsFunction",
        "revokeSession",
        "Revoke a session",
        "Sessions",
        {200: RevokeSessionResponse},
        errors(_API_KEY, _STORAGE, _HANDLE_PATH),
    ),
    Route(
        "GET",
        "/sessions/{sessionHandle}/data",
        "SessionsFunction",
        "getSessionData",
        "Read a session's data by handle",
        "Session data",
        {200: SessionDataResponse},
        errors(_API_KEY, _STORAGE, _HANDLE_PATH, _OFFLINE),
    ),
    Route(
        "GET",
        "/users/{userId}/sessions",
        "SessionsFunction",
        "listUserSessions",
        "List the handles of a user's live sessions",
        "Sessions",
        {200: SessionHandlesResponse},
        errors(_API_KEY, _STORAGE, _USER_ID_PATH, _TENANT_QUERY),
        query=(TENANT_FILTER,),
    ),
    Route(
        "DELETE",
        "/users/{userId}/sessions",
        "SessionsFunction",
        "revokeUserSessions",
        "Revoke a user's live sessions",
        "Sessions",
        {200: RevokedSessionHandlesResponse},
        errors(_API_KEY, _STORAGE, _USER_ID_PATH, _TENANT_QUERY),
        query=(TENANT_FILTER,),
    ),
    Route(
        "GET",
        "/.well-known/jwks.json",
        "JwksFunction",
        "getJwks",
        "Public keys that may still verify a live access token",
        "Keys",
        {200: JwksResponse},
        errors(_STORAGE, _MINT),
        api_key=False,
        response_headers={
            200: {
                "Cache-Control": {
                    "description": "Verifiers may cache the key set for 5 minutes",
                    "required": True,
                    "schema": {"type": "string", "const": "public, max-age=300"},
                }
            }
        },
    ),
)


# -- The document -----------------------------------------------------------------------------------


def _component_schemas() -> tuple[dict[tuple[type[BaseModel], JsonSchemaMode], str], dict[str, Any]]:
    """Every model's schema, with shared definitions lifted into ``components/schemas``.

    Request bodies are described as pydantic validates them, responses as the handlers serialize
    them; ``models_json_schema`` names a model that differs between the two ``X-Input``/``X-Output``.
    """
    wanted: list[tuple[type[BaseModel], JsonSchemaMode]] = [(ErrorResponse, "serialization")]
    for route in ROUTES:
        if route.request is not None:
            wanted.append((route.request, "validation"))
        wanted.extend((model, "serialization") for model in route.responses.values())
    unique = list(dict.fromkeys(wanted))
    refs, definitions = models_json_schema(unique, ref_template=_REF_TEMPLATE)
    references = {key: str(refs[key]["$ref"]) for key in unique}
    return references, dict(definitions.get("$defs", {}))


def _json_content(ref: str) -> dict[str, Any]:
    return {JSON: {"schema": {"$ref": ref}}}


type References = Mapping[tuple[type[BaseModel], JsonSchemaMode], str]


def _operation(route: Route, references: References) -> dict[str, Any]:
    parameters = [PATH_PARAMETERS[name].to_openapi() for name in route.path_parameter_names]
    parameters.extend(parameter.to_openapi() for parameter in route.query)
    responses: dict[str, Any] = {}
    for status, model in sorted(route.responses.items()):
        response: dict[str, Any] = {
            "description": (model.__doc__ or route.summary).strip().splitlines()[0],
            "content": _json_content(references[(model, "serialization")]),
        }
        headers = route.response_headers.get(status)
        if headers:
            response["headers"] = {name: dict(header) for name, header in headers.items()}
        responses[str(status)] = response
    error_ref = references[(ErrorResponse, "serialization")]
    for status, codes in sorted(route.errors.items()):
        responses[str(status)] = {
            "description": f"{_STATUS_TEXT[status]}: {', '.join(codes)}",
            "content": _json_content(error_ref),
        }
    operation: dict[str, Any] = {
        "operationId": route.operation_id,
        "summary": route.summary,
        "tags": [route.tag],
        "x-function": route.function,
    }
    if route.description:
        operation["description"] = route.description
    if parameters:
        operation["parameters"] = parameters
    if route.request is not None:
        operation["requestBody"] = {
            "required": True,
            "description": f"A JSON object of at most {MAX_BODY_BYTES} bytes, validated strictly "
            "(unknown fields and wrong types are rejected, nothing is coerced)",
            "content": _json_content(references[(route.request, "validation")]),
        }
    operation["responses"] = responses
    if not route.api_key:
        operation["security"] = []
    return operation


def build_openapi() -> dict[str, Any]:
    """The OpenAPI 3.1 document of every route in :data:`ROUTES`."""
    references, schemas = _component_schemas()
    paths: dict[str, dict[str, Any]] = {}
    for route in ROUTES:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route, references)
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": API_TITLE,
            "version": API_VERSION,
            "description": "Sessions with custom access-token claims, session data and user metadata. "
            "Every error is JSON {code, message}; every route except the JWKS needs the API key.",
        },
        "security": [{API_KEY_SCHEME: []}, {BEARER_SCHEME: []}],
        "tags": [{"name": name} for name in dict.fromkeys(route.tag for route in ROUTES)],
        "paths": paths,
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "securitySchemes": {
                API_KEY_SCHEME: {"type": "apiKey", "in": "header", "name": "api-key"},
                BEARER_SCHEME: {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "The same API key, as Authorization: Bearer <key>",
                },
            },
        },
    }
