"""PATCH /users/{userId}/metadata: root-level merge of ``metadataUpdate`` into the user's metadata."""

from typing import Any

from authstate.http import create_app, json_body, lambda_entry, metrics, user_id_parameter
from authstate.metadata import UserMetadata
from authstate.models import MetadataUpdateRequest

app = create_app()
user_metadata = UserMetadata.from_settings()


@app.patch("/users/<userId>/metadata")
def update_metadata(userId: str) -> dict[str, Any]:
    user_id = user_id_parameter(app)
    request = json_body(app, MetadataUpdateRequest)
    merged = user_metadata.update(user_id, request.metadataUpdate)
    metrics.add_metric(name="MetadataUpdated", unit="Count", value=1)
    return {"metadata": merged}


lambda_handler = lambda_entry(app)
