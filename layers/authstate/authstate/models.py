"""Request and response bodies, validated at the edge with pydantic v2."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, JsonValue


class RequestModel(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class MetadataUpdateRequest(RequestModel):
    metadataUpdate: dict[str, JsonValue]


class MetadataResponse(BaseModel):
    metadata: dict[str, JsonValue]
