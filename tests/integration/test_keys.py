"""Signing keys against DynamoDB Local: creation, racing cold starts, rotation, reload limits, call counts.

Every test uses its own partition of the shared table, and moves its own clock.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import pytest

from authstate.errors import AuthstateError, StorageUnavailable
from authstate.recipe.session.access_tokens import mint_access_token, verify_access_token
from authstate.recipe.session.key_store import DEFAULT_CACHE_SECONDS, PUBLISH_AHEAD_SECONDS, KeyRing
from authstate.recipe.session.signing_keys import SigningKey
from authstate.storage.table import Item, Table
from tools.bench.measure import CallCounter
from tools.localrun.dynamodb import client

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

ROTATION = 3600
TTL = 600
SLOT = 500_000
SLOT_START = SLOT * ROTATION  # 1_800_000_000
T0 = SLOT_START + 100.0


@pytest.fixture
def partition(unique_id: str) -> str:
    return f"signing-keys-{unique_id}"


@pytest.fixture
def table_name(table_names: dict[str, str]) -> str:
    return table_names["SigningKeysTable"]


@pytest.fixture
def ring(dynamodb: DynamoDBClient, table_name: str, partition: str) -> KeyRing:
    """A keyring on the counted client (see ``call_counter``)."""
    return new_ring(dynamodb, table_name, partition)


@pytest.fixture
def stored_items(dynamodb_endpoint: str, table_name: str, partition: str) -> Any:
    """The partition's items, read through a client of its own (so no call is counted)."""
    inspector = client(dynamodb_endpoint)

    def read() -> list[dict[str, Any]]:
        return inspector.query(
            TableName=table_name,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": partition}},
            ConsistentRead=True,
        )["Items"]

    return read


def new_ring(
    dynamodb: DynamoDBClient,
    table_name: str,
    partition: str,
    *,
    cache_seconds: float = DEFAULT_CACHE_SECONDS,
    can_sign: bool = True,
) -> KeyRing:
    return KeyRing(
        Table(table_name, lambda: dynamodb),
        rotation_seconds=ROTATION,
        access_token_ttl_seconds=TTL,
        partition=partition,
        cache_seconds=cache_seconds,
        can_sign=can_sign,
    )


def claims(now: float, **changes: Any) -> dict[str, Any]:
    return {"sub": "user-1", "sessionHandle": "session-1", "iat": int(now), "exp": int(now) + TTL, **changes}


def jwk(key: SigningKey) -> dict[str, str]:
    return {"kty": "RSA", "kid": key.kid, "use": "sig", "alg": "RS256", "n": key.jwk["n"], "e": "AQAB"}


def test_first_use_creates_exactly_one_key(
    ring: KeyRing,
    call_counter: CallCounter,
    stored_items: Any,
    dynamodb_endpoint: str,
    table_name: str,
    partition: str,
) -> None:
    key = ring.signing_key(T0)
    assert call_counter.calls == ["Query", "PutItem"]
    assert stored_items() == [
        {
            "pk": {"S": partition},
            "sk": {"S": "slot#000000500000"},
            "kid": {"S": key.kid},
            "privateKey": {"S": key.private_pem},
            "publicJwk": {"M": {name: {"S": value} for name, value in jwk(key).items()}},
            "notBefore": {"N": "1800000000"},
            "signUntil": {"N": "1800003600"},
            "expiresAt": {"N": str(1_800_003_600 + TTL + 300)},
        }
    ]
    assert (key.private_pem or "").startswith("-----BEGIN PRIVATE KEY-----\n")
    assert (key.slot, key.not_before, key.sign_until) == (SLOT, SLOT_START, SLOT_START + ROTATION)

    # A cold start in the same slot reads that key and creates none.
    cold = client(dynamodb_endpoint)
    cold_counter = CallCounter().attach(cold)
    assert new_ring(cold, table_name, partition).signing_key(T0 + 1000).kid == key.kid
    assert cold_counter.calls == ["Query"]
    assert len(stored_items()) == 1


def test_racing_cold_starts_create_one_key(
    dynamodb_endpoint: str, table_name: str, partition: str, stored_items: Any
) -> None:
    """8 cold starts all find no key, then all put at once (a barrier holds each PutItem): one wins."""
    racers = 8
    at_put = threading.Barrier(racers, timeout=60)

    def hold_put(**_: Any) -> None:  # a hook returning anything but None would replace the call
        at_put.wait()

    # Clients are created here, not in the threads: boto3's default session is not thread-safe.
    clients = [client(dynamodb_endpoint) for _ in range(racers)]
    counters = [CallCounter().attach(racer) for racer in clients]
    for racer in clients:
        racer.meta.events.register("before-call.dynamodb.PutItem", hold_put)
    rings = [new_ring(racer, table_name, partition) for racer in clients]

    def cold_start(ring: KeyRing) -> tuple[str, str]:
        key = ring.signing_key(T0)
        return key.kid, mint_access_token(claims(T0), key)

    with ThreadPoolExecutor(racers) as pool:
        results = list(pool.map(cold_start, rings))

    kids = {kid for kid, _ in results}
    assert len(kids) == 1
    assert [counter.calls for counter in counters].count(["Query", "PutItem", "Query"]) == racers - 1
    assert [counter.calls for counter in counters].count(["Query", "PutItem"]) == 1
    items = stored_items()
    assert [item["kid"]["S"] for item in items] == list(kids)
    verifier = new_ring(client(dynamodb_endpoint), table_name, partition)
    for _, token in results:
        assert verify_access_token(token, verifier, T0)["sub"] == "user-1"


def test_rotation_overlap_then_retirement(
    ring: KeyRing, dynamodb_endpoint: str, table_name: str, partition: str, stored_items: Any
) -> None:
    late_in_slot = SLOT_START + ROTATION - 10.0
    old = ring.signing_key(late_in_slot)
    # Lives far beyond its key, so only the key's retirement can reject it.
    token = mint_access_token(claims(late_in_slot, exp=old.expires_at + 10_000), old)

    next_slot = old.sign_until + 1.0
    new = ring.signing_key(next_slot)
    assert new.kid != old.kid
    assert (new.slot, new.not_before) == (old.slot + 1, old.sign_until)
    assert len(stored_items()) == 2
    assert ring.jwks(next_slot) == {"keys": [jwk(new), jwk(old)]}
    assert verify_access_token(token, ring, next_slot)["sub"] == "user-1"
    cold = new_ring(client(dynamodb_endpoint), table_name, partition)
    assert verify_access_token(token, cold, next_slot)["sub"] == "user-1"
    assert cold.jwks(next_slot) == {"keys": [jwk(new), jwk(old)]}

    last_moment = old.expires_at - 0.001
    assert verify_access_token(token, ring, last_moment)["sub"] == "user-1"

    retired = float(old.expires_at)
    for keyring in (ring, new_ring(client(dynamodb_endpoint), table_name, partition)):
        with pytest.raises(AuthstateError) as raised:
            verify_access_token(token, keyring, retired)
        assert raised.value.code == "TOKEN_KEY_UNKNOWN"
        assert keyring.jwks(retired) == {"keys": [jwk(new)]}
        assert keyring.signing_key(retired).kid == new.kid


def test_unknown_kids_reload_once_and_rate_limited(ring: KeyRing, call_counter: CallCounter) -> None:
    key = ring.signing_key(T0)
    call_counter.reset()

    assert ring.verification_key("unknown-1", T0 + 1) is None
    assert call_counter.calls == ["Query"]

    call_counter.reset()
    assert ring.verification_key("unknown-2", T0 + 2) is None
    assert ring.verification_key("unknown-1", T0 + 5.9) is None
    assert ring.verification_key(key.kid, T0 + 5.9) is not None
    assert call_counter.calls == []

    assert ring.verification_key("unknown-3", T0 + 6) is None  # the 5 s window has passed
    assert call_counter.calls == ["Query"]


def test_key_created_elsewhere_is_found_by_one_reload(
    ring: KeyRing, call_counter: CallCounter, dynamodb_endpoint: str, table_name: str, partition: str
) -> None:
    ring.signing_key(T0)
    later = T0 + ROTATION
    other = new_ring(client(dynamodb_endpoint), table_name, partition).signing_key(later)
    token = mint_access_token(claims(later), other)
    call_counter.reset()

    assert verify_access_token(token, ring, later)["sub"] == "user-1"
    assert call_counter.calls == ["Query"]
    call_counter.reset()
    assert ring.signing_key(later + 1).kid == other.kid
    assert call_counter.calls == []


def test_warm_keyring_signs_and_verifies_without_dynamodb_while_its_cache_is_fresh(
    dynamodb: DynamoDBClient, table_name: str, partition: str, call_counter: CallCounter
) -> None:
    ring = new_ring(dynamodb, table_name, partition, cache_seconds=ROTATION)
    key = ring.signing_key(T0)
    token = mint_access_token(claims(T0), key)
    call_counter.reset()

    for now in (T0 + 1, T0 + 500, SLOT_START + ROTATION - 0.001):
        assert ring.signing_key(now) is key
        assert verify_access_token(token, ring, min(now, T0 + TTL - 1))["sub"] == "user-1"
    assert ring.jwks(T0 + 2) == {"keys": [jwk(key)]}
    assert call_counter.calls == []


def test_warm_keyring_reads_its_keys_again_once_per_cache_age(
    ring: KeyRing, call_counter: CallCounter
) -> None:
    key = ring.signing_key(T0)
    token = mint_access_token(claims(T0), key)
    call_counter.reset()

    for now in (T0 + 1, T0 + DEFAULT_CACHE_SECONDS - 0.001):
        assert ring.signing_key(now) is key
        assert verify_access_token(token, ring, now)["sub"] == "user-1"
    assert call_counter.calls == []
    stale = T0 + DEFAULT_CACHE_SECONDS
    assert verify_access_token(token, ring, stale)["sub"] == "user-1"
    assert ring.signing_key(stale + 1).kid == key.kid
    assert call_counter.calls == ["Query"]  # one re-read, then fresh for another cache age
    call_counter.reset()
    assert ring.jwks(stale + DEFAULT_CACHE_SECONDS) == {"keys": [jwk(key)]}
    assert call_counter.calls == ["Query"]


class _Unreachable(Table):
    """A table whose DynamoDB has gone away after the first read (as in an outage)."""

    def __init__(self, table: Table) -> None:
        super().__init__(table.name, lambda: table.client)
        self.reachable = True

    def query(self, **arguments: Any) -> list[Item]:
        if not self.reachable:
            raise StorageUnavailable("storage is unavailable; retry later")
        return super().query(**arguments)


def test_a_reread_that_fails_keeps_the_cached_keys_and_tries_again_an_interval_later(
    dynamodb: DynamoDBClient, table_name: str, partition: str, call_counter: CallCounter
) -> None:
    """Verification needs no database, so an outage past the cache age does not stop it."""
    table = _Unreachable(Table(table_name, lambda: dynamodb))
    ring = KeyRing(
        table, rotation_seconds=ROTATION, access_token_ttl_seconds=TTL, partition=partition, cache_seconds=60
    )
    key = ring.signing_key(T0)
    token = mint_access_token(claims(T0), key)
    table.reachable = False
    call_counter.reset()
    assert verify_access_token(token, ring, T0 + 61)["sub"] == "user-1"
    assert verify_access_token(token, ring, T0 + 120)["sub"] == "user-1"  # no second try within 60 s
    table.reachable = True
    assert verify_access_token(token, ring, T0 + 122)["sub"] == "user-1"
    assert call_counter.calls == ["Query"]  # the one that reached DynamoDB again


def test_emergency_rotation_replaces_the_current_key_and_retires_every_other(
    dynamodb: DynamoDBClient,
    dynamodb_endpoint: str,
    table_name: str,
    partition: str,
    stored_items: Any,
    call_counter: CallCounter,
) -> None:
    signer = new_ring(dynamodb, table_name, partition)
    near_end = SLOT_START + ROTATION - 120.0  # the next slot's key is published by now
    current = signer.signing_key(near_end)
    signer.jwks(near_end)
    static = signer.static_key(near_end)
    tokens = {key.kid: mint_access_token(claims(near_end), key) for key in (current, static)}
    stale = new_ring(client(dynamodb_endpoint), table_name, partition)  # another warm process
    for token in tokens.values():
        assert verify_access_token(token, stale, near_end)["sub"] == "user-1"
    published = {key["kid"] for key in signer.jwks(near_end)["keys"]}
    assert len(published) == 3  # current, next, static

    foreign = {"pk": {"S": partition}, "sk": {"S": "imported#k1"}, "kid": {"S": "k1"}}
    dynamodb.put_item(TableName=table_name, Item=foreign)  # a key of another kind: not ours to retire
    operator = new_ring(dynamodb, table_name, partition, can_sign=False)
    call_counter.reset()
    rotation = operator.rotate_now(near_end, reason="ticket 42")
    assert call_counter.calls == ["Query", "PutItem", "DeleteItem", "DeleteItem"]
    assert sorted(rotation.retired) == sorted(published)
    assert rotation.kid not in published
    assert sorted((item["sk"]["S"], item["kid"]["S"]) for item in stored_items()) == [
        ("imported#k1", "k1"),
        (f"slot#{SLOT:012d}", rotation.kid),
    ]
    dynamodb.delete_item(TableName=table_name, Key={"pk": foreign["pk"], "sk": foreign["sk"]})

    # At once in the rotating process; in another warm one once its cache is older than the bound.
    listed = [key["kid"] for key in operator.jwks(near_end)["keys"]]  # the next slot's key published anew
    assert rotation.kid in listed
    assert not set(listed) & published
    for token in tokens.values():
        with pytest.raises(AuthstateError) as raised:
            verify_access_token(token, operator, near_end)
        assert raised.value.code == "TOKEN_KEY_UNKNOWN"
        assert verify_access_token(token, stale, near_end + 1)["sub"] == "user-1"  # within the bound
    after_bound = near_end + DEFAULT_CACHE_SECONDS
    for token in tokens.values():
        with pytest.raises(AuthstateError) as raised:
            verify_access_token(token, stale, after_bound)
        assert raised.value.code == "TOKEN_KEY_UNKNOWN"
    new = stale.signing_key(after_bound)
    assert new.kid == rotation.kid
    assert [key["kid"] for key in stale.jwks(after_bound)["keys"]] == listed
    renewed_static = stale.static_key(after_bound)  # created anew on its next use
    assert renewed_static.kid not in published
    fresh = mint_access_token(claims(after_bound), new)
    assert verify_access_token(fresh, new_ring(client(dynamodb_endpoint), table_name, partition), after_bound)


def test_a_rotation_that_raced_another_one_fails_with_a_conflict(
    dynamodb: DynamoDBClient, table_name: str, partition: str, stored_items: Any
) -> None:
    """Two operators at once: the one whose put was not over the key it read is refused, not merged."""
    new_ring(dynamodb, table_name, partition).signing_key(T0)

    class _Racing(Table):
        def query(self, **arguments: Any) -> list[Item]:
            items = super().query(**arguments)
            new_ring(dynamodb, table_name, partition).rotate_now(T0)  # lands between the read and the put
            return items

    racing = KeyRing(
        _Racing(table_name, lambda: dynamodb),
        rotation_seconds=ROTATION,
        access_token_ttl_seconds=TTL,
        partition=partition,
    )
    with pytest.raises(AuthstateError) as raised:
        racing.rotate_now(T0)
    assert raised.value.code == "CONFLICT"
    assert len(stored_items()) == 1


def test_jwks_of_an_empty_partition_creates_the_current_key(
    ring: KeyRing, call_counter: CallCounter, stored_items: Any
) -> None:
    jwks = ring.jwks(T0)
    assert call_counter.calls == ["Query", "PutItem"]
    [item] = stored_items()
    assert jwks == {"keys": [jwk(ring.signing_key(T0))]}
    assert jwks["keys"][0]["kid"] == item["kid"]["S"]


def test_cold_verifier_loads_once_then_still_reloads_for_an_unknown_kid(
    ring: KeyRing, call_counter: CallCounter, dynamodb_endpoint: str, table_name: str, partition: str
) -> None:
    """The first load of a cold keyring is not a reload for an unknown kid: it does not use up the window."""
    signer = new_ring(client(dynamodb_endpoint), table_name, partition)
    first = signer.signing_key(T0)
    assert ring.verification_key(first.kid, T0) is not None
    assert call_counter.calls == ["Query"]

    second = signer.signing_key(T0 + ROTATION)  # a signer whose clock is ahead, or the next slot's key
    call_counter.reset()
    assert ring.verification_key(second.kid, T0 + 1) is not None
    assert call_counter.calls == ["Query"]


def test_next_key_is_published_before_its_slot(ring: KeyRing, stored_items: Any) -> None:
    """A verifier caching the JWKS for 300 s must already know the next slot's kid at rotation."""
    current = ring.signing_key(SLOT_START + 100.0)
    assert [key["kid"] for key in ring.jwks(SLOT_START + 100.0)["keys"]] == [current.kid]
    near_end = SLOT_START + ROTATION - PUBLISH_AHEAD_SECONDS + 1.0
    listed = [key["kid"] for key in ring.jwks(near_end)["keys"]]
    assert len(stored_items()) == 2
    assert listed[1] == current.kid
    assert ring.signing_key(near_end).kid == current.kid  # still signs with the current key
    assert ring.signing_key(SLOT_START + ROTATION + 1.0).kid == listed[0]  # the published one signs next


def test_a_verify_only_keyring_never_reads_a_private_key(
    dynamodb: DynamoDBClient, table_name: str, partition: str, stored_items: Any
) -> None:
    """What IAM lets the verify-only functions do (template.yaml, ``dynamodb:Attributes``): query the
    public attributes alone. Such a keyring still verifies, serves the JWKS and creates keys."""
    queries: list[dict[str, Any]] = []
    dynamodb.meta.events.register(
        "provide-client-params.dynamodb.Query", lambda params, **_: queries.append(params)
    )
    verifier = KeyRing(
        Table(table_name, lambda: dynamodb),
        rotation_seconds=ROTATION,
        access_token_ttl_seconds=TTL,
        partition=partition,
        can_sign=False,
    )
    published = verifier.jwks(T0)["keys"]  # creates this slot's key (write only)
    signer = new_ring(dynamodb, table_name, partition)
    token = mint_access_token(claims(T0), signer.signing_key(T0))
    fresh_verifier = KeyRing(
        Table(table_name, lambda: dynamodb),
        rotation_seconds=ROTATION,
        access_token_ttl_seconds=TTL,
        partition=partition,
        can_sign=False,
    )
    assert verify_access_token(token, fresh_verifier, T0)["sub"] == "user-1"
    assert [key["kid"] for key in published] == [signer.signing_key(T0).kid]
    assert "privateKey" in stored_items()[0]
    verify_only = [query for query in queries if "ProjectionExpression" in query]
    assert len(verify_only) == 2  # the first jwks(), then the fresh verifier's load
    for query in verify_only:
        projected = {
            query["ExpressionAttributeNames"][name] for name in query["ProjectionExpression"].split(",")
        }
        assert "privateKey" not in projected
        assert query["Select"] == "SPECIFIC_ATTRIBUTES"
    with pytest.raises(TypeError):
        fresh_verifier.signing_key(T0)
