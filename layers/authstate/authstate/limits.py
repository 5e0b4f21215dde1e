"""Named, documented limits. Each one, when exceeded, is a 4xx error with its own code."""

from typing import Final

#: Largest request body accepted, in bytes. Nothing bigger can fit in a DynamoDB item anyway.
MAX_BODY_BYTES: Final = 400 * 1024
#: Longest root-level key of a JSON document (metadata, payload, session data), in UTF-8 bytes.
MAX_KEY_BYTES: Final = 1024
#: Deepest nesting of objects/arrays inside a JSON document (the document itself is depth 1).
MAX_NESTING_DEPTH: Final = 64
#: Longest user id, in UTF-8 bytes.
MAX_USER_ID_BYTES: Final = 256
#: DynamoDB's own limits that the expression builder designs for.
MAX_EXPRESSION_BYTES: Final = 4096
#: Clauses per UpdateExpression, kept under DynamoDB's 300-operator ceiling with margin.
MAX_EXPRESSION_CLAUSES: Final = 250
#: Attempts of an optimistic (version-checked) rewrite before giving up with 409 CONFLICT.
MAX_OPTIMISTIC_ATTEMPTS: Final = 12
