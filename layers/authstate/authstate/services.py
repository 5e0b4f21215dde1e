"""The services, built once per warm Lambda from the validated settings: the one place that wires
tables, keys and clients together. Handlers get them through Powertools' ``Depends`` (so tests
override them with ``app.dependency_overrides``); ``bench/`` and tests build their own from these.

Nothing here runs at import: the settings are read, and boto3 is imported, on the first request.
Annotations are real types, not strings (no ``from __future__ import annotations``): Powertools reads
the providers' type hints on every request, and strings would be compiled and evaluated each time."""

from collections.abc import Callable
from functools import cache

from authstate.config import Settings
from authstate.metadata import UserMetadata
from authstate.sessions.core_sessions import CoreSessions
from authstate.sessions.jwts import JwtSigner
from authstate.sessions.keys import KeyRing
from authstate.sessions.refresh_tokens import MAC_KEY_PARTITION, RefreshTokenCodec, load_mac_key
from authstate.sessions.service import Sessions
from authstate.sessions.store import SessionStore
from authstate.storage.client import dynamodb_client
from authstate.storage.table import Table


@cache
def settings() -> Settings:
    return Settings.from_environment()


def table(name: str) -> Table:
    return Table(name, dynamodb_client)


@cache
def user_metadata() -> UserMetadata:
    return UserMetadata(table(settings().user_metadata_table))


def keyring(config: Settings, *, can_sign: bool) -> KeyRing:
    return KeyRing(
        table(config.signing_keys_table),
        rotation_seconds=config.signing_key_rotation_seconds,
        access_token_ttl_seconds=config.access_token_ttl_seconds,
        can_sign=can_sign,
        cache_seconds=config.signing_key_cache_seconds,
    )


@cache
def signing_keyring() -> KeyRing:
    return keyring(settings(), can_sign=True)


@cache
def verifying_keyring() -> KeyRing:
    """For the functions that only verify: never reads a private key (IAM denies it to them)."""
    return keyring(settings(), can_sign=False)


@cache
def jwt_signer() -> JwtSigner:
    """SuperTokens' JWT recipe (the CDI's ``/recipe/jwt``), on the signing keys."""
    return JwtSigner(signing_keyring())


@cache
def refresh_token_codec() -> RefreshTokenCodec:
    """One read of the MAC key per warm Lambda, on the first refresh token issued or parsed."""
    return RefreshTokenCodec(load_mac_key(table(settings().signing_keys_table), MAC_KEY_PARTITION))


def session_store(config: Settings, table_of: Callable[[str], Table] = table) -> SessionStore:
    """Both session tables; a data item is kept half a refresh lifetime past its session's expiry."""
    return SessionStore(
        table_of(config.sessions_table),
        table_of(config.session_data_table),
        data_margin=config.refresh_token_ttl_seconds // 2,
    )


def build_sessions(config: Settings, keys: KeyRing) -> Sessions:
    store = session_store(config)
    core = CoreSessions(store, table(config.sessions_table), table(config.signing_keys_table))
    return Sessions(store, keys, refresh_token_codec, config, core=core)


@cache
def sessions() -> Sessions:
    """Sessions that mint tokens (create, merge online, refresh)."""
    return build_sessions(settings(), signing_keyring())


@cache
def verifying_sessions() -> Sessions:
    """Sessions that only verify tokens (verify, session data, reads and revocation)."""
    return build_sessions(settings(), verifying_keyring())
