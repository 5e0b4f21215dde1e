"""What both Python apps share: their configuration (from the environment the test fixtures set) and
``supertokens_python.init`` as the seeds write it (seed 003: a ``create_new_session`` override adding
``someKey`` to the access-token payload; the session and user-metadata recipes).

Environment:
  AUTHSTATE_SDK_CONNECTION_URI  the core (``<authstate>/cdi``, or the recording proxy in front of it)
  AUTHSTATE_SDK_API_KEY         the core's API key (authstate's API key)
  AUTHSTATE_SDK_ANTI_CSRF       the session recipe's ``anti_csrf`` (VIA_TOKEN, VIA_CUSTOM_HEADER or NONE)
"""

from __future__ import annotations

import os
from typing import Any, Literal, cast

from supertokens_python import InputAppInfo, SupertokensConfig, init
from supertokens_python.recipe import session, usermetadata
from supertokens_python.recipe.session.interfaces import RecipeInterface, SessionContainer
from supertokens_python.types import RecipeUserId

API_DOMAIN = "http://api.example.com"
WEBSITE_DOMAIN = "http://web.example.com"
API_BASE_PATH = "/auth"
CUSTOM_CLAIM = {"someKey": "someValue"}  # what the override adds at creation (seed 003)

# The SDK's own switch (supertokens_python.env.base): resolve the cookies' same-site from the Public Suffix
# List snapshot bundled with tldextract instead of downloading it (offline, that download logs a long trace).
os.environ.setdefault("SUPERTOKENS_TLDEXTRACT_DISABLE_HTTP", "1")


def override_functions(original_implementation: RecipeInterface) -> RecipeInterface:
    """Seed 003's override, with supertokens-python 0.31.4's signature of ``create_new_session``."""
    original_create_new_session = original_implementation.create_new_session

    async def create_new_session(
        user_id: str,
        recipe_user_id: RecipeUserId,
        access_token_payload: dict[str, Any] | None,
        session_data_in_database: dict[str, Any] | None,
        disable_anti_csrf: bool | None,
        tenant_id: str,
        user_context: dict[str, Any],
    ) -> SessionContainer:
        if access_token_payload is None:
            access_token_payload = {}
        access_token_payload.update(CUSTOM_CLAIM)
        return await original_create_new_session(
            user_id,
            recipe_user_id,
            access_token_payload,
            session_data_in_database,
            disable_anti_csrf,
            tenant_id,
            user_context,
        )

    original_implementation.create_new_session = create_new_session  # type: ignore[method-assign]
    return original_implementation


def init_supertokens(framework: Literal["fastapi", "flask"], mode: Literal["asgi", "wsgi"]) -> None:
    anti_csrf = os.environ.get("AUTHSTATE_SDK_ANTI_CSRF", "VIA_TOKEN")
    init(
        app_info=InputAppInfo(
            app_name="authstate-sdk-tests",
            api_domain=API_DOMAIN,
            website_domain=WEBSITE_DOMAIN,
            api_base_path=API_BASE_PATH,
        ),
        supertokens_config=SupertokensConfig(
            connection_uri=os.environ["AUTHSTATE_SDK_CONNECTION_URI"],
            api_key=os.environ.get("AUTHSTATE_SDK_API_KEY"),
        ),
        framework=framework,
        mode=mode,
        recipe_list=[
            session.init(
                anti_csrf=cast(Literal["VIA_TOKEN", "VIA_CUSTOM_HEADER", "NONE"], anti_csrf),
                override=session.InputOverrideConfig(functions=override_functions),
            ),
            usermetadata.init(),
        ],
    )


def session_view(s: SessionContainer) -> dict[str, Any]:
    """What the routes answer about a verified session."""
    return {
        "userId": s.get_user_id(),
        "recipeUserId": s.get_recipe_user_id().get_as_string(),
        "handle": s.get_handle(),
        "tenantId": s.get_tenant_id(),
        "payload": s.get_access_token_payload(),
    }
