"""Operations invoked directly with IAM (``lambda:InvokeFunction``), never routed by the API: the
emergency signing-key rotation. Nothing here is reachable with the API key, so a leaked API key cannot
rotate keys, and CloudTrail records who invoked it (README "Deploying for real", design note §5).

The event is a JSON object; the answer is ``{"status": "OK", ...}`` or ``{"status": "ERROR", "code",
"message"}`` (a refusal is an answer, not a function error, so callers read one shape)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, cast

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from authstate import providers
from authstate.edge.app import logger, metrics
from authstate.errors import AuthstateError, ErrorCode
from authstate.recipe.session import providers as session_providers

type Operation = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]

#: An operator's note, logged with the event: printable text, one line.
Reason = Annotated[str, Field(max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$")]


class RotateSigningKeysRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    reason: Reason | None = None


def _refused(error: AuthstateError) -> dict[str, Any]:
    return {"status": "ERROR", **error.to_body()}


def rotate_signing_keys(event: dict[str, Any] | None) -> dict[str, Any]:
    """A new signing key now; every earlier one retired (``KeyRing.rotate_now``)."""
    try:
        request = RotateSigningKeysRequest.model_validate(event or {})
    except ValidationError as error:
        first = error.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or "event"
        return _refused(AuthstateError(ErrorCode.VALIDATION_ERROR, f"{where}: {first['msg']}"))
    try:
        keys = session_providers.verifying_keyring()
        rotation = keys.rotate_now(providers.clock()(), reason=request.reason)
    except AuthstateError as error:
        logger.error("signing-key rotation failed", extra={"code": str(error.code)})
        return _refused(error)
    return {
        "status": "OK",
        "kid": rotation.kid,
        "retiredKids": rotation.retired,
        "effectiveWithinSeconds": providers.settings().signing_key_cache_seconds,
    }


def operation_entry(operation: Callable[[dict[str, Any] | None], dict[str, Any]]) -> Operation:
    """The Lambda handler of a direct operation: structured logs, EMF metrics (the cold start too)."""

    @logger.inject_lambda_context(log_event=False)
    @metrics.log_metrics(capture_cold_start_metric=True)
    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        return operation(event)

    return cast(Operation, handler)
