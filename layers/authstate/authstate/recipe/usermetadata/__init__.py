"""User metadata: one JSON document per user, shared by all tenants and sessions."""
