"""Configuration from the environment (set by template.yaml in AWS, by the local runner locally)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache


@dataclass(frozen=True)
class Settings:
    user_metadata_table: str
    sessions_table: str
    signing_keys_table: str
    access_token_ttl_seconds: int
    refresh_token_ttl_seconds: int
    signing_key_rotation_seconds: int
    max_custom_claims_bytes: int
    issuer: str | None


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return default if raw in (None, "") else int(raw)


@cache
def settings() -> Settings:
    return Settings(
        user_metadata_table=os.environ.get("USER_METADATA_TABLE", "authstate-user-metadata"),
        sessions_table=os.environ.get("SESSIONS_TABLE", "authstate-sessions"),
        signing_keys_table=os.environ.get("SIGNING_KEYS_TABLE", "authstate-signing-keys"),
        access_token_ttl_seconds=_int("ACCESS_TOKEN_TTL_SECONDS", 3600),
        refresh_token_ttl_seconds=_int("REFRESH_TOKEN_TTL_SECONDS", 100 * 24 * 3600),
        signing_key_rotation_seconds=_int("SIGNING_KEY_ROTATION_SECONDS", 7 * 24 * 3600),
        max_custom_claims_bytes=_int("MAX_CUSTOM_CLAIMS_BYTES", 4096),
        issuer=os.environ.get("TOKEN_ISSUER") or None,
    )
