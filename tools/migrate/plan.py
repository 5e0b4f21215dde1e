"""What the importer makes of each row of the core's database: an authstate item, or a refusal with its
reason. Pure (no I/O): the rules are authstate's own (``recipe.session.rules``, ``documents.jsondoc``,
``identifiers``), so nothing is imported that authstate would refuse to create.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import math
from dataclasses import dataclass
from typing import Any

from authstate.cdi.protocol import user_id as cdi_user_id
from authstate.documents.jsondoc import JsonObject, check_document_keys, dumps, parse_object
from authstate.documents.merge import merge
from authstate.errors import AuthstateError, ErrorCode
from authstate.identifiers import is_session_handle, is_tenant_id
from authstate.limits import MAX_NESTING_DEPTH
from authstate.recipe.session import rules
from authstate.recipe.session.access_tokens import SDK_CLAIMS
from authstate.recipe.session.core_sessions import IMPORTED_AT
from authstate.recipe.session.core_tokens import is_core_hash2, stored_core_hash
from authstate.recipe.session.items import session_item
from authstate.recipe.session.model import Session
from authstate.storage.table import Item

#: Why a row is not imported. Each refusal in the report names one of these.
REASONS: dict[str, str] = {
    "OTHER_APP_ID": "the row belongs to another app id; authstate serves one app per deployment",
    "ACCOUNT_LINKED": "the session's recipe user is linked to another primary user (authstate: one user id)",
    "INVALID_USER_ID": "the user id is not one the CDI takes (over 256 UTF-8 bytes, or with U+0000)",
    "INVALID_TENANT_ID": "the tenant id is not one authstate accepts",
    "INVALID_SESSION_HANDLE": "the session handle is not the core's (a UUID, then _<tenantId> off public)",
    "INVALID_REFRESH_HASH": "refresh_token_hash_2 is not 64 lower-case hex digits",
    "PAYLOAD_INVALID": "jwt_user_payload is not a JSON object authstate can store",
    "PROTECTED_CLAIM": "jwt_user_payload sets a claim authstate protects",
    "PAYLOAD_TOO_LARGE": "jwt_user_payload is over authstate's cap on custom claims",
    "DATA_INVALID": "session_data is not a JSON object authstate can store",
    "SESSION_DATA_TOO_LARGE": "session_data is over 350 000 bytes",
    "ITEM_TOO_LARGE": "the item would exceed DynamoDB's 400 KB",
    "METADATA_INVALID": "user_metadata is not a JSON object authstate can store",
    "KEY_INVALID": "the signing key's public half is not an RSA public key",
    "KEY_NOT_RS256": "the static key's algorithm is not RS256 (authstate verifies RS256 only)",
}


@dataclass(frozen=True)
class Refusal:
    reason: str
    detail: str = ""


@dataclass(frozen=True)
class CoreSessionRow:
    """One row of the core's ``session_info`` (its user-id mapping and primary user joined)."""

    app_id: str
    tenant_id: str
    session_handle: str
    user_id: str
    refresh_token_hash_2: str
    session_data: str | None
    expires_at_ms: int
    created_at_ms: int
    jwt_user_payload: str | None
    use_static_key: bool
    #: ``app_id_to_user_id.primary_or_recipe_user_id`` of the session's recipe user (None: unknown)
    primary_user_id: str | None = None
    #: the recipe user's SuperTokens id (``userid_mapping.supertokens_user_id``, else ``user_id``)
    recipe_user_id: str | None = None


@dataclass(frozen=True)
class PlannedSession:
    handle: str
    user_id: str
    tenant_id: str
    hash2: str
    expires_at_ms: int
    item: Item
    #: What the core's row says, as one digest: a changed row has a changed digest.
    digest: str


def _document(text: str | None, *, invalid: str) -> JsonObject | Refusal:
    try:
        return parse_object(text or "{}", max_depth=MAX_NESTING_DEPTH, what="the column")
    except AuthstateError as error:
        return Refusal(invalid, f"{error.code}: {error.message}")


def _user_id(value: str) -> Refusal | None:
    """The CDI's rule (the SDKs made these sessions): any string of at most 256 UTF-8 bytes, no U+0000."""
    try:
        cdi_user_id(value)
    except ValueError as error:
        return Refusal("INVALID_USER_ID", str(error))
    return None


def digest(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def plan_session(row: CoreSessionRow, *, claims_cap: int, imported_at: int) -> PlannedSession | Refusal:
    """The item an unexpired core session becomes, or why it cannot be imported."""
    if not is_session_handle(row.session_handle):
        return Refusal("INVALID_SESSION_HANDLE")
    if not is_tenant_id(row.tenant_id):
        return Refusal("INVALID_TENANT_ID")
    if (refused := _user_id(row.user_id)) is not None:
        return refused
    recipe = row.recipe_user_id or row.user_id
    if row.primary_user_id is not None and row.primary_user_id.strip() != recipe.strip():
        return Refusal("ACCOUNT_LINKED", "the access tokens' sub (primary user) is not the session's user")
    if not is_core_hash2(row.refresh_token_hash_2):
        return Refusal("INVALID_REFRESH_HASH")
    payload = _document(row.jwt_user_payload, invalid="PAYLOAD_INVALID")
    if isinstance(payload, Refusal):
        return payload
    try:
        rules.check_custom_claims(payload, field="jwt_user_payload", limit=claims_cap, allowed=SDK_CLAIMS)
    except AuthstateError as error:
        reason = {
            ErrorCode.PROTECTED_CLAIM: "PROTECTED_CLAIM",
            ErrorCode.ACCESS_TOKEN_PAYLOAD_TOO_LARGE: "PAYLOAD_TOO_LARGE",
        }.get(error.code, "PAYLOAD_INVALID")
        return Refusal(reason, error.message)
    data = _document(row.session_data, invalid="DATA_INVALID")
    if isinstance(data, Refusal):
        return data
    try:
        rules.check_session_data(data, field="session_data")
    except AuthstateError as error:
        reason = (
            "SESSION_DATA_TOO_LARGE" if error.code is ErrorCode.SESSION_DATA_TOO_LARGE else "DATA_INVALID"
        )
        return Refusal(reason, error.message)
    session = Session(
        handle=row.session_handle,
        user_id=row.user_id,
        tenant_id=row.tenant_id,
        payload=merge({}, payload),
        created_ms=row.created_at_ms,
        expires_at=math.ceil(row.expires_at_ms / 1000),
        refresh_hash=stored_core_hash(row.refresh_token_hash_2),
        parent_hash=None,
        rotated_at=row.created_at_ms // 1000,
        used_child=None,
        anti_csrf_token=None,
        version=1,
        static_key=row.use_static_key,
    )
    stored_data = dict(sorted(data.items()))
    item = {**session_item(session, stored_data), IMPORTED_AT: {"N": str(imported_at)}}
    return PlannedSession(
        handle=row.session_handle,
        user_id=row.user_id,
        tenant_id=row.tenant_id,
        hash2=row.refresh_token_hash_2,
        expires_at_ms=row.expires_at_ms,
        item=item,
        digest=digest(
            row.refresh_token_hash_2,
            str(session.expires_at),
            dumps(session.payload),
            dumps(stored_data),
            str(row.use_static_key),
        ),
    )


@dataclass(frozen=True)
class PlannedMetadata:
    user_id: str
    document: JsonObject
    text: str


def plan_metadata(user_id: str, text: str) -> PlannedMetadata | Refusal:
    if (refused := _user_id(user_id)) is not None:
        return refused
    document = _document(text, invalid="METADATA_INVALID")
    if isinstance(document, Refusal):
        return document
    try:
        check_document_keys(document, field="user_metadata")
    except AuthstateError as error:
        return Refusal("METADATA_INVALID", error.message)
    stored = merge({}, document)
    return PlannedMetadata(user_id, stored, dumps(stored))


def public_jwk(kid: str, public_key: str) -> dict[str, str] | Refusal:
    """The JWK of a core key's public half (base64 X.509 SubjectPublicKeyInfo), as the core's JWKS lists
    it: ``{kty, kid, n, e, alg, use}``."""
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
    from cryptography.hazmat.primitives.serialization import load_der_public_key
    from jwt.algorithms import RSAAlgorithm

    try:
        key: Any = load_der_public_key(base64.b64decode(public_key, validate=True))
    except (binascii.Error, ValueError, TypeError):
        return Refusal("KEY_INVALID")
    if not isinstance(key, RSAPublicKey):
        return Refusal("KEY_INVALID", "not RSA")
    jwk = RSAAlgorithm.to_jwk(key, as_dict=True)
    return {"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256", "n": str(jwk["n"]), "e": str(jwk["e"])}
