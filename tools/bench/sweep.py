"""The document-size sweep: what one one-key merge costs as the document (or session item) grows.

Sizes (:data:`SIZES`): empty, 1 key, 100 keys, 1,000 small keys and ~300 KB (1,000 keys of ~290
bytes). One subject per size (a user's metadata; a session whose *data* has that size and whose
payload stays two small claims: the claims cap, at most 16 KB, bounds the payload, so the session
data is what grows; it has an item of its own, so each session row has the floor of the item it
writes). Every case sets the same one key again and again, so nothing grows during the measurement.
All cases are timed one at a time, interleaved (:func:`bench.measure.interleave`).

- **in process**: the layer's own calls on one botocore client against DynamoDB Local, next to the
  floor (a bare UpdateItem of the same item, ``ReturnValues=NONE``) and the version-locked Get+Put
  (for metadata also the naive Get+Put: one thread loses nothing, so it is timed alone here);
- **HTTP**: the same merges through ``python -m tools.localrun serve`` (one request at a time, keep-alive),
  what a caller sees, interleaved with the floor on the same items (in process): a route's growth
  from empty to ~300 KB is judged against the floor's growth in the same run.

Every client here is configured as the layer configures its own: answers with items are decoded by
one ``json.loads`` (``authstate.storage.client.items_parsed_as_json``). One more row times the layer's
default metadata merge on a client without that, decoding with botocore's shape parser: what the
hook saves, in the same run.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from authstate.documents.jsondoc import size as json_size
from authstate.recipe.session.items import DATA, PAYLOAD, session_key
from authstate.recipe.usermetadata.service import UserMetadata
from authstate.recipe.usermetadata.store import DOCUMENT, MetadataStore
from authstate.storage.client import items_parsed_as_json
from tools.bench.measure import CallCounter, interleave, median_ms, ratio, rounded
from tools.bench.workloads import (
    SESSION_DATA,
    SESSIONS,
    USER_METADATA,
    Target,
    bare_update,
    metadata_item,
    metadata_naive,
    metadata_version_locked,
    prepare_session,
    session_data_version_locked,
    session_online_version_locked,
    session_store,
    user_key,
    warm_sessions,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

HOT_KEY = "hot"
SESSION_PAYLOAD = {"plan": "pro", "role": "admin"}


@dataclass(frozen=True)
class Size:
    label: str
    keys: int
    value_chars: int  # each value is a string of this many characters

    def document(self) -> dict[str, Any]:
        return {f"k{i:05d}": "x" * self.value_chars for i in range(self.keys)}

    @property
    def json_bytes(self) -> int:
        return json_size(self.document())


SIZES = (
    Size("empty", 0, 0),
    Size("1 key", 1, 24),
    Size("100 keys", 100, 24),
    Size("1,000 keys", 1000, 24),
    Size("~300 KB", 1000, 288),
)

# Row names, shared with the report's goals.
FLOOR = "floor: bare UpdateItem"
S_FLOOR_DATA = "floor: bare UpdateItem of the data's item"
MD_DEFAULT = "authstate merge (document back)"
MD_MINIMAL = "authstate merge, return_document=False"
MD_BOTOCORE_PARSER = "authstate merge, botocore's own parser"
MD_LOCKED = "version-locked Get+Put"
MD_NAIVE = "naive Get+Put (loses updates)"
S_ONLINE = "online payload merge (token back)"
S_OFFLINE = "offline payload merge (payload back)"
S_DATA = "data merge (data back)"
S_DATA_MINIMAL = "data merge, store return_document=False"
S_ONLINE_LOCKED = "version-locked online merge"
S_DATA_LOCKED = "version-locked data merge"
H_MD_DEFAULT = "PATCH /users/{u}/metadata"
H_MD_MINIMAL = "PATCH /users/{u}/metadata, Prefer: return=minimal"
H_ONLINE = "POST /sessions/merge"
H_OFFLINE = "PATCH /sessions/{h}/payload"
H_DATA = "PATCH /sessions/{h}/data"
H_FLOOR_MD = "floor on the user's item (in process)"
H_FLOOR_SESSION = "floor on the session's item (in process)"
H_FLOOR_DATA = "floor on the session data's item (in process)"
#: Each HTTP route and the floor row of the item it writes.
H_FLOORS = {
    H_MD_DEFAULT: H_FLOOR_MD,
    H_MD_MINIMAL: H_FLOOR_MD,
    H_ONLINE: H_FLOOR_SESSION,
    H_OFFLINE: H_FLOOR_SESSION,
    H_DATA: H_FLOOR_DATA,
}
#: In process, the rows that write the session data's item and their floor (the others: ``FLOOR``).
S_FLOORS = {S_DATA: S_FLOOR_DATA, S_DATA_MINIMAL: S_FLOOR_DATA, S_DATA_LOCKED: S_FLOOR_DATA}


@dataclass(frozen=True)
class Row:
    """One way of merging one key, at every size: median latency and the DynamoDB calls made."""

    name: str
    samples_ns: list[list[int]]  # by size
    calls: list[str]  # by size: e.g. "UpdateItem", "GetItem+PutItem"; "" if not counted

    def median_ms(self, index: int) -> float | None:
        return median_ms(self.samples_ns[index])

    @property
    def growth(self) -> float | None:
        """The largest size's median over the empty document's."""
        return ratio(self.median_ms(-1), self.median_ms(0))

    def as_json(self, sizes: tuple[Size, ...]) -> dict[str, Any]:
        return {
            "name": self.name,
            "by_size": [
                {
                    "size": size.label,
                    "median_ms": rounded(self.median_ms(index)),
                    "samples": len(self.samples_ns[index]),
                    "calls": self.calls[index] or None,
                }
                for index, size in enumerate(sizes)
            ],
            "largest_over_empty": rounded(self.growth),
        }


@dataclass(frozen=True)
class SweepTable:
    title: str
    rows: list[Row]

    def row(self, name: str) -> Row | None:
        return next((row for row in self.rows if row.name == name), None)

    def as_json(self, sizes: tuple[Size, ...]) -> dict[str, Any]:
        return {
            "title": self.title,
            "rows": [row.as_json(sizes) for row in self.rows],
        }


class _Cases:
    """The cases of one table: each call is timed by :func:`interleave`, its DynamoDB calls noted."""

    def __init__(self) -> None:
        self.cases: dict[str, Callable[[], object]] = {}
        self.calls: dict[str, Counter[str]] = {}
        self._counter = 0

    def add(self, row: str, size: int, call: Callable[[int], object], counter: CallCounter | None) -> None:
        key = f"{row}\0{size}"
        seen: Counter[str] = Counter()
        self.calls[key] = seen

        def case() -> None:
            self._counter += 1
            if counter is not None:
                counter.reset()
            call(self._counter)
            if counter is not None:
                seen["+".join(counter.calls)] += 1

        self.cases[key] = case

    def table(self, title: str, rows: list[str], rounds: int, warmup: int) -> SweepTable:
        samples = interleave(self.cases, rounds=rounds, warmup=warmup)
        result = []
        for row in rows:
            keys = [f"{row}\0{index}" for index in range(len(SIZES))]
            result.append(
                Row(
                    row,
                    [samples.get(key, []) for key in keys],
                    [self.calls[key].most_common(1)[0][0] if self.calls.get(key) else "" for key in keys],
                )
            )
        return SweepTable(title, result)


def _progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# --- in process ----------------------------------------------------------------------------------


def in_process(
    make_client: Callable[[], DynamoDBClient],
    tables: Mapping[str, str],
    run_id: str,
    *,
    rounds: int,
    warmup: int,
) -> tuple[SweepTable, SweepTable]:
    """The metadata and the sessions table, measured on one client (plus one without the layer's
    JSON decoding: ``make_client`` makes clients without it)."""
    client = items_parsed_as_json(make_client())
    counter = CallCounter().attach(client)
    plain_client = make_client()
    plain_counter = CallCounter().attach(plain_client)

    _progress("sweep, in process: metadata ...")
    metadata = _Cases()
    for index, size in enumerate(SIZES):
        user = f"bench-{run_id}-sweep-user-{index}"
        target = Target(user, tables, client)
        target.table(USER_METADATA).put(metadata_item(user, size.document()))
        _metadata_cases(metadata, index, target, counter, Target(user, tables, plain_client), plain_counter)
    metadata_result = metadata.table(
        "metadata: one-key merge into a user's document (in process)",
        [FLOOR, MD_DEFAULT, MD_MINIMAL, MD_LOCKED, MD_NAIVE, MD_BOTOCORE_PARSER],
        rounds,
        warmup,
    )

    _progress("sweep, in process: sessions ...")
    sessions = _Cases()
    for index, size in enumerate(SIZES):
        target = Target(f"bench-{run_id}-sweep-session-{index}", tables, client)
        prepared = prepare_session(target, SESSION_PAYLOAD, size.document())
        session_store(target).put_data(prepared.handle, size.document(), time.time())  # its item, if empty
        _session_cases(sessions, index, target, counter)
    sessions_result = sessions.table(
        "sessions: one-key merge into a session whose data has that size (in process)",
        [FLOOR, S_ONLINE, S_ONLINE_LOCKED, S_OFFLINE, S_FLOOR_DATA, S_DATA, S_DATA_MINIMAL, S_DATA_LOCKED],
        rounds,
        warmup,
    )
    return metadata_result, sessions_result


def _metadata_cases(
    cases: _Cases, index: int, target: Target, counter: CallCounter, plain: Target, plain_counter: CallCounter
) -> None:
    user, key, table = target.subject, user_key(target.subject), target.tables[USER_METADATA]
    store = UserMetadata(MetadataStore(target.table(USER_METADATA)))
    plain_store = UserMetadata(MetadataStore(plain.table(USER_METADATA)))
    locked, naive = metadata_version_locked(target), metadata_naive(target)

    def floor(i: int) -> None:
        bare_update(target.client, table, key, DOCUMENT, HOT_KEY, i)

    def default(i: int) -> None:
        store.update(user, {HOT_KEY: i})

    def minimal(i: int) -> None:
        store.update(user, {HOT_KEY: i}, return_document=False)

    def botocore_parser(i: int) -> None:
        plain_store.update(user, {HOT_KEY: i})

    cases.add(FLOOR, index, floor, counter)
    cases.add(MD_DEFAULT, index, default, counter)
    cases.add(MD_MINIMAL, index, minimal, counter)
    cases.add(MD_BOTOCORE_PARSER, index, botocore_parser, plain_counter)
    cases.add(MD_LOCKED, index, lambda i: locked(HOT_KEY, i), counter)
    cases.add(MD_NAIVE, index, lambda i: naive(HOT_KEY, i), counter)


def _session_cases(cases: _Cases, index: int, target: Target, counter: CallCounter) -> None:
    service, prepared = warm_sessions(target)
    key, table, data_table = (
        session_key(prepared.handle),
        target.tables[SESSIONS],
        target.tables[SESSION_DATA],
    )
    store = session_store(target)
    online_locked = session_online_version_locked(target)
    data_locked = session_data_version_locked(target)

    def floor(i: int) -> None:
        bare_update(target.client, table, key, PAYLOAD, HOT_KEY, i)

    def data_floor(i: int) -> None:
        bare_update(target.client, data_table, key, DATA, HOT_KEY, i)

    def online(i: int) -> None:
        service.merge_payload_online(prepared.access_token, {HOT_KEY: i})

    def offline(i: int) -> None:
        service.merge_payload_offline(prepared.handle, {HOT_KEY: i})

    def data(i: int) -> None:
        service.merge_data(prepared.handle, {HOT_KEY: i})

    def data_minimal(i: int) -> None:
        store.merge_data(prepared.handle, {HOT_KEY: i}, time.time(), return_document=False)

    cases.add(FLOOR, index, floor, counter)
    cases.add(S_FLOOR_DATA, index, data_floor, counter)
    cases.add(S_ONLINE, index, online, counter)
    cases.add(S_OFFLINE, index, offline, counter)
    cases.add(S_DATA, index, data, counter)
    cases.add(S_DATA_MINIMAL, index, data_minimal, counter)
    cases.add(S_ONLINE_LOCKED, index, lambda i: online_locked(HOT_KEY, i), counter)
    cases.add(S_DATA_LOCKED, index, lambda i: data_locked(HOT_KEY, i), counter)


# --- over HTTP -----------------------------------------------------------------------------------

API_KEY = "bench-sweep-key"
REQUEST_TIMEOUT = (5.0, 30.0)


def over_http(
    endpoint: str, reader: DynamoDBClient, tables: Mapping[str, str], run_id: str, *, rounds: int, warmup: int
) -> SweepTable:
    """One table: every HTTP merge, by size, through the local server (started and stopped here)."""
    import requests

    from tools.localrun.process import local_server

    session = requests.Session()
    session.headers.update({"api-key": API_KEY, "content-type": "application/json"})

    def call(
        method: str, url: str, body: Any, status: int, headers: Mapping[str, str] | None = None
    ) -> bytes:
        response = session.request(method, url, json=body, headers=headers, timeout=REQUEST_TIMEOUT)
        if response.status_code != status:
            raise RuntimeError(f"{method} {url}: {response.status_code} {response.text[:300]}")
        return response.content

    _progress("sweep, HTTP: starting the local server ...")
    with tempfile.TemporaryDirectory(prefix="authstate-bench-") as scratch:
        log_path = Path(scratch) / "server.log"
        try:
            with local_server(endpoint, API_KEY, log_path) as base:
                cases = _Cases()
                for index, size in enumerate(SIZES):
                    user = f"bench-{run_id}-http-user-{index}"
                    reader.put_item(
                        TableName=tables[USER_METADATA], Item=metadata_item(user, size.document())
                    )
                    body = {
                        "userId": f"bench-{run_id}-http-{index}",
                        "accessTokenPayload": SESSION_PAYLOAD,
                        "sessionData": size.document(),
                    }
                    created = json.loads(call("POST", f"{base}/sessions", body, 201))
                    handle = created["session"]["handle"]
                    data = {"sessionData": size.document()}  # the data's item, even when empty
                    call("PUT", f"{base}/sessions/{handle}/data", data, 200)
                    _http_cases(cases, index, call, base, user, handle, created["accessToken"]["token"])
                    _floor_cases(cases, index, reader, tables, user, handle)
                _progress("sweep, HTTP: measuring ...")
                table = cases.table(
                    "over HTTP (local server, one request at a time): one-key merge by document size",
                    [
                        H_FLOOR_MD,
                        H_MD_DEFAULT,
                        H_MD_MINIMAL,
                        H_FLOOR_SESSION,
                        H_ONLINE,
                        H_OFFLINE,
                        H_FLOOR_DATA,
                        H_DATA,
                    ],
                    rounds,
                    warmup,
                )
                return table
        finally:
            session.close()


type Call = Callable[..., bytes]


def _floor_cases(
    cases: _Cases, index: int, client: DynamoDBClient, tables: Mapping[str, str], user: str, handle: str
) -> None:
    """The floor (a bare UpdateItem) on the same three items the routes write, in process: the user's,
    the session's (its payload) and the session data's."""
    metadata, session, data = tables[USER_METADATA], tables[SESSIONS], tables[SESSION_DATA]
    key = session_key(handle)
    cases.add(
        H_FLOOR_MD, index, lambda i: bare_update(client, metadata, user_key(user), DOCUMENT, HOT_KEY, i), None
    )
    cases.add(H_FLOOR_SESSION, index, lambda i: bare_update(client, session, key, PAYLOAD, HOT_KEY, i), None)
    cases.add(H_FLOOR_DATA, index, lambda i: bare_update(client, data, key, DATA, HOT_KEY, i), None)


def _http_cases(cases: _Cases, index: int, call: Call, base: str, user: str, handle: str, token: str) -> None:
    metadata = f"{base}/users/{user}/metadata"

    def default(i: int) -> None:
        call("PATCH", metadata, {"metadataUpdate": {HOT_KEY: i}}, 200)

    def minimal(i: int) -> None:
        call("PATCH", metadata, {"metadataUpdate": {HOT_KEY: i}}, 204, {"Prefer": "return=minimal"})

    def online(i: int) -> None:
        call("POST", f"{base}/sessions/merge", {"accessToken": token, "update": {HOT_KEY: i}}, 200)

    def offline(i: int) -> None:
        call("PATCH", f"{base}/sessions/{handle}/payload", {"update": {HOT_KEY: i}}, 200)

    def data(i: int) -> None:
        call("PATCH", f"{base}/sessions/{handle}/data", {"update": {HOT_KEY: i}}, 200)

    for row, case in (
        (H_MD_DEFAULT, default),
        (H_MD_MINIMAL, minimal),
        (H_ONLINE, online),
        (H_OFFLINE, offline),
        (H_DATA, data),
    ):
        cases.add(row, index, case, None)
