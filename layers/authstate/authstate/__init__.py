"""authstate shared layer: pure rules for documents, DynamoDB storage, the two recipes (session,
usermetadata), the HTTP edge of the API and SuperTokens' Core Driver Interface (docs/design.md §0)."""
