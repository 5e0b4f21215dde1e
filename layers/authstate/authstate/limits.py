"""Named, documented limits. Each one, when exceeded, is a 4xx error with its own code."""

from typing import Final

#: Largest request body accepted, in bytes. Nothing bigger can fit in a DynamoDB item anyway.
MAX_BODY_BYTES: Final = 400 * 1024
#: Longest root-level key of a JSON document (metadata, payload, session data), in UTF-8 bytes.
MAX_KEY_BYTES: Final = 1024
#: Deepest nesting of a JSON document (metadata, access-token payload, session data): the document
#: object itself is level 1, so ``{"a": {"b": 1}}`` is 2 levels deep. Every route carries its documents
#: as fields of the request body, which is one level more.
MAX_NESTING_DEPTH: Final = 64
#: Longest number literal in a JSON document, in digits (sign, point and exponent not counted).
#: Python's own ceiling for converting between int and text (``sys.int_info.default_max_str_digits``).
MAX_NUMBER_DIGITS: Final = 4300
#: Longest user id, in UTF-8 bytes.
MAX_USER_ID_BYTES: Final = 256
#: Most root-level keys a merge writes key by key in one UpdateItem. Names and values are
#: placeholders, so each key costs a clause of at most 13 bytes (``#0.#199=:199,``) whatever it is:
#: 200 keys stay far below DynamoDB's 4 KB and 300-operator expression limits. A merge of more keys
#: is one conditional write of the whole merged document instead (design §3).
MERGE_KEYS_PER_UPDATE: Final = 200
#: Most root-level keys in one merge request's update (metadata, custom claims, session data), nulls
#: included: the work a merge does in memory grows with it (``400 TOO_MANY_KEYS`` beyond). Every
#: custom-claims update an SDK's online merge can produce is far below it (16 384 bytes at most).
MAX_UPDATE_KEYS: Final = 10_000
#: Most session handles one revocation request may list (``400 TOO_MANY_SESSION_HANDLES`` beyond):
#: each is one DeleteItem, and the request must end well within the function's 10 s timeout.
MAX_HANDLES_PER_REQUEST: Final = 500
#: Attempts at a merge's conditional write while concurrent writes of the same document keep changing
#: what it read (with jittered backoff between them; then ``409 CONFLICT``). Only merges that read
#: first retry: near the cap, over ``MERGE_KEYS_PER_UPDATE`` keys.
MAX_MERGE_ATTEMPTS: Final = 10
#: Attempts at a user's first write while concurrent clears keep deleting the item (then 409 CONFLICT).
MAX_CREATE_ATTEMPTS: Final = 12
#: Session data of one session, as compact JSON in UTF-8 bytes. The rest of DynamoDB's 400 KB item
#: (409 600 bytes) is kept for what the session's own life adds: the access-token payload up to its
#: cap (at most ``MAX_CUSTOM_CLAIMS_BYTES_CEILING``), rotation and theft-detection attributes, and the
#: map overhead DynamoDB counts. Reads and rotation therefore never fail on size.
MAX_SESSION_DATA_BYTES: Final = 350_000
#: The highest value ``MAX_CUSTOM_CLAIMS_BYTES`` may be configured to.
MAX_CUSTOM_CLAIMS_BYTES_CEILING: Final = 16_384
#: Longest access token a request may carry. Every token the service can mint is shorter: the custom
#: claims at most at the ceiling above, plus protected claims bounded by the user id, tenant and
#: issuer limits, base64url-encoded, plus header and signature (``recipe.session.rules`` proves the bound).
MAX_ACCESS_TOKEN_CHARS: Final = 32_768
#: Longest refresh token or anti-CSRF token a request may carry.
MAX_OPAQUE_TOKEN_CHARS: Final = 512
#: Longest refresh token a refresh may carry: authstate's own are far shorter, but a refresh token of a
#: session imported from a SuperTokens core encrypts its session handle and user id (up to 255 and 128
#: characters in the core) and so grows with them (docs/design.md §12).
MAX_REFRESH_TOKEN_CHARS: Final = 4096
#: Longest issuer (``TOKEN_ISSUER``, or ``iss`` sent by a SuperTokens SDK), in UTF-8 bytes.
MAX_ISSUER_BYTES: Final = 512
#: Longest validity of a JWT of SuperTokens' JWT recipe (``POST /cdi/recipe/jwt``), in seconds: 1000
#: years, ten times the SDKs' default (the core takes any positive 64-bit number of seconds).
MAX_JWT_VALIDITY_SECONDS: Final = 31_536_000_000
