"""The session recipe's services, built once per warm Lambda from the settings (Powertools ``Depends``;
tests override them with ``app.dependency_overrides``, or build their own with :func:`keyring` and
:func:`build_sessions`). Annotations are real types (see ``authstate.providers``)."""

import time
from collections.abc import Callable
from functools import cache

from authstate import providers
from authstate.clock import Clock
from authstate.config import Settings
from authstate.recipe.session.core_sessions import CORE_KEY_PARTITION, CoreSessions
from authstate.recipe.session.data_store import DataStore
from authstate.recipe.session.jwts import JwtSigner
from authstate.recipe.session.key_store import MAC_KEY_PARTITION, KeyRing, load_mac_key
from authstate.recipe.session.refresh_tokens import RefreshTokenCodec
from authstate.recipe.session.service import Sessions
from authstate.recipe.session.signing_keys import DEFAULT_PARTITION
from authstate.recipe.session.store import SessionStore
from authstate.storage.table import Table


def keyring(config: Settings, *, can_sign: bool, partition: str = DEFAULT_PARTITION) -> KeyRing:
    return KeyRing(
        providers.table(config.signing_keys_table),
        rotation_seconds=config.signing_key_rotation_seconds,
        access_token_ttl_seconds=config.access_token_ttl_seconds,
        can_sign=can_sign,
        partition=partition,
        cache_seconds=config.signing_key_cache_seconds,
    )


@cache
def signing_keyring() -> KeyRing:
    return keyring(providers.settings(), can_sign=True)


@cache
def verifying_keyring() -> KeyRing:
    """For the functions that only verify: never reads a private key (IAM denies it to them)."""
    return keyring(providers.settings(), can_sign=False)


@cache
def jwt_signer() -> JwtSigner:
    """SuperTokens' JWT recipe (the CDI's ``/recipe/jwt``), on the signing keys."""
    return JwtSigner(signing_keyring(), providers.clock())


@cache
def refresh_token_codec() -> RefreshTokenCodec:
    """One read of the MAC key per warm Lambda, on the first refresh token issued or parsed."""
    keys_table = providers.table(providers.settings().signing_keys_table)
    return RefreshTokenCodec(load_mac_key(keys_table, MAC_KEY_PARTITION))


def session_store(
    config: Settings,
    table_of: Callable[[str], Table] = providers.table,
    sleep: Callable[[float], None] = time.sleep,
) -> SessionStore:
    """Both session tables; a data item is kept half a refresh lifetime past its session's expiry."""
    table = table_of(config.sessions_table)
    margin = config.refresh_token_ttl_seconds // 2
    data = DataStore(table, table_of(config.session_data_table), data_margin=margin, sleep=sleep)
    return SessionStore(table, data, sleep=sleep)


def build_sessions(
    config: Settings,
    keys: KeyRing,
    codec: Callable[[], RefreshTokenCodec],
    clock: Clock,
    *,
    core_key_partition: str = CORE_KEY_PARTITION,
) -> Sessions:
    """The sessions service on these keys; tests build theirs here too (partitions of their own)."""
    sessions_table = providers.table(config.sessions_table)
    keys_table = providers.table(config.signing_keys_table)
    store = session_store(config, sleep=clock.sleep)
    core = CoreSessions(store, sessions_table, keys_table, clock, key_partition=core_key_partition)
    return Sessions(store, keys, codec, config, clock, core=core)


@cache
def sessions() -> Sessions:
    """Sessions that mint tokens (create, merge online, refresh)."""
    return build_sessions(providers.settings(), signing_keyring(), refresh_token_codec, providers.clock())


@cache
def verifying_sessions() -> Sessions:
    """Sessions that only verify tokens (verify, session data, reads and revocation)."""
    return build_sessions(providers.settings(), verifying_keyring(), refresh_token_codec, providers.clock())
