"""GET and DELETE /users/{userId}/metadata: read or clear a user's metadata."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.depends import Depends

from authstate.edge import responses as r
from authstate.edge.app import AuthstateResolver, lambda_entry, metrics, respond
from authstate.edge.models import UserIdPath
from authstate.edge.usermetadata.models import MetadataResponse
from authstate.recipe.usermetadata import providers as metadata_providers
from authstate.recipe.usermetadata.model import EMPTY
from authstate.recipe.usermetadata.service import UserMetadata

app = AuthstateResolver()
Metadata = Annotated[UserMetadata, Depends(metadata_providers.user_metadata)]


@app.get(
    "/users/<userId>/metadata",
    summary="Read a user's metadata",
    tags=["User metadata"],
    responses=r.documented(
        200, MetadataResponse, "The metadata ({} for an unknown user)", r.API_KEY, r.STORAGE, r.USER_ID_PATH
    ),
)
def get_metadata(userId: UserIdPath, metadata: Metadata) -> Response[str]:
    metrics.add_metric(name="MetadataRead", unit="Count", value=1)
    return respond(MetadataResponse(metadata=metadata.get(userId)))


@app.delete(
    "/users/<userId>/metadata",
    summary="Clear a user's metadata",
    tags=["User metadata"],
    responses=r.documented(
        200, MetadataResponse, 'Always {"metadata": {}}', r.API_KEY, r.STORAGE, r.USER_ID_PATH
    ),
)
def clear_metadata(userId: UserIdPath, metadata: Metadata) -> Response[str]:
    metadata.clear(userId)
    metrics.add_metric(name="MetadataCleared", unit="Count", value=1)
    return respond(MetadataResponse(metadata=EMPTY))


lambda_handler = lambda_entry(app)
