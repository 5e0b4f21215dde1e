"""The user-metadata recipe (``webserver/api/usermetadata/``: ``UserMetadataAPI``,
``RemoveUserMetadataAPI``): one JSON document per user, merged at the root (null removes a key)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.depends import Depends

from authstate.cdi.models.common import Ok, UserIdQuery
from authstate.cdi.models.usermetadata import Metadata, MetadataRemoveRequest, MetadataUpdateRequest
from authstate.cdi.router import CdiRouter
from authstate.edge.app import metrics, respond
from authstate.recipe.usermetadata import providers as metadata_providers
from authstate.recipe.usermetadata.service import UserMetadata

router = CdiRouter("User metadata")
Metadatas = Annotated[UserMetadata, Depends(metadata_providers.user_metadata)]


@router.answers("GET", "/recipe/user/metadata", answer=Metadata, summary="A user's metadata ({} if none)")
def get_user_metadata(userId: UserIdQuery, metadata: Metadatas) -> Response[str]:
    return respond(Metadata(metadata=metadata.get(userId)))


@router.answers(
    "PUT",
    "/recipe/user/metadata",
    answer=Metadata,
    summary="Merge into a user's metadata",
    description="Root keys overwrite, null removes, nested objects are replaced whole: one UpdateItem.",
    body=True,
)
def update_user_metadata(request: MetadataUpdateRequest, metadata: Metadatas) -> Response[str]:
    merged = metadata.update(request.userId, request.metadataUpdate)
    metrics.add_metric(name="MetadataUpdated", unit="Count", value=1)
    return respond(Metadata(metadata=merged or {}))


@router.answers(
    "POST", "/recipe/user/metadata/remove", answer=Ok, summary="Clear a user's metadata", body=True
)
def clear_user_metadata(request: MetadataRemoveRequest, metadata: Metadatas) -> Response[str]:
    metadata.clear(request.userId)
    metrics.add_metric(name="MetadataCleared", unit="Count", value=1)
    return respond(Ok())
