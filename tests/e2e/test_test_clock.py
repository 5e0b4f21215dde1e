"""The local runner's test clock (``serve --test-clock``): a test moves the time every function sees, so
a rule's time passes at once; a server started without it has no such route."""

from __future__ import annotations

from tests.e2e.calls import create, outcome, verify
from tests.e2e.conftest import Api


def test_moving_the_clock_past_an_access_token_s_expiry_expires_it_and_moving_it_back_does_not(
    clocked_api: Api, unique_id: str
) -> None:
    created = create(clocked_api, unique_id)
    token = created["accessToken"]["token"]
    lifetime = (created["accessToken"]["expiry"] - created["accessToken"]["createdTime"]) // 1000
    moved = clocked_api.call("PUT", "/_localrun/clock", json={"offsetSeconds": lifetime + 1}, key=None)
    expired = verify(clocked_api, token)
    back = clocked_api.call("PUT", "/_localrun/clock", json={"offsetSeconds": 0}, key=None)
    assert [moved.json(), outcome(expired), back.json(), outcome(verify(clocked_api, token))] == [
        {"offsetSeconds": float(lifetime + 1)},
        (401, "TOKEN_EXPIRED"),
        {"offsetSeconds": 0.0},
        (200, None),
    ]


def test_a_clock_offset_that_is_not_a_number_is_a_400(clocked_api: Api) -> None:
    refused = clocked_api.call("PUT", "/_localrun/clock", json={"offsetSeconds": "soon"}, key=None)
    read = clocked_api.call("GET", "/_localrun/clock", key=None)
    assert (refused.status_code, read.json()) == (400, {"offsetSeconds": 0.0})


def test_a_server_without_the_test_clock_has_no_clock_route(api: Api) -> None:
    response = api.call("PUT", "/_localrun/clock", json={"offsetSeconds": 3600})
    assert outcome(response) == (404, "ROUTE_NOT_FOUND")
