"""Security events: what an operator must be told about, each as one structured WARNING log line with a
stable ``event`` field and a metric of its own (published with the invocation's other metrics).

The fields are identifiers and counts only (a session handle, a user id, key ids): never a token, a key,
an API key or a claim's value. template.yaml's dashboard shows every metric, its alarms watch theft and
invalid credentials, and README "Deploying for real" has a Logs Insights query for each ``event``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Self

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

logger = Logger()
metrics = Metrics()

type Field = str | int | list[str] | None


class SecurityEvent(StrEnum):
    """The ``event`` field's value (stable: queries and alarms depend on it) and its metric's name."""

    metric: str

    def __new__(cls, event: str, metric: str) -> Self:
        member = str.__new__(cls, event)
        member._value_ = event
        member.metric = metric
        return member

    #: A refresh token reused after rotation: the session was revoked (design §4).
    TOKEN_THEFT = "token_theft", "TokenTheftDetected"
    #: An access token naming a known key whose signature does not verify: forged or tampered.
    TOKEN_SIGNATURE_INVALID = "token_signature_invalid", "TokenSignatureInvalid"
    #: An API key that is not a configured one (a missing key is not an event: it is a broken caller).
    INVALID_API_KEY = "invalid_api_key", "InvalidApiKey"
    #: An emergency rotation: a new signing key now, every earlier one retired (design §5).
    SIGNING_KEYS_ROTATED = "signing_keys_rotated", "SigningKeysRotated"
    #: Every session of a user revoked at once (an account takeover's usual answer).
    USER_SESSIONS_REVOKED = "user_sessions_revoked", "UserSessionsRevoked"


def report(event: SecurityEvent, **fields: Field) -> None:
    """One WARNING line ``{"message": "security event: <event>", "event": "<event>", ...fields}`` and one
    count of ``event.metric``."""
    logger.warning(f"security event: {event}", extra={"event": str(event), **fields})
    metrics.add_metric(name=event.metric, unit=MetricUnit.Count, value=1)
