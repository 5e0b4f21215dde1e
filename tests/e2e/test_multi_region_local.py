"""The multi-Region option's wiring over HTTP: the local runner with ``GlobalTableNamePrefix`` and
``ReplicaRegions`` creates the global tables' local stand-ins (DynamoDB Local has no Regions) and every
function works on them, so the names in the functions' environment and the tables agree. What holds
across Regions is DynamoDB's part (design note §10), not something a local run can show."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import API_KEY, Api, api_at
from tools.localrun.dynamodb import client
from tools.localrun.process import local_server

PREFIX = "mr-e2e"
OVERRIDES = {"GlobalTableNamePrefix": PREFIX, "ReplicaRegions": "us-east-2,us-west-2"}


@pytest.fixture(scope="module")
def multi_region_api(dynamodb_endpoint: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    log: Path = tmp_path_factory.mktemp("multi-region") / "server.log"
    with (
        local_server(dynamodb_endpoint, API_KEY, log, parameter_overrides=OVERRIDES) as url,
        api_at(url) as client,
    ):
        yield client


def test_sessions_metadata_and_keys_live_in_the_global_tables(
    multi_region_api: Api, dynamodb_endpoint: str, unique_id: str
) -> None:
    created = multi_region_api.call(
        "POST", "/sessions", json={"userId": unique_id, "accessTokenPayload": {"a": 1}}
    )
    assert created.status_code == 201, created.text
    token = created.json()["accessToken"]["token"]
    verified = multi_region_api.call(
        "POST", "/sessions/verify", json={"accessToken": token, "checkDatabase": True}
    )
    assert verified.status_code == 200, verified.text
    merged = multi_region_api.call(
        "PATCH", f"/users/{unique_id}/metadata", json={"metadataUpdate": {"plan": "pro"}}
    )
    assert merged.json() == {"metadata": {"plan": "pro"}}

    dynamodb = client(dynamodb_endpoint)
    handle = created.json()["session"]["handle"]
    session = dynamodb.get_item(TableName=f"{PREFIX}-sessions", Key={"sessionHandle": {"S": handle}})
    assert session["Item"]["userId"] == {"S": unique_id}
    metadata = dynamodb.get_item(TableName=f"{PREFIX}-user-metadata", Key={"userId": {"S": unique_id}})
    assert "Item" in metadata
    keys = dynamodb.query(
        TableName=f"{PREFIX}-signing-keys",
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": "signing-keys"}},
    )
    assert keys["Count"] >= 1
