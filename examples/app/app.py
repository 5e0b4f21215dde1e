"""The example app: a FastAPI backend using SuperTokens' Python SDK, whose core is authstate.

Every session and metadata call below is the SDK's own (the calls of SuperTokens' documentation);
the SDK sends them to authstate's ``/cdi`` (SuperTokens' Core Driver Interface 5.4). The page
(``static/``) uses supertokens-web-js, served from ``web/node_modules``: no CDN, no build step.

The sign-in is a DEMO: it takes a user name and nothing else (no password, no recipe that checks
who you are), so anyone can be anyone. It exists to create sessions; use a real recipe in an app.

    python examples/app/app.py --port 3001 --core http://127.0.0.1:3000/cdi --api-key local-dev-key

(``make demo`` starts authstate and this app together.)
"""

import argparse
import os
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field
from supertokens_python import InputAppInfo, SupertokensConfig, init
from supertokens_python.framework.fastapi import get_middleware
from supertokens_python.recipe import session as session_recipe
from supertokens_python.recipe import usermetadata
from supertokens_python.recipe.session import SessionContainer
from supertokens_python.recipe.session.asyncio import (
    create_new_session,
    get_all_session_handles_for_user,
    get_session_information,
    merge_into_access_token_payload,
    revoke_session,
)
from supertokens_python.recipe.session.framework.fastapi import verify_session
from supertokens_python.recipe.session.interfaces import SessionInformationResult
from supertokens_python.recipe.usermetadata.asyncio import get_user_metadata, update_user_metadata
from supertokens_python.types import RecipeUserId

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
BUNDLES = HERE / "web" / "node_modules" / "supertokens-web-js" / "bundle"
# The web SDK's prebuilt bundles, in the order the page loads them (website first: the others use it).
VENDOR_BUNDLES = ("website", "supertokens", "session")

USER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
CLAIM_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,39}")
# Claims the core sets itself (and the SDK's "stt"): the core refuses them in a merge with a 400.
PROTECTED_CLAIMS = frozenset(
    {
        "sub", "exp", "iat", "iss", "tId", "rsub", "sessionHandle", "refreshTokenHash1",
        "parentRefreshTokenHash1", "antiCsrfToken", "stt",
    }
)  # fmt: skip


class SignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(description="a user name, which becomes the user id (demo: no password)")


class Claim(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str
    value: Any
    sessionHandle: str | None = Field(default=None, description="offline: the session to change")


class DataItem(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str
    value: Any


class MetadataUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    update: dict[str, Any]


class Revoke(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sessionHandle: str


# A verified session (the access token's signature and expiry, checked by the SDK with the core's JWKS).
Session = Annotated[SessionContainer, Depends(verify_session())]
# Listing and revoking sessions also ask the core whether this session still exists: a session
# revoked elsewhere can do neither, even with an access token that has not expired yet.
CheckedSession = Annotated[SessionContainer, Depends(verify_session(check_database=True))]


async def own_session_info(session: SessionContainer, handle: str) -> SessionInformationResult:
    info = await get_session_information(handle)
    if info is None or info.user_id != session.get_user_id():
        raise HTTPException(404, "no such session of yours")
    return info


def vendor_bundle(name: str) -> Path:
    """``web/node_modules/supertokens-web-js/bundle/<name>.<contenthash>.js``."""
    found = sorted(BUNDLES.glob(f"{name}.*.js"))
    if len(found) != 1:
        raise RuntimeError(
            f"supertokens-web-js's {name} bundle is missing from {BUNDLES}: "
            "run tools/scripts/setup-browser.sh --no-browser (npm ci in examples/app/web)"
        )
    return found[0]


def claim_key(key: str) -> str:
    if not CLAIM_KEY.fullmatch(key):
        raise HTTPException(400, "a claim key is a letter, then up to 39 letters, digits or '_'")
    if key in PROTECTED_CLAIMS:
        raise HTTPException(400, f"{key!r} is set by the core; choose another key")
    return key


def create_app(*, core: str, api_key: str, origin: str, access_token_note: str = "") -> FastAPI:
    """The app, with SuperTokens initialised for ``origin`` (page and API share it)."""
    # The SDK reads it when it needs the public-suffix list (not for a loopback origin): never the network.
    os.environ.setdefault("SUPERTOKENS_TLDEXTRACT_DISABLE_HTTP", "1")
    init(
        app_info=InputAppInfo(
            app_name="authstate example", api_domain=origin, website_domain=origin, api_base_path="/auth"
        ),
        supertokens_config=SupertokensConfig(connection_uri=core, api_key=api_key),
        framework="fastapi",
        mode="asgi",
        recipe_list=[
            # Cookies (the page is on the API's origin), refreshed at /auth/session/refresh.
            session_recipe.init(get_token_transfer_method=lambda _request, _create, _context: "cookie"),
            usermetadata.init(),
        ],
        telemetry=False,
    )

    app = FastAPI(title="authstate example", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(get_middleware())  # type: ignore[no-untyped-call]  # the SDK leaves it untyped

    # -- the page -----------------------------------------------------------------------------------

    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    vendor = {name: vendor_bundle(name) for name in VENDOR_BUNDLES}

    @app.get("/vendor/{name}.js", include_in_schema=False)
    async def vendor_js(name: str) -> FileResponse:
        if name not in vendor:
            raise HTTPException(404, "unknown bundle")
        return FileResponse(vendor[name], media_type="text/javascript")

    @app.get("/config.json", include_in_schema=False)
    async def config() -> dict[str, str]:
        return {"core": core, "accessTokenNote": access_token_note}

    # -- sign-in (demo) -----------------------------------------------------------------------------

    @app.post("/api/signin")
    async def signin(request: Request, body: SignIn) -> dict[str, Any]:
        """DEMO ONLY: signs in whoever names a user. A real app first checks who the user is."""
        if not USER_NAME.fullmatch(body.name):
            raise HTTPException(400, "a user name is 1 to 64 letters, digits, '.', '_', '@' or '-'")
        new = await create_new_session(
            request,
            "public",
            RecipeUserId(body.name),
            access_token_payload={"role": "reader"},
            session_data_in_database={"signedInAt": datetime.now(UTC).isoformat(timespec="seconds")},
        )
        return {"userId": new.get_user_id(), "sessionHandle": new.get_handle()}

    # -- claims in the access token (seed 003) ------------------------------------------------------

    @app.get("/api/me")
    async def me(session: Session) -> dict[str, Any]:
        """The claims of the access token this request carried."""
        return {
            "userId": session.get_user_id(),
            "sessionHandle": session.get_handle(),
            "accessTokenPayload": session.get_access_token_payload(),
        }

    @app.post("/api/claims/online")
    async def set_claim_online(session: Session, body: Claim) -> dict[str, Any]:
        """Online: a new access token at once (this response carries it); every tab sees it."""
        await session.merge_into_access_token_payload({claim_key(body.key): body.value})
        return {"accessTokenPayload": session.get_access_token_payload()}

    @app.post("/api/claims/offline")
    async def set_claim_offline(session: Session, body: Claim) -> dict[str, Any]:
        """Offline, by session handle (as a job without the user's request would): the stored claims
        change now, the tokens show it from the next refresh."""
        handle = body.sessionHandle or session.get_handle()
        await own_session_info(session, handle)
        changed = await merge_into_access_token_payload(handle, {claim_key(body.key): body.value})
        return {"sessionHandle": handle, "changed": changed}

    # -- session data, in the database only (seed 002) ----------------------------------------------

    @app.get("/api/session-data")
    async def read_session_data(session: Session) -> dict[str, Any]:
        return {"sessionData": await session.get_session_data_from_database()}

    @app.post("/api/session-data")
    async def write_session_data(session: Session, body: DataItem) -> dict[str, Any]:
        """The SDK replaces the whole object: read it, change one key, write it back (seed 002)."""
        data = await session.get_session_data_from_database()
        data[claim_key(body.key)] = body.value
        await session.update_session_data_in_database(data)
        return {"sessionData": data}

    # -- user metadata (seeds 000, 001) -------------------------------------------------------------

    @app.get("/api/metadata")
    async def read_metadata(session: Session) -> dict[str, Any]:
        result = await get_user_metadata(session.get_user_id())
        return {"metadata": result.metadata}

    @app.post("/api/metadata")
    async def merge_metadata(session: Session, body: MetadataUpdate) -> dict[str, Any]:
        """A root-level merge: each key replaces the stored one, ``null`` removes it."""
        result = await update_user_metadata(session.get_user_id(), body.update)
        return {"metadata": result.metadata}

    # -- the user's sessions ------------------------------------------------------------------------

    @app.get("/api/sessions")
    async def list_sessions(session: CheckedSession) -> dict[str, Any]:
        sessions: list[dict[str, Any]] = []
        for handle in await get_all_session_handles_for_user(session.get_user_id()):
            info = await get_session_information(handle)
            if info is None:  # revoked between the two calls
                continue
            sessions.append(
                {
                    "sessionHandle": handle,
                    "current": handle == session.get_handle(),
                    "timeCreated": info.time_created,
                    "expiry": info.expiry,
                    "claims": info.custom_claims_in_access_token_payload,
                    "sessionData": info.session_data_in_database,
                }
            )
        sessions.sort(key=lambda item: item["timeCreated"])
        return {"sessions": sessions}

    @app.post("/api/sessions/revoke")
    async def revoke(session: CheckedSession, body: Revoke) -> dict[str, Any]:
        """This session: revoked and its cookies cleared (every tab of this browser is signed out on
        its next call). Another one: revoked; that device is signed out at its next refresh, or at
        once on a route that checks the database."""
        if body.sessionHandle == session.get_handle():
            await session.revoke_session()
            return {"revoked": True, "current": True}
        await own_session_info(session, body.sessionHandle)
        return {"revoked": await revoke_session(body.sessionHandle), "current": False}

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> Response:
        return Response("ok", media_type="text/plain")

    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3001)
    parser.add_argument("--core", default="http://127.0.0.1:3000/cdi", help="authstate's /cdi URL")
    parser.add_argument("--api-key", default="local-dev-key", help="authstate's API key")
    parser.add_argument(
        "--access-token-note",
        default="",
        help="shown on the page, e.g. 'access tokens live 60 s' (what authstate was started with)",
    )
    args = parser.parse_args(argv)

    import uvicorn

    origin = f"http://{args.host}:{args.port}"
    app = create_app(
        core=args.core, api_key=args.api_key, origin=origin, access_token_note=args.access_token_note
    )
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
