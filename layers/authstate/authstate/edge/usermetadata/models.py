"""The user-metadata recipe's API shapes (``edge.models``: what every recipe's share)."""

from __future__ import annotations

from authstate.edge.models import Document, RequestModel, ResponseModel


class MetadataUpdateRequest(RequestModel):
    metadataUpdate: Document


class MetadataResponse(ResponseModel):
    """A user's metadata (``{}`` for an unknown user, and after ``DELETE``), root keys sorted."""

    metadata: Document
