"""GET and DELETE /users/{userId}/metadata: read or clear a user's metadata."""

from typing import Any

from authstate.http import create_app, lambda_entry, metrics, user_id_parameter
from authstate.metadata import UserMetadata

app = create_app()
user_metadata = UserMetadata.from_settings()


@app.get("/users/<userId>/metadata")
def get_metadata(userId: str) -> dict[str, Any]:
    metrics.add_metric(name="MetadataRead", unit="Count", value=1)
    return {"metadata": user_metadata.get(user_id_parameter(app))}


@app.delete("/users/<userId>/metadata")
def clear_metadata(userId: str) -> dict[str, Any]:
    user_metadata.clear(user_id_parameter(app))
    metrics.add_metric(name="MetadataCleared", unit="Count", value=1)
    return {"metadata": {}}


lambda_handler = lambda_entry(app)
