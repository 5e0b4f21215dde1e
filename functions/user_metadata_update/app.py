"""PATCH /users/{userId}/metadata: root-level merge of ``metadataUpdate`` into the user's metadata."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Header

from authstate.edge import responses as r
from authstate.edge.app import AuthstateResolver, lambda_entry, metrics, respond
from authstate.edge.models import UserIdPath
from authstate.edge.usermetadata import responses as mr
from authstate.edge.usermetadata.models import MetadataResponse, MetadataUpdateRequest
from authstate.recipe.usermetadata import providers as metadata_providers
from authstate.recipe.usermetadata.service import UserMetadata

app = AuthstateResolver()
MINIMAL = "return=minimal"


@app.patch(
    "/users/<userId>/metadata",
    summary="Merge into a user's metadata",
    description=(
        "Each root key of metadataUpdate replaces the stored one; null removes it; nested values are "
        "replaced whole. One DynamoDB UpdateItem, so concurrent merges of different keys never lose each "
        "other. With `Prefer: return=minimal` the answer is 204 without the document (cheaper when large)."
    ),
    tags=["User metadata"],
    responses={
        **r.documented(
            200,
            MetadataResponse,
            "The merged metadata",
            r.API_KEY,
            r.STORAGE,
            r.USER_ID_PATH,
            r.BODY,
            r.DOCUMENT_WRITE,
            mr.METADATA_WRITE,
            r.MERGE,
        ),
        204: {"description": "Merged (with `Prefer: return=minimal`); no body"},
    },
)
def update_metadata(
    userId: UserIdPath,
    request: MetadataUpdateRequest,
    metadata: Annotated[UserMetadata, Depends(metadata_providers.user_metadata)],
    prefer: Annotated[
        str | None, Header(description="`return=minimal`: answer 204 without the document")
    ] = None,
) -> Response[str]:
    minimal = prefer is not None and MINIMAL in prefer.replace(" ", "").lower().split(",")
    merged = metadata.update(userId, request.metadataUpdate, return_document=not minimal)
    metrics.add_metric(name="MetadataUpdated", unit="Count", value=1)
    if merged is None:
        return Response(status_code=204, body="", headers={"Preference-Applied": MINIMAL})
    return respond(MetadataResponse(metadata=merged))


lambda_handler = lambda_entry(app)
