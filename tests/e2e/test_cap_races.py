"""Issue 18 over HTTP, on the routes the issue names: an offline merge over the custom-claims cap
(``PATCH /sessions/{h}/payload``, answered 413) races the CDI's ``verify`` with ``checkDatabase``, the
CDI's ``regenerate`` and the native ``POST /sessions/merge``. Bounded rounds; what went wrong is
counted and must be 0. And the named limits on one request's work."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jwt
import requests

from authstate.documents.jsondoc import size
from authstate.limits import MAX_HANDLES_PER_REQUEST, MAX_UPDATE_KEYS
from authstate.recipe.session.access_tokens import PROTECTED_CLAIMS
from tests import concurrency
from tests.e2e.conftest import Api
from tests.e2e.test_cdi import ISS, cdi, create, ok

#: The server's cap (the template's default ``MaxCustomClaimsBytes``).
CAP = 4096
ROUNDS = 120
READS = 10
STAGGER = 0.01


def custom_claims(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return {key: value for key, value in claims.items() if key not in PROTECTED_CLAIMS}


def race_once(write: Callable[[], object], read: Callable[[], object]) -> None:
    concurrency.race_once(write, read, reads=READS, stagger=STAGGER)


class Round:
    """One round's session, the offline merge's answer, and the tokens minted beside it."""

    def __init__(self, api: Api, user_id: str, payload: dict[str, Any]) -> None:
        created = create(api, user_id, userDataInJWT={"iss": ISS, **payload})
        self.handle: str = created["session"]["handle"]
        self.token: str = created["accessToken"]["token"]
        self.status = 0
        self.tokens: list[str] = []
        self.wrong: list[str] = []


def offline_merge(server_url: str, handle: str, update: dict[str, Any]) -> int:
    with requests.Session() as http:
        response = Api(server_url, http).call("PATCH", f"/sessions/{handle}/payload", json={"update": update})
        return response.status_code


def run_race(
    api: Api,
    server_url: str,
    user_id: str,
    payload: dict[str, Any],
    late: dict[str, Any],
    read: Callable[[Api, Round], None],
    *,
    prepare: Callable[[Round], None] = lambda _: None,
) -> list[Round]:
    """Each round: a new session with ``payload``; ``late`` merged offline beside ``read``. In the rounds
    where the offline merge was refused, no token minted beside it may carry its keys; no token may
    carry custom claims over the cap."""
    rounds: list[Round] = []
    with requests.Session() as http:
        reader_api = Api(server_url, http)
        for _ in range(ROUNDS):
            this = Round(api, user_id, payload)
            prepare(this)

            def write(this: Round = this) -> None:
                this.status = offline_merge(server_url, this.handle, late)

            race_once(write, lambda this=this: read(reader_api, this))  # type: ignore[misc]
            for token in this.tokens:
                claims = custom_claims(token)
                if size(claims) > CAP:
                    this.wrong.append(f"a token carries {size(claims)} bytes of custom claims")
                if this.status != 200 and set(late) & set(claims):
                    this.wrong.append("a token carries a key of a refused merge")
            rounds.append(this)
    assert {this.status for this in rounds} <= {200, 413}
    return rounds


def wrong_of(rounds: list[Round]) -> list[str]:
    return [problem for this in rounds for problem in this.wrong]


def test_a_refused_offline_merge_is_never_signed_by_the_cdis_verify_with_check_database(
    api: Api, server_url: str, unique_id: str
) -> None:
    def stale(this: Round) -> None:  # the stored claims move on: the token's are stale, so verify renews
        assert offline_merge(server_url, this.handle, {"v": 1}) == 200

    def read(http: Api, this: Round) -> None:
        body = {
            "accessToken": this.token,
            "doAntiCsrfCheck": False,
            "enableAntiCsrf": False,
            "checkDatabase": True,
        }
        answer = ok(cdi(http, "POST", "/recipe/session/verify", json=body))
        if answer["status"] != "OK":
            this.wrong.append(f"verify answered {answer['status']}")
        elif "accessToken" in answer:
            this.tokens.append(answer["accessToken"]["token"])

    rounds = run_race(
        api, server_url, unique_id, {"pad": "p" * 3000}, {"refused": "r" * 1500}, read, prepare=stale
    )
    assert {this.status for this in rounds} == {413}
    assert sum(len(this.tokens) for this in rounds) >= ROUNDS
    assert wrong_of(rounds) == [], f"{len(wrong_of(rounds))} wrong in {ROUNDS} rounds: {wrong_of(rounds)[:2]}"


def test_a_refused_offline_merge_never_rides_in_the_cdis_regenerate_without_a_key(
    api: Api, server_url: str, unique_id: str
) -> None:
    """Regenerate removes ``gone``, which would make room for the offline merge had it landed first."""

    def read(http: Api, this: Round) -> None:
        body = {"accessToken": this.token, "userDataInJWT": {"iss": ISS, "pad": "p" * 1500}}
        answer = ok(cdi(http, "POST", "/recipe/session/regenerate", json=body))
        if answer["status"] != "OK":
            this.wrong.append(f"regenerate answered {answer['status']}")
        else:
            this.tokens.append(answer["accessToken"]["token"])

    payload = {"pad": "p" * 1500, "gone": "g" * 1500}
    rounds = run_race(api, server_url, unique_id, payload, {"late": "l" * 1500}, read)
    assert sum(this.status == 413 for this in rounds) >= ROUNDS // 4
    assert wrong_of(rounds) == [], f"{len(wrong_of(rounds))} wrong in {ROUNDS} rounds: {wrong_of(rounds)[:2]}"


def test_native_online_merges_that_fit_are_never_refused_beside_one_over_the_cap(
    api: Api, server_url: str, unique_id: str
) -> None:
    def read(http: Api, this: Round) -> None:
        answer = http.call(
            "POST", "/sessions/merge", json={"accessToken": this.token, "update": {"good": "g" * 900}}
        )
        if answer.status_code != 200:
            this.wrong.append(f"a merge that fits answered {answer.status_code} {answer.json().get('code')}")
        else:
            this.tokens.append(answer.json()["accessToken"]["token"])

    rounds = run_race(api, server_url, unique_id, {"pad": "p" * 2300}, {"refused": "r" * 2000}, read)
    assert {this.status for this in rounds} == {413}
    assert wrong_of(rounds) == [], f"{len(wrong_of(rounds))} wrong in {ROUNDS} rounds: {wrong_of(rounds)[:2]}"


def test_the_cdis_online_merges_that_fit_are_never_refused_beside_one_over_the_cap(
    api: Api, server_url: str, unique_id: str
) -> None:
    def read(http: Api, this: Round) -> None:
        body = {
            "accessToken": this.token,
            "userDataInJWT": {"iss": ISS, "pad": "p" * 2300, "good": "g" * 900},
        }
        answer = cdi(http, "POST", "/recipe/session/regenerate", json=body)
        if answer.status_code != 200 or answer.json()["status"] != "OK":
            this.wrong.append(f"regenerate that fits answered {answer.status_code} {answer.text[:80]}")
        else:
            this.tokens.append(answer.json()["accessToken"]["token"])

    rounds = run_race(api, server_url, unique_id, {"pad": "p" * 2300}, {"refused": "r" * 2000}, read)
    assert {this.status for this in rounds} == {413}
    assert wrong_of(rounds) == [], f"{len(wrong_of(rounds))} wrong in {ROUNDS} rounds: {wrong_of(rounds)[:2]}"


# -- bounded work per request -----------------------------------------------------------------------


def test_a_merge_of_more_root_keys_than_the_limit_is_a_named_400_on_every_merge_route(
    api: Api, unique_id: str
) -> None:
    update: dict[str, Any] = {f"n{i}": None for i in range(MAX_UPDATE_KEYS + 1)}
    created = api.call("POST", "/sessions", json={"userId": unique_id}).json()
    handle, token = created["session"]["handle"], created["accessToken"]["token"]
    answers = [
        api.call("PATCH", f"/users/{unique_id}/metadata", json={"metadataUpdate": update}),
        api.call("PATCH", f"/sessions/{handle}/payload", json={"update": update}),
        api.call("POST", "/sessions/merge", json={"accessToken": token, "update": update}),
        api.call("PATCH", f"/sessions/{handle}/data", json={"update": update}),
        api.call("PATCH", "/sessions/data", json={"accessToken": token, "update": update}),
    ]
    assert [(answer.status_code, answer.json()["code"]) for answer in answers] == [(400, "TOO_MANY_KEYS")] * 5
    at_limit = {f"n{i}": None for i in range(MAX_UPDATE_KEYS)}
    assert api.call("PATCH", f"/sessions/{handle}/data", json={"update": at_limit}).status_code == 200


def test_a_revocation_of_more_handles_than_the_limit_is_a_400_that_revokes_nothing(
    api: Api, unique_id: str
) -> None:
    created = create(api, unique_id)
    handle = created["session"]["handle"]
    handles = [handle] + [f"00000000-0000-4000-8000-{i:012d}" for i in range(MAX_HANDLES_PER_REQUEST)]
    refused = cdi(api, "POST", "/recipe/session/remove", json={"sessionHandles": handles})
    assert refused.status_code == 400
    assert f"at most {MAX_HANDLES_PER_REQUEST} sessionHandles" in refused.text
    assert ok(cdi(api, "GET", "/recipe/session", params={"sessionHandle": handle}))["status"] == "OK"
    revoked = ok(
        cdi(api, "POST", "/recipe/session/remove", json={"sessionHandles": handles[:MAX_HANDLES_PER_REQUEST]})
    )
    assert revoked == {"status": "OK", "sessionHandlesRevoked": [handle]}
