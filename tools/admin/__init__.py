"""``authstate-admin``: operate a deployed authstate (or ``make run``) from a terminal or a script.

Sessions and metadata through the API (its URL and API key), tokens checked against its JWKS, and the
emergency key rotation through AWS Lambda with IAM (the rotation function has no API route)."""
