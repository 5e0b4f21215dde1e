"""Named, documented limits. Each one, when exceeded, is a 4xx error with its own code."""

from typing import Final

#: Largest request body accepted, in bytes. Nothing bigger can fit in a DynamoDB item anyway.
MAX_BODY_BYTES: Final = 400 * 1024
#: Longest root-level key of a JSON document (metadata, payload, session data), in UTF-8 bytes.
MAX_KEY_BYTES: Final = 1024
#: Deepest nesting of objects/arrays inside a JSON document (the document itself is depth 1).
MAX_NESTING_DEPTH: Final = 64
#: Longest integer literal in a JSON document, in digits (sign not counted): Python's own ceiling for
#: converting between int and text (``sys.int_info.default_max_str_digits``), beyond which ``dumps``
#: could not return the number either. Not lowered: a full 400 KB body of such numbers costs tens
#: of milliseconds to parse and serialize. Floats have no digit limit but must be finite doubles.
MAX_INTEGER_DIGITS: Final = 4300
#: Longest user id, in UTF-8 bytes.
MAX_USER_ID_BYTES: Final = 256
#: DynamoDB's own limits that the expression builder designs for.
MAX_EXPRESSION_BYTES: Final = 4096
#: Clauses per UpdateExpression, kept under DynamoDB's 300-operator ceiling with margin.
MAX_EXPRESSION_CLAUSES: Final = 250
#: Root-level keys written per UpdateItem. Names and values are placeholders, so each key costs a
#: clause of at most 13 bytes (``#0.#199=:199,``) whatever it is: 200 keys stay far below both limits.
MERGE_KEYS_PER_UPDATE: Final = 200
#: Attempts at a user's first write while concurrent clears keep deleting the item (then 409 CONFLICT).
MAX_CREATE_ATTEMPTS: Final = 12
