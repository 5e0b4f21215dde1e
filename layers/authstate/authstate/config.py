"""The functions' configuration: one validated model read from the environment (set by template.yaml in
AWS, by the local runner locally). Table names have no defaults: a function without them refuses every
request with a named 500 instead of silently using tables of another stack."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from authstate.errors import ConfigurationInvalid
from authstate.limits import MAX_CUSTOM_CLAIMS_BYTES_CEILING, MAX_ISSUER_BYTES

TableName = Annotated[str, Field(min_length=3, max_length=255, pattern=r"^[A-Za-z0-9_.-]+$")]


class Settings(BaseModel):
    """Every setting, by the environment variable that sets it (README "Configuration")."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    user_metadata_table: TableName = Field(alias="USER_METADATA_TABLE")
    sessions_table: TableName = Field(alias="SESSIONS_TABLE")
    session_data_table: TableName = Field(alias="SESSION_DATA_TABLE")
    signing_keys_table: TableName = Field(alias="SIGNING_KEYS_TABLE")
    access_token_ttl_seconds: int = Field(3600, ge=60, alias="ACCESS_TOKEN_TTL_SECONDS")
    refresh_token_ttl_seconds: int = Field(100 * 24 * 3600, ge=3600, alias="REFRESH_TOKEN_TTL_SECONDS")
    signing_key_rotation_seconds: int = Field(7 * 24 * 3600, ge=3600, alias="SIGNING_KEY_ROTATION_SECONDS")
    #: How long a warm Lambda trusts the signing keys it read: the bound within which a key retired by an
    #: emergency rotation stops signing and verifying everywhere (design note §5).
    signing_key_cache_seconds: int = Field(60, ge=1, le=3600, alias="SIGNING_KEY_CACHE_SECONDS")
    max_custom_claims_bytes: int = Field(
        4096, ge=256, le=MAX_CUSTOM_CLAIMS_BYTES_CEILING, alias="MAX_CUSTOM_CLAIMS_BYTES"
    )
    #: How long after a refresh token's sibling (or child) was first used presenting it still joins the
    #: session instead of counting as theft: concurrent refreshes of one client (design note §4).
    refresh_reuse_window_seconds: int = Field(10, ge=0, le=300, alias="REFRESH_REUSE_WINDOW_SECONDS")
    #: The same window for refreshes through SuperTokens' Core Driver Interface. 0: as in SuperTokens'
    #: core, a refresh token presented after its sibling or child was used is theft at once (the web
    #: SDK refreshes under a cross-tab lock, so its apps never need a window).
    cdi_refresh_reuse_window_seconds: int = Field(0, ge=0, le=300, alias="CDI_REFRESH_REUSE_WINDOW_SECONDS")
    token_issuer: str | None = Field(None, alias="TOKEN_ISSUER")
    #: API keys given directly (comma-separated); else read from the secret or the parameter below.
    api_keys: SecretStr | None = Field(None, alias="AUTHSTATE_API_KEYS")
    api_key_secret_id: str | None = Field(None, alias="API_KEY_SECRET_ID")
    api_key_parameter_name: str | None = Field(None, alias="API_KEY_PARAMETER_NAME")

    @field_validator("token_issuer", "api_key_secret_id", "api_key_parameter_name", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("token_issuer")
    @classmethod
    def _bounded_issuer(cls, value: str | None) -> str | None:
        if value is not None and len(value.encode("utf-8")) > MAX_ISSUER_BYTES:
            raise ValueError(f"at most {MAX_ISSUER_BYTES} bytes")
        return value

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings, or :class:`ConfigurationInvalid` naming each bad variable (never its value)."""
        try:
            return cls.model_validate(dict(os.environ if environ is None else environ))
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(str(part) for part in problem['loc'])}: {problem['msg']}"
                for problem in error.errors(include_url=False, include_input=False, include_context=False)
            )
            raise ConfigurationInvalid(f"the function's configuration is invalid: {problems}") from None
