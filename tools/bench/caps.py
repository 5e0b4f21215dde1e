"""``--section caps``: DynamoDB calls per merge for each case of the capped write (design §2, §3),
beside the figures of the design before it (write, measure, undo; merges over 200 keys in parts);
and the time it takes to revoke all of a user's many sessions, several deletions at a time
(``SessionStore.delete_many``) against one at a time, in the same run.

Each case runs through the services on a session or user of its own, made first; the calls of the
merge alone are counted. The "before" column was measured by this same code on main at 42b640f
(the last commit with the undo), on DynamoDB Local: ``python -m bench --section caps`` there gave it.
"""

from __future__ import annotations

import secrets
import statistics
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from authstate.errors import AuthstateError
from authstate.recipe.session import providers as session_providers
from authstate.recipe.session.key_store import KeyRing
from authstate.recipe.session.refresh_tokens import RefreshTokenCodec
from authstate.recipe.session.service import Sessions
from authstate.recipe.session.store import DELETE_CONCURRENCY
from authstate.recipe.usermetadata.service import UserMetadata
from authstate.recipe.usermetadata.store import MetadataStore
from authstate.storage.client import items_parsed_as_json
from authstate.storage.table import Table
from tools.bench.measure import CallCounter, ratio, render_table, times
from tools.bench.workloads import SIGNING_KEYS, USER_METADATA, settings
from tools.localrun.dynamodb import client

#: The custom-claims cap the cases are built around (the template's default).
CAP = 4096
#: What each case cost on the write-measure-undo design: calls, and the sequence.
BEFORE: dict[str, tuple[int, str]] = {
    "common: one key, far from the cap (offline)": (1, "UpdateItem"),
    "common: one key, far from the cap (online)": (1, "UpdateItem"),
    "near the cap, fits (its bound fails)": (1, "UpdateItem"),
    "over the cap: refused": (2, "UpdateItem+UpdateItem"),
    "big: 450 keys of session data": (3, "UpdateItem x3"),
    "big: 450 keys of metadata": (3, "UpdateItem x3"),
    "big, refused: a big key and 3 000 nulls (claims)": (17, "UpdateItem x17"),
    "big: 9 000 nulls of session data": (45, "UpdateItem x45"),
}


@dataclass(frozen=True)
class Case:
    name: str
    calls: list[str]
    answer: str  # "ok" or the error code

    def sequence(self) -> str:
        if len(set(self.calls)) == 1 and len(self.calls) > 2:
            return f"{self.calls[0]} x{len(self.calls)}"
        return "+".join(self.calls) or "-"


#: Sessions of the user whose sessions are all revoked at once (a third of them with session data).
REVOKED_SESSIONS = 200
#: Users revoked each way, alternating which way goes first.
REVOCATION_SAMPLES = 3
#: The network's share of a call on DynamoDB, which DynamoDB Local on loopback has not: each call of
#: the second measurement waits this long first (botocore's ``before-send``), in its own thread.
MODELLED_ROUND_TRIP_SECONDS = 0.004


@dataclass(frozen=True)
class Revocation:
    """Revoking all of a user's sessions: the calls, and the time several at a time and one at a time;
    ``round_trip_ms``: the wait added to each call (0: DynamoDB Local as it is)."""

    sessions: int
    calls: int
    round_trip_ms: float
    concurrent_ms: list[float]
    one_at_a_time_ms: list[float]

    def row(self) -> tuple[str, ...]:
        concurrent, one = statistics.median(self.concurrent_ms), statistics.median(self.one_at_a_time_ms)
        where = (
            f"each call {self.round_trip_ms:.0f} ms longer (a network round trip)"
            if self.round_trip_ms
            else "DynamoDB Local as it is"
        )
        return (where, f"{concurrent:.0f}", f"{one:.0f}", times(ratio(concurrent, one)))

    def as_json(self) -> dict[str, Any]:
        return {
            "sessions": self.sessions,
            "calls": self.calls,
            "concurrency": DELETE_CONCURRENCY,
            "added_ms_per_call": self.round_trip_ms,
            "concurrent_ms": [round(ms, 1) for ms in self.concurrent_ms],
            "one_at_a_time_ms": [round(ms, 1) for ms in self.one_at_a_time_ms],
        }


@dataclass(frozen=True)
class Results:
    cases: list[Case]
    revocations: list[Revocation]

    def lines(self) -> list[str]:
        head = f"{'case':<52} {'calls':>5}  {'sequence':<22} {'before':>6}  {'before: sequence':<22} answer"
        rows = ["calls per merge (design §2, §3): now, and on the write-measure-undo design before it", head]
        for case in self.cases:
            before, before_sequence = BEFORE.get(case.name, (0, "?"))
            rows.append(
                f"{case.name:<52} {len(case.calls):>5}  {case.sequence():<22} {before:>6}  "
                f"{before_sequence:<22} {case.answer}"
            )
        first = self.revocations[0]
        return [
            *rows,
            "",
            f"revoking all of a user's {first.sessions} sessions (a third with session data; {first.calls} "
            f"calls): several deletions at a time against one at a time, ms (medians of "
            f"{len(first.concurrent_ms)})",
            *render_table(
                ("", f"{DELETE_CONCURRENCY} at a time", "one by one", "ratio"),
                [revocation.row() for revocation in self.revocations],
            ),
        ]

    def as_json(self) -> dict[str, Any]:
        return {
            "merges": [
                {
                    "case": case.name,
                    "calls": len(case.calls),
                    "sequence": case.calls,
                    "calls_before": BEFORE.get(case.name, (None, ""))[0],
                    "answer": case.answer,
                }
                for case in self.cases
            ],
            "revoke_all": [revocation.as_json() for revocation in self.revocations],
        }


def measure(endpoint: str, tables: Mapping[str, str], run_id: str) -> Results:
    connection = items_parsed_as_json(client(endpoint))
    counter = CallCounter().attach(connection)
    config = settings(tables).model_copy(update={"max_custom_claims_bytes": CAP})
    codec = RefreshTokenCodec(secrets.token_bytes(32))
    keyring = KeyRing(
        Table(tables[SIGNING_KEYS], lambda: connection),
        rotation_seconds=config.signing_key_rotation_seconds,
        access_token_ttl_seconds=config.access_token_ttl_seconds,
        partition=f"bench-caps-{run_id}",
    )
    store = session_providers.session_store(config, lambda name: Table(name, lambda: connection))
    sessions = Sessions(store, keyring, lambda: codec, config)
    metadata = UserMetadata(MetadataStore(Table(tables[USER_METADATA], lambda: connection)))
    user = f"bench-caps-{run_id}"
    big = {f"k{i:03}": i for i in range(450)}

    def session(payload: Mapping[str, Any], data: Mapping[str, Any] | None = None) -> tuple[str, str]:
        issued = sessions.create(user, "public", payload, data or {})
        return issued.session.handle, issued.access_token.token

    def near_the_cap() -> Callable[[], object]:
        handle, _ = session({"pad": "p" * 3000})
        sessions.merge_payload_offline(handle, {"x": "x" * 900})
        sessions.merge_payload_offline(handle, {"x": "y" * 900})  # the count holds "x" twice now
        return lambda: sessions.merge_payload_offline(handle, {"x": "z" * 900})

    def offline(payload: Mapping[str, Any], update: Mapping[str, Any]) -> Callable[[], object]:
        handle, _ = session(payload)
        return lambda: sessions.merge_payload_offline(handle, update)

    def online() -> Callable[[], object]:
        _, token = session({"a": 1})
        return lambda: sessions.merge_payload_online(token, {"b": 2})

    def data(update: Mapping[str, Any]) -> Callable[[], object]:
        handle, _ = session({}, {"seed": 1})
        return lambda: sessions.merge_data(handle, update)

    def user_metadata() -> Callable[[], object]:
        metadata.update(f"{user}-meta", {"seed": 1})
        return lambda: metadata.update(f"{user}-meta", big)

    refused_big: dict[str, Any] = {"big": "y" * 2000, **{f"n{i}": None for i in range(3000)}}
    cases: list[tuple[str, Callable[[], Callable[[], object]]]] = [
        ("common: one key, far from the cap (offline)", lambda: offline({"a": 1}, {"b": 2})),
        ("common: one key, far from the cap (online)", online),
        ("near the cap, fits (its bound fails)", near_the_cap),
        ("over the cap: refused", lambda: offline({"half": "y" * 2500}, {"more": "z" * 2500})),
        ("big: 450 keys of session data", lambda: data(big)),
        ("big: 450 keys of metadata", user_metadata),
        (
            "big, refused: a big key and 3 000 nulls (claims)",
            lambda: offline({"pad": "x" * 3000}, refused_big),
        ),
        ("big: 9 000 nulls of session data", lambda: data({f"n{i}": None for i in range(9000)})),
    ]
    results = []
    for name, prepare in cases:
        merge = prepare()
        counter.reset()
        answer = "ok"
        try:
            merge()
        except AuthstateError as error:
            answer = str(error.code)
        results.append(Case(name, list(counter.calls), answer))

    def user_with_sessions(number: int) -> str:
        owner = f"{user}-revoked-{number}"
        for index in range(REVOKED_SESSIONS):
            sessions.create(owner, "public", {}, {"seed": index} if index % 3 == 0 else {})
        return owner

    def timed_ms(revoke: Callable[[], object]) -> float:
        started = time.perf_counter()
        revoke()
        return (time.perf_counter() - started) * 1000

    def one_by_one(owner: str) -> list[bool]:
        return [store.delete(handle) for handle in sessions.handles_of_user(owner)]

    def revocation(round_trip: float, base: int) -> Revocation:
        def wait(**_: Any) -> None:
            if round_trip:
                time.sleep(round_trip)

        concurrent: list[float] = []
        one_at_a_time: list[float] = []
        calls = 0
        for sample in range(REVOCATION_SAMPLES):
            first, second = user_with_sessions(base + 2 * sample), user_with_sessions(base + 2 * sample + 1)
            ways: list[tuple[list[float], Callable[[], object]]] = [  # revoke_all, and the same one by one
                (concurrent, partial(sessions.revoke_all, first)),
                (one_at_a_time, partial(one_by_one, second)),
            ]
            events = connection.meta.events
            events.register("before-send.dynamodb", wait)
            try:
                for samples, revoke in ways if sample % 2 == 0 else ways[::-1]:
                    counter.reset()
                    samples.append(timed_ms(revoke))
                    calls = len(counter.calls)  # the same both ways: the list, then each session's items
            finally:
                events.unregister("before-send.dynamodb", wait)
        return Revocation(REVOKED_SESSIONS, calls, round_trip * 1000, concurrent, one_at_a_time)

    revocations = [revocation(0.0, 0), revocation(MODELLED_ROUND_TRIP_SECONDS, 2 * REVOCATION_SAMPLES)]
    return Results(results, revocations)
