"""What every CDI route's shapes share: the user and tenant ids as the core reads them, the base of a
request (unknown fields ignored, no coercion, as the core's ``InputParser`` reads them) and of an answer
(a 200 body, told apart from its route's other answers by ``status``), and the refusals the error table
answers (``cdi.answers``). Each recipe's own shapes are beside it, named as its router
(``cdi.routes``); the OpenAPI document is built from them (``make openapi``)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
)

from authstate.cdi import protocol
from authstate.limits import MAX_USER_ID_BYTES

_USER_ID = f'Any string, "" included: at most {MAX_USER_ID_BYTES} UTF-8 bytes, without U+0000'
UserId = Annotated[str, AfterValidator(protocol.user_id), Field(description=_USER_ID)]
UserIdQuery = Annotated[str, AfterValidator(protocol.user_id), Query(description=_USER_ID)]
TenantIdPath = Annotated[
    str,
    AfterValidator(protocol.tenant_id),
    Path(
        description=(
            "The tenant, any case (read lower-cased): letters, digits and hyphens, not recipe, config, "
            "users or hello. Without this segment the tenant is public."
        ),
        json_schema_extra={"pattern": protocol.TENANT_ID_PATTERN},
    ),
]


class CdiRequest(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True, frozen=True)


#: Milliseconds since the Unix epoch.
EpochMillis = Annotated[int, Field(ge=0)]


class Answer(BaseModel):
    """A 200 body. Fields left unset are left out of it (``edge.app.respond``), but ``status``, which
    every answer that has one carries, though no route passes it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def model_post_init(self, context: Any, /) -> None:
        if "status" in type(self).model_fields:
            self.__pydantic_fields_set__.add("status")


class Ok(Answer):
    status: Literal["OK"] = "OK"


class Unauthorised(Answer):
    """No such live session, or a token the core refuses; the SDK ends the session."""

    status: Literal["UNAUTHORISED"] = "UNAUTHORISED"
    message: str


class TryRefreshToken(Answer):
    """The access token does not verify here; the SDK refreshes."""

    status: Literal["TRY_REFRESH_TOKEN"] = "TRY_REFRESH_TOKEN"
    message: str


class TheftSession(Answer):
    handle: str
    userId: str
    recipeUserId: str


class TokenTheftDetected(Answer):
    """A refresh token presented after its child or sibling was used; the session is revoked."""

    status: Literal["TOKEN_THEFT_DETECTED"] = "TOKEN_THEFT_DETECTED"
    session: TheftSession


class NoSuchRoute(Answer):
    """The JSON 404 of any route this facade does not have (the core answers a plain-text one)."""

    message: str
    cdiVersions: list[str]
    supportedRecipes: list[str]
