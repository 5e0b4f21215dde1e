"""The Core Driver Interface's own rules, as SuperTokens' core (11.x, the CDI 5.4 core) applies them:
which ``cdi-version`` a request may name, what a tenant id and a user id may be. Pure functions (no I/O);
the file names are of supertokens-core's ``src/main/java/io/supertokens/``."""

from __future__ import annotations

import re
from typing import Final

from authstate.limits import MAX_HANDLES_PER_REQUEST, MAX_JWT_VALIDITY_SECONDS, MAX_USER_ID_BYTES

#: The one interface version this facade speaks (``GET /apiversion``).
CDI_VERSION: Final = "5.4"
CDI_VERSIONS: Final = [CDI_VERSION]
SUPPORTED_RECIPES: Final = ["session", "usermetadata", "jwt"]
PUBLIC_TENANT: Final = "public"
#: Words the core's router never reads as a tenant (``webserver/Utils.java``, INVALID_WORDS_FOR_TENANTID).
RESERVED_TENANT_IDS: Final = frozenset({"recipe", "config", "users", "hello"})
#: Longest tenant id: authstate keeps it in an index key (the core's SQL column is VARCHAR(64) too).
MAX_TENANT_ID_CHARS: Final = 64
TENANT_ID_PATTERN: Final = r"^[A-Za-z0-9-]{1,64}$"
#: A version as the core parses one (``utils/SemVer.java``).
_VERSION: Final = re.compile(r"[0-9]+(\.[0-9]+)*\Z")
_TENANT_ID: Final = re.compile(r"[a-z0-9-]+\Z")
#: How much of a refused header a message repeats.
_ECHO_CHARS: Final = 32


def version_refusal(header: str | None, *, any_supported: bool) -> str | None:
    """Why a ``cdi-version`` header is refused, or ``None``: none means the newest (5.4); a version above
    it is refused everywhere, and any version but 5.4 where the route needs one (``webserver/
    WebserverAPI.java``: ``getVersionFromRequest``, ``assertThatVersionIsCompatible``; ``any_supported``
    is its ``versionNeeded() == false``: ``/apiversion``, ``/hello``, the JWKS). The core also speaks
    2.7 to 5.3, and answers 500 for a header that is not a version: authstate refuses both with 400."""
    if header is None:
        return None
    shown = header[:_ECHO_CHARS]
    if not _VERSION.match(header):
        return f"cdi-version {shown} is not a version: send cdi-version: {CDI_VERSION}"
    if _newer(header) or (not any_supported and header != CDI_VERSION):
        return f"cdi-version {shown} not supported (authstate speaks CDI {CDI_VERSION})"
    return None


def _newer(version: str) -> bool:
    ours = [int(part) for part in CDI_VERSION.split(".")]
    theirs = [int(part) for part in version.split(".")]
    width = max(len(ours), len(theirs))
    return theirs + [0] * (width - len(theirs)) > ours + [0] * (width - len(ours))


def tenant_id(value: str) -> str:
    """A tenant id from a path, as the core reads it: lower-cased, then letters, digits and hyphens only,
    not a word of its own routes (``webserver/Utils.java``: ``normalizeAndValidateTenantId``; its
    router matches ``/[a-z0-9-]+`` on the lower-cased path), at most 64 characters."""
    tenant = value.lower()
    if tenant in RESERVED_TENANT_IDS:
        raise ValueError(f"Cannot use '{tenant}' as a tenantId")
    if not _TENANT_ID.match(tenant):
        raise ValueError("tenantId can only contain letters, numbers and hyphens")
    if len(tenant) > MAX_TENANT_ID_CHARS:
        raise ValueError(f"tenantId can be at most {MAX_TENANT_ID_CHARS} characters")
    return tenant


def user_id(value: str) -> str:
    """A user id as the core takes one: any string, ``""`` and spaces included (``InputParser
    .parseStringOrThrowError``), within authstate's DynamoDB keys: at most 256 UTF-8 bytes, no U+0000
    (which PostgreSQL, the core's usual database, cannot store either)."""
    if len(value.encode("utf-8", "surrogatepass")) > MAX_USER_ID_BYTES:
        raise ValueError(f"Field name 'userId' is invalid: at most {MAX_USER_ID_BYTES} UTF-8 bytes")
    if "\x00" in value:
        raise ValueError("Field name 'userId' is invalid: it may not contain U+0000")
    return value


def session_handles(handles: list[str]) -> list[str]:
    """The handles of one revocation: each is a DeleteItem, and the request must end within the
    function's timeout (the core takes any number)."""
    if len(handles) > MAX_HANDLES_PER_REQUEST:
        raise ValueError(
            f"Invalid JSON input - at most {MAX_HANDLES_PER_REQUEST} sessionHandles per request "
            f"(authstate's limit); {len(handles)} were sent"
        )
    return handles


def jwt_validity(seconds: int) -> int:
    """``validity`` of a JWT of the JWT recipe (``webserver/api/jwt/JWTSigningAPI.java``; its message)."""
    if seconds <= 0:
        raise ValueError("validity must be greater than or equal to 0")
    if seconds > MAX_JWT_VALIDITY_SECONDS:
        raise ValueError(f"validity can be at most {MAX_JWT_VALIDITY_SECONDS} seconds (1000 years)")
    return seconds


def query_flag(value: object) -> bool:
    """A boolean query parameter: only ``true`` (any case) is true (``SessionUserAPI.java``)."""
    return str(value).lower() == "true"
