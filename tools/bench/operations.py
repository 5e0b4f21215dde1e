"""Per-operation figures: each function's warm Lambda handler, called in this process with an API
Gateway (v2) event as the local runner builds it, against DynamoDB Local.

For every operation: the DynamoDB calls one warm invocation makes and its median latency, measured
interleaved with the floor (a bare UpdateItem, ``ReturnValues=NONE``, on the handlers' own client),
and the ratio between them: the service's overhead over the least one update can cost. The handler's
own work (Powertools routing, pydantic validation, the API-key check, JSON in and out, signing) is
all in it; the HTTP server and the gateway are not (the size sweep measures those): the clock runs
around the handler call only, the event already built, as API Gateway hands it over.

Also JWT sign and verify on their own, keys cached (no DynamoDB), in microseconds.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import time
import uuid
import warnings
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from authstate.recipe.usermetadata.store import DOCUMENT
from tools.bench.measure import CallCounter, interleave, median, median_ms, ratio, rounded
from tools.bench.workloads import USER_METADATA, bare_update, metadata_item, user_key
from tools.localrun.gateway import Router, build_event
from tools.localrun.gateway import Target as RequestTarget
from tools.localrun.runtime import LambdaContext, configure_environment, load_module
from tools.localrun.template import Template

API_KEY = "bench-operations-key"
FLOOR = "floor: bare UpdateItem"
#: The operation the issue's overhead goal is about: a small merge.
SMALL_MERGE = "metadata merge (PATCH)"

type Handler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]


class _CallClock:
    """Time spent inside DynamoDB calls (botocore ``before-call`` to ``after-call``, retries included)."""

    def __init__(self) -> None:
        self.inside_ns = 0
        self._started = 0

    def attach(self, client: Any) -> None:
        client.meta.events.register("before-call.dynamodb.*", self._before)
        client.meta.events.register("after-call.dynamodb.*", self._after)

    def _before(self, **_: Any) -> None:
        self._started = time.perf_counter_ns()

    def _after(self, **_: Any) -> None:
        self.inside_ns += time.perf_counter_ns() - self._started


class _Sink(io.TextIOBase):
    """Where the functions' logs and metric lines go during the measurement: nowhere."""

    def writable(self) -> bool:
        return True

    def write(self, text: str, /) -> int:
        return len(text)


@dataclass(frozen=True)
class Operation:
    name: str
    samples_ns: list[int]
    inside_ns: list[int]  # of each sample, the part spent inside DynamoDB calls
    cpu_ns: list[int]  # of each sample, this thread's CPU time (botocore and the handler)
    calls: str  # the usual sequence of DynamoDB calls of one warm invocation ("" for none)
    calls_per_call: float

    @property
    def median_ms(self) -> float | None:
        return median_ms(self.samples_ns)

    @property
    def dynamodb_ms(self) -> float | None:
        """Median time inside DynamoDB calls (the request, DynamoDB Local, botocore's parsing)."""
        return median_ms(self.inside_ns)

    @property
    def cpu_ms(self) -> float | None:
        return median_ms(self.cpu_ns)

    @property
    def own_ms(self) -> float | None:
        """Median time outside DynamoDB calls: the handler's own work."""
        return median_ms(
            [total - inside for total, inside in zip(self.samples_ns, self.inside_ns, strict=True)]
        )

    def as_json(self, floor: Operation) -> dict[str, Any]:
        return {
            "operation": self.name,
            "median_ms": rounded(self.median_ms),
            "inside_dynamodb_calls_ms": rounded(self.dynamodb_ms),
            "outside_dynamodb_calls_ms": rounded(self.own_ms),
            "cpu_ms": rounded(self.cpu_ms),
            "samples": len(self.samples_ns),
            "dynamodb_calls": self.calls or None,
            "dynamodb_calls_per_invocation": round(self.calls_per_call, 3),
            "to_floor": rounded(ratio(self.median_ms, floor.median_ms)),
        }


@dataclass(frozen=True)
class Results:
    operations: list[Operation]
    jwt: Jwt

    @property
    def floor(self) -> Operation:
        return next(op for op in self.operations if op.name == FLOOR)

    def operation(self, name: str) -> Operation:
        return next(op for op in self.operations if op.name == name)


@dataclass(frozen=True)
class Jwt:
    sign_us: float | None
    verify_us: float | None
    samples: int
    custom_claims_bytes: int

    def as_json(self) -> dict[str, Any]:
        return {
            "sign_us": rounded(self.sign_us, 1),
            "verify_us": rounded(self.verify_us, 1),
            "samples": self.samples,
            "custom_claims_bytes": self.custom_claims_bytes,
        }


class Functions:
    """The template's functions, loaded once each into this process (warm after their first event)."""

    def __init__(self, template: Template) -> None:
        self._template = template
        self._router = Router(template)
        self._handlers: dict[str, Handler] = {}
        #: The last handler call's wall and CPU time, without the gateway's part (routing, building
        #: the event) before it and the caller's (decoding the body) after it.
        self.handler_ns: tuple[int, int] | None = None

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        target = RequestTarget.parse(path.encode())
        match = self._router.match(method, target.raw_path)
        if match is None:
            raise LookupError(f"no route for {method} {path}")
        handler = self._handlers.get(match.logical_id)
        if handler is None:
            spec = self._template.function(match.logical_id)
            handler = getattr(load_module(spec), spec.handler.rpartition(".")[2])
            self._handlers[match.logical_id] = handler
        all_headers = {"api-key": API_KEY, "content-type": "application/json", **(headers or {})}
        raw = json.dumps(body).encode() if body is not None else b""
        event = build_event(method, target, all_headers, raw, match)
        context = LambdaContext(
            function_name=match.logical_id,
            aws_request_id=str(uuid.uuid4()),
            deadline_ms=int(time.time() * 1000) + 10_000,
        )
        began, began_cpu = time.perf_counter_ns(), time.thread_time_ns()
        response = handler(event, context)
        self.handler_ns = (time.perf_counter_ns() - began, time.thread_time_ns() - began_cpu)
        if response.get("statusCode") != status:
            raise RuntimeError(
                f"{method} {path}: {response.get('statusCode')} {str(response.get('body'))[:300]}"
            )
        return response

    def json(self, method: str, path: str, body: Any = None, status: int = 200) -> dict[str, Any]:
        result: dict[str, Any] = json.loads(self.call(method, path, body, status)["body"])
        return result


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """The functions' output (logs, EMF lines, Powertools' empty-metrics warning) is dropped."""
    with contextlib.redirect_stdout(_Sink()), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="No application metrics to publish", category=UserWarning)
        yield


def measure(
    template: Template, endpoint: str, tables: Mapping[str, str], run_id: str, *, rounds: int, warmup: int
) -> Results:
    """Every operation and the floor, interleaved; then JWT sign and verify."""
    configure_environment(template, endpoint, API_KEY)
    from authstate.recipe.session import providers as session_providers
    from authstate.recipe.session.access_tokens import mint_access_token, verify_access_token
    from authstate.storage.client import dynamodb_client

    with quiet():
        functions = Functions(template)
        client = dynamodb_client()
        counter = CallCounter().attach(client)
        clock = _CallClock()
        clock.attach(client)
        user = f"bench-{run_id}-ops-user"
        client.put_item(TableName=tables[USER_METADATA], Item=metadata_item(user, {"theme": "dark"}))
        created = functions.json(
            "POST",
            "/sessions",
            {
                "userId": f"bench-{run_id}-ops",
                "accessTokenPayload": {"role": "admin"},
                "sessionData": {"cart": []},
            },
            201,
        )
        handle, token = created["session"]["handle"], created["accessToken"]["token"]
        chain = functions.json("POST", "/sessions", {"userId": f"bench-{run_id}-ops-chain"}, 201)
        refresh_token = [chain["refreshToken"]["token"]]

        def refresh(_: int) -> None:
            body = functions.json("POST", "/sessions/refresh", {"refreshToken": refresh_token[0]})
            refresh_token[0] = body["refreshToken"]["token"]

        operations: dict[str, Callable[[int], object]] = {
            FLOOR: lambda i: bare_update(client, tables[USER_METADATA], user_key(user), DOCUMENT, "hot", i),
            "create (POST /sessions)": lambda _: functions.call(
                "POST", "/sessions", {"userId": f"bench-{run_id}-ops-create"}, 201
            ),
            "verify, no database": lambda _: functions.call(
                "POST", "/sessions/verify", {"accessToken": token}
            ),
            "verify, checkDatabase": lambda _: functions.call(
                "POST", "/sessions/verify", {"accessToken": token, "checkDatabase": True}
            ),
            "online merge (POST /sessions/merge)": lambda i: functions.call(
                "POST", "/sessions/merge", {"accessToken": token, "update": {"hot": i}}
            ),
            "offline merge (PATCH payload)": lambda i: functions.call(
                "PATCH", f"/sessions/{handle}/payload", {"update": {"hot": i}}
            ),
            "refresh (POST /sessions/refresh)": refresh,
            SMALL_MERGE: lambda i: functions.call(
                "PATCH", f"/users/{user}/metadata", {"metadataUpdate": {"hot": i}}
            ),
            "metadata merge, return=minimal": lambda i: functions.call(
                "PATCH",
                f"/users/{user}/metadata",
                {"metadataUpdate": {"hot": i}},
                204,
                {"prefer": "return=minimal"},
            ),
            "session data merge (PATCH data)": lambda i: functions.call(
                "PATCH", f"/sessions/{handle}/data", {"update": {"hot": i}}
            ),
        }
        seen: dict[str, Counter[str]] = {name: Counter() for name in operations}
        counts: dict[str, list[int]] = {name: [] for name in operations}
        inside: dict[str, list[int]] = {name: [] for name in operations}
        wall: dict[str, list[int]] = {name: [] for name in operations}
        cpu: dict[str, list[int]] = {name: [] for name in operations}
        sequence = [0]

        def counted(name: str, operation: Callable[[int], object]) -> Callable[[], None]:
            """One sample: the handler call's times (the floor's: the whole call)."""

            def case() -> None:
                sequence[0] += 1
                counter.reset()
                clock.inside_ns = 0
                functions.handler_ns = None
                began, began_cpu = time.perf_counter_ns(), time.thread_time_ns()
                operation(sequence[0])
                whole = (time.perf_counter_ns() - began, time.thread_time_ns() - began_cpu)
                handler_wall, handler_cpu = functions.handler_ns or whole
                wall[name].append(handler_wall)
                cpu[name].append(handler_cpu)
                inside[name].append(clock.inside_ns)
                seen[name]["+".join(counter.calls)] += 1
                counts[name].append(len(counter.calls))

            return case

        print("operations: warm handlers, interleaved with the floor ...", file=sys.stderr, flush=True)
        interleave(  # for the order (A B C, B C A, ...); the samples are the handler calls' own
            {name: counted(name, operation) for name, operation in operations.items()},
            rounds=rounds,
            warmup=max(warmup, 1),  # the first event of each function is its cold start
        )
        results = [
            Operation(
                name,
                wall[name][-rounds:],
                inside[name][-rounds:],
                cpu[name][-rounds:],
                seen[name].most_common(1)[0][0],
                # the warm-up's invocations are left out: the cold start's key and MAC-key loads
                sum(counts[name][-rounds:]) / rounds,
            )
            for name in operations
        ]

        ring = session_providers.signing_keyring()
        now = time.time()
        claims = verify_access_token(token, ring, now)
        key = ring.signing_key(now)
        jwt_samples = interleave(
            {
                "sign": lambda: mint_access_token(claims, key),
                "verify": lambda: verify_access_token(token, ring, now),
            },
            rounds=max(rounds * 5, 50),
            warmup=10,
        )
    sign, verify = median(jwt_samples["sign"]), median(jwt_samples["verify"])
    jwt = Jwt(
        None if sign is None else sign / 1e3,
        None if verify is None else verify / 1e3,
        len(jwt_samples["sign"]),
        len(json.dumps({"role": "admin"}, separators=(",", ":"))),
    )
    return Results(results, jwt)
