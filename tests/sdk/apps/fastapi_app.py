"""A FastAPI app built as the seeds build theirs, served by uvicorn:
``python -m tests.sdk.apps.fastapi_app PORT``.

Routes that need a session use ``Depends(verify_session())`` and the session container's own methods (the
seeds' online snippets); ``/offline/<call>`` runs the seeds' offline snippets (``supertokens_python ...
asyncio`` functions by session handle or user id) so that the tests can drive them over HTTP too. The
SDK's own routes (``/auth/session/refresh``, ``/auth/signout``) come from its middleware."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from typing import Any

import uvicorn
from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from supertokens_python.framework.fastapi import get_middleware
from supertokens_python.recipe.jwt import asyncio as jwt_recipe
from supertokens_python.recipe.openid import asyncio as openid_recipe
from supertokens_python.recipe.session import SessionContainer
from supertokens_python.recipe.session import asyncio as session_recipe
from supertokens_python.recipe.session.asyncio import (
    create_new_session,
    create_new_session_without_request_response,
    fetch_and_set_claim,
    get_all_session_handles_for_user,
    get_claim_value,
    get_session_information,
    get_session_without_request_response,
    merge_into_access_token_payload,
    refresh_session_without_request_response,
    remove_claim,
    revoke_all_sessions_for_user,
    revoke_multiple_sessions,
    revoke_session,
    set_claim_value,
    update_session_data_in_database,
    validate_claims_for_session_handle,
)
from supertokens_python.recipe.session.claims import PrimitiveClaim
from supertokens_python.recipe.session.framework.fastapi import verify_session
from supertokens_python.recipe.session.interfaces import GetClaimValueOkResult
from supertokens_python.recipe.usermetadata.asyncio import (
    clear_user_metadata,
    get_user_metadata,
    update_user_metadata,
)
from supertokens_python.types import RecipeUserId

from tests.sdk.apps.common import init_supertokens, session_view

init_supertokens("fastapi", "asgi")

app = FastAPI()
app.add_middleware(get_middleware())  # type: ignore[no-untyped-call]


@app.get("/health")
async def health() -> dict[str, bool]:
    return {"ok": True}


@app.post("/login")
async def login(request: Request) -> dict[str, Any]:
    """Sign-in's last step: a session for ``userId`` (in ``tenantId``), tokens in cookies or headers as
    the request's ``st-auth-mode`` asks."""
    body = await request.json()
    s = await create_new_session(
        request,
        body.get("tenantId", "public"),
        RecipeUserId(body["userId"]),
        body.get("accessTokenPayload"),
        body.get("sessionData"),
    )
    return session_view(s)


@app.get("/me")
async def me(session: SessionContainer = Depends(verify_session())) -> dict[str, Any]:  # noqa: B008
    return session_view(session)


@app.get("/me-db")
async def me_db(
    session: SessionContainer = Depends(verify_session(check_database=True)),  # noqa: B008
) -> dict[str, Any]:
    return session_view(session)


@app.post("/me-db")
async def me_db_post(
    session: SessionContainer = Depends(verify_session(check_database=True)),  # noqa: B008
) -> dict[str, Any]:
    return session_view(session)


@app.post("/update-access-token-payload")
async def update_access_token_payload(
    request: Request,
    session: SessionContainer = Depends(verify_session()),  # noqa: B008
) -> dict[str, Any]:
    """Seed 003, online: merge the body into the access-token payload (a new token at once)."""
    await session.merge_into_access_token_payload(await request.json())
    return session_view(session)


@app.post("/update_info")
async def update_info(
    request: Request,
    session: SessionContainer = Depends(verify_session()),  # noqa: B008
) -> dict[str, Any]:
    """Seed 002, method 1: read the session data, add the body's keys, write it back (it replaces)."""
    curr_session_data = await session.get_session_data_from_database()
    before = dict(curr_session_data)
    curr_session_data.update(await request.json())
    await session.update_session_data_in_database(curr_session_data)
    return {"before": before, "after": await session.get_session_data_from_database()}


@app.post("/updateinfo")
async def updateinfo(
    request: Request,
    session: SessionContainer = Depends(verify_session()),  # noqa: B008
) -> dict[str, Any]:
    """Seed 000: update the signed-in user's metadata."""
    result = await update_user_metadata(session.get_user_id(), await request.json())
    return {"metadata": result.metadata}


@app.post("/session-object")
async def session_object(
    session: SessionContainer = Depends(verify_session()),  # noqa: B008
) -> dict[str, Any]:
    """The session object's own calls to the core: its times, its data, and its claim functions (each
    an online merge), in one request."""
    created, expiry = await session.get_time_created(), await session.get_expiry()
    data = await session.get_session_data_from_database()
    await session.fetch_and_set_claim(TIER)
    fetched = await session.get_claim_value(TIER)
    await session.set_claim_value(TIER, "silver")
    set_value = await session.get_claim_value(TIER)
    await session.remove_claim(TIER)
    return {
        "timeCreated": created,
        "expiry": expiry,
        "data": data,
        "claims": [fetched, set_value, await session.get_claim_value(TIER)],
        "payload": session.get_access_token_payload(),
    }


@app.post("/logout")
async def logout(session: SessionContainer = Depends(verify_session())) -> dict[str, Any]:  # noqa: B008
    await session.revoke_session()
    return {"revoked": session.get_handle()}


async def _seed_002_offline(body: dict[str, Any]) -> list[str]:
    """Seed 002, method 2, as written: every session of the user gets ``newKey`` in its data."""
    session_handles = await get_all_session_handles_for_user(body["userId"])
    for handle in session_handles:
        session_information = await get_session_information(handle)
        if session_information is None:
            continue
        current_session_data = session_information.session_data_in_database
        current_session_data["newKey"] = "newValue"
        await update_session_data_in_database(handle, current_session_data)
    return session_handles


async def _seed_003_offline(body: dict[str, Any]) -> list[str]:
    """Seed 003, offline mode, as written: every session of the user gets ``newKey`` in its payload."""
    session_handles = await get_all_session_handles_for_user(body["userId"])
    for handle in session_handles:
        session_information = await get_session_information(handle)
        if session_information is None:
            continue
        await merge_into_access_token_payload(handle, {"newKey": "newValue"})
    return session_handles


async def _information(body: dict[str, Any]) -> dict[str, Any] | None:
    info = await get_session_information(body["handle"])
    return None if info is None else info.to_json()


async def _handles(body: dict[str, Any]) -> list[str]:
    if "tenantId" in body:
        return await get_all_session_handles_for_user(body["userId"], tenant_id=body["tenantId"])
    return await get_all_session_handles_for_user(body["userId"])


async def _revoke_all(body: dict[str, Any]) -> list[str]:
    if "tenantId" in body:
        return await revoke_all_sessions_for_user(body["userId"], tenant_id=body["tenantId"])
    return await revoke_all_sessions_for_user(body["userId"])


#: A claim fetched at sign-in time by claim functions (the session recipe's claim API over the CDI).
TIER: PrimitiveClaim[str] = PrimitiveClaim("st-tier", fetch_value=lambda *_: "gold")
#: The three ways of calling SuperTokens' JWT recipe (the session's and OpenID's go through OpenID).
JWT_RECIPES: dict[str, Any] = {"jwt": jwt_recipe, "openid": openid_recipe, "session": session_recipe}


def _tokens(s: SessionContainer) -> dict[str, Any]:
    tokens = s.get_all_session_tokens_dangerously()
    return {"handle": s.get_handle(), "userId": s.get_user_id(), "tenantId": s.get_tenant_id(), **tokens}


async def _create_without_request_response(body: dict[str, Any]) -> dict[str, Any]:
    s = await create_new_session_without_request_response(
        body.get("tenantId", "public"),
        RecipeUserId(body["userId"]),
        body.get("accessTokenPayload"),
        body.get("sessionData"),
        disable_anti_csrf=True,
    )
    return _tokens(s)


async def _get_without_request_response(body: dict[str, Any]) -> dict[str, Any] | None:
    s = await get_session_without_request_response(
        body["accessToken"], anti_csrf_check=False, session_required=False, check_database=True
    )
    return None if s is None else {**session_view(s), **_tokens(s)}


async def _refresh_without_request_response(body: dict[str, Any]) -> dict[str, Any]:
    return _tokens(
        await refresh_session_without_request_response(body["refreshToken"], disable_anti_csrf=True)
    )


async def _claim_get(body: dict[str, Any]) -> Any:
    result = await get_claim_value(body["handle"], TIER)
    return result.value if isinstance(result, GetClaimValueOkResult) else "no such session"


async def _claims_validate(body: dict[str, Any]) -> Any:
    result = await validate_claims_for_session_handle(body["handle"])
    return [claim.id_ for claim in getattr(result, "invalid_claims", [])]


async def _jwt_create(body: dict[str, Any]) -> str:
    recipe = JWT_RECIPES[body["recipe"]]
    result = await recipe.create_jwt(body["payload"], body.get("validity"), body.get("useStaticSigningKey"))
    jwt: str = result.jwt
    return jwt


async def _jwks(body: dict[str, Any]) -> list[dict[str, Any]]:
    result = await JWT_RECIPES[body["recipe"]].get_jwks()
    return [vars(key) for key in result.keys]


async def _openid_discovery(_: dict[str, Any]) -> dict[str, Any]:
    result = await openid_recipe.get_open_id_discovery_configuration()
    return {"issuer": result.issuer, "jwks_uri": result.jwks_uri}


async def _metadata_get(body: dict[str, Any]) -> dict[str, Any]:
    metadata: dict[str, Any] = (await get_user_metadata(body["userId"])).metadata
    return metadata


async def _metadata_update(body: dict[str, Any]) -> dict[str, Any]:
    metadata: dict[str, Any] = (await update_user_metadata(body["userId"], body["update"])).metadata
    return metadata


async def _metadata_clear(body: dict[str, Any]) -> None:
    await clear_user_metadata(body["userId"])


OFFLINE: dict[str, Callable[[dict[str, Any]], Awaitable[Any]]] = {
    "handles": _handles,
    "information": _information,
    "merge": lambda b: merge_into_access_token_payload(b["handle"], b["update"]),
    "session-data": lambda b: update_session_data_in_database(b["handle"], b["data"]),
    "revoke": lambda b: revoke_session(b["handle"]),
    "revoke-all": _revoke_all,
    "metadata-get": _metadata_get,
    "metadata-update": _metadata_update,
    "metadata-clear": _metadata_clear,
    "seed-002": _seed_002_offline,
    "seed-003": _seed_003_offline,
    "create-without-request-response": _create_without_request_response,
    "get-without-request-response": _get_without_request_response,
    "refresh-without-request-response": _refresh_without_request_response,
    "revoke-multiple": lambda b: revoke_multiple_sessions(b["handles"]),
    "claim-fetch": lambda b: fetch_and_set_claim(b["handle"], TIER),
    "claim-set": lambda b: set_claim_value(b["handle"], TIER, b["value"]),
    "claim-get": _claim_get,
    "claim-remove": lambda b: remove_claim(b["handle"], TIER),
    "claims-validate": _claims_validate,
    "jwt-create": _jwt_create,
    "jwks": _jwks,
    "openid-discovery": _openid_discovery,
}


@app.post("/offline/{call}")
async def offline(call: str, request: Request) -> JSONResponse:
    """``{"result": ...}``, or 500 ``{"error": ...}`` with what the SDK raised."""
    try:
        result = await OFFLINE[call](await request.json())
    except Exception as error:  # the SDK raises plain Exceptions for the core's 4xx/5xx
        return JSONResponse({"error": f"{type(error).__name__}: {error}"}, status_code=500)
    return JSONResponse({"result": result})


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
