"""The shapes of the JWT recipe's routes (``cdi.routes.jwt``)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    Field,
    RootModel,
)

from authstate.cdi import protocol
from authstate.cdi.models.common import Answer, CdiRequest, Ok
from authstate.edge.models import Document
from authstate.edge.session.models import Jwk
from authstate.limits import MAX_JWT_VALIDITY_SECONDS

Validity = Annotated[
    int,
    AfterValidator(protocol.jwt_validity),
    Field(description=f"Seconds, 1 to {MAX_JWT_VALIDITY_SECONDS}", json_schema_extra={"minimum": 1}),
]


class CreateJwtRequest(CdiRequest):
    payload: Document
    validity: Validity
    algorithm: str = Field(description="RS256 (any case); anything else is UNSUPPORTED_ALGORITHM_ERROR")
    jwksDomain: str = Field(description="The JWT's iss, unless the payload has one")
    useStaticSigningKey: bool = Field(default=True, description="false: the current rotating key")


class CreatedJwt(Ok):
    jwt: str


class UnsupportedAlgorithm(Answer):
    status: Literal["UNSUPPORTED_ALGORITHM_ERROR"] = "UNSUPPORTED_ALGORITHM_ERROR"


class Jwks(Answer):
    """Every key that verifies an access token or a JWT of the JWT recipe (the static one, s-…, too)."""

    keys: list[Jwk]


class JwksOk(Ok, Jwks):
    pass


class CreateJwtAnswer(RootModel[Annotated[CreatedJwt | UnsupportedAlgorithm, Field(discriminator="status")]]):
    pass
