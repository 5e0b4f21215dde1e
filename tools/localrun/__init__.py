"""Local stand-in for `sam local` without Docker: DynamoDB Local + the template's HTTP API routes."""
