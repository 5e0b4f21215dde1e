"""The HTTP edge: the resolver every function uses, API keys, request and response models."""
