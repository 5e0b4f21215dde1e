"""The JWT recipe (``webserver/api/jwt/``: ``JWTSigningAPI``, ``JWKSAPI``): JWTs of any payload, signed
with the sessions' keys (the static one unless ``useStaticSigningKey`` is false), for the SDKs'
``create_jwt`` / ``createJWT`` and the OpenID recipe; they verify with ``/.well-known/jwks.json``."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.depends import Depends

from authstate.cdi.models.jwt import (
    CreatedJwt,
    CreateJwtAnswer,
    CreateJwtRequest,
    JwksOk,
    UnsupportedAlgorithm,
)
from authstate.cdi.router import CdiRouter
from authstate.edge.app import metrics, respond
from authstate.recipe.session import providers as session_providers
from authstate.recipe.session.access_tokens import ALGORITHM
from authstate.recipe.session.jwts import JwtSigner

router = CdiRouter("JWT")
Signer = Annotated[JwtSigner, Depends(session_providers.jwt_signer)]


@router.answers(
    "POST",
    "/recipe/jwt",
    answer=CreateJwtAnswer,
    summary="Sign a JWT",
    description=(
        "Claims iat, exp (now + validity) and iss (jwksDomain), the payload over them; header alg, typ "
        "and kid (no version: it is never an access token)."
    ),
    body=True,
)
def create_jwt(request: CreateJwtRequest, signer: Signer) -> Response[str]:
    if request.algorithm.upper() != ALGORITHM:
        return respond(UnsupportedAlgorithm())
    token = signer.sign(
        request.payload,
        validity_seconds=request.validity,
        issuer=request.jwksDomain,
        static_key=request.useStaticSigningKey,
    )
    metrics.add_metric(name="JwtCreated", unit="Count", value=1)
    return respond(CreatedJwt(jwt=token))


@router.answers("GET", "/recipe/jwt/jwks", answer=JwksOk, summary="Public keys (JWKS), with the API key")
def jwt_jwks(signer: Signer) -> Response[str]:
    return respond(JwksOk.model_validate(signer.jwks()))
