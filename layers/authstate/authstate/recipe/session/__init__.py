"""Sessions: pure rules, access and refresh tokens, signing keys, the session store and the service."""
