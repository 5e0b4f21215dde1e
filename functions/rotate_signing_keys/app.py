"""Emergency signing-key rotation, invoked directly with IAM (not an API route): a new key signs from
now on, and tokens signed by any earlier key stop verifying within SIGNING_KEY_CACHE_SECONDS."""

from authstate.edge.admin import operation_entry, rotate_signing_keys

lambda_handler = operation_entry(rotate_signing_keys)
