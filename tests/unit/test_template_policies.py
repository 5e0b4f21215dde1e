"""Least privilege, pinned: the exact IAM actions each function of template.yaml gets, per resource.

Changing a function's DynamoDB calls or its policy must change this table too, deliberately. Traced
from functions/<x>/app.py through the layer (``storage.table.Table``: get=GetItem, put=PutItem,
update=UpdateItem, delete=DeleteItem, query=Query):

- metadata (``recipe.usermetadata.store``): GET reads (GetItem), DELETE deletes (DeleteItem); PATCH is
  ``storage.documents.merge_document(create_if_missing)``: one UpdateItem (a merge over 200 keys reads
  first: GetItem), and a conditional PutItem for a user's first write.
- signing keys (``recipe.session.key_store.KeyRing``, partition ``signing-keys`` of the signing-keys table):
  minting (create, online merge, refresh) reads the keys with their private halves (Query) and creates
  the slot's key if missing (PutItem). Verifying and the JWKS read only the public attributes
  (``dynamodb:Attributes`` + ``Select: SPECIFIC_ATTRIBUTES``: ``[signing-keys:public]`` below), so they
  can never read a private key; the JWKS also creates keys (PutItem).
- refresh-token MAC key (``recipe.session.key_store.load_mac_key``, partition ``refresh-token-mac``):
  create and refresh read it once per warm Lambda (GetItem) and create it if absent (PutItem). Only
  these two functions may touch that partition (``dynamodb:LeadingKeys``).
- a SuperTokens core's refresh-token key (``recipe.session.core_sessions``, partition ``core-refresh-key``):
  only the functions that refresh (refresh, CDI) read it (GetItem); the importer writes it, with the
  operator's credentials, not a function's.
- sessions (``recipe.session.store.SessionStore``): create = PutItem; verify with checkDatabase = GetItem +
  an UpdateItem recording a child token's first use; payload merges = UpdateItem (a merge over 200 keys
  reads first: GetItem); refresh = UpdateItem, DeleteItem on theft; reads = GetItem; revocation =
  DeleteItem; listing = Query on the ``byUser`` index.
- session data (``SessionDataTable``, one item per session with data): create = PutItem (with data);
  reads (a session's, ``includeSessionData``) = GetItem; data writes = GetItem of the session, then
  UpdateItem of the data (GetItem first over 200 keys), PutItem for a first write or the copy of data
  moved out of a session stored before, UpdateItem on the session for a first write's expiry or that
  move, DeleteItem of what a write that raced a revocation created; refresh = UpdateItem extending
  the data's expiry, PutItem moving data out of a session stored before, DeleteItem on theft;
  revocation = DeleteItem.
- emergency rotation (``KeyRing.rotate_now``, invoked directly, no API key): reads the keys' ids
  (Query, public attributes), writes the new key (PutItem) and deletes the others (DeleteItem).
- the API key (``edge.auth``): every function but the JWKS and the rotation reads the secret
  (GetSecretValue).
- SuperTokens' Core Driver Interface (``functions/cdi``): all of the above that the SDKs' session and
  user-metadata calls need (it creates, verifies, refreshes, merges, reads and revokes).

SAM adds basic logging itself; it is not listed.
"""

from __future__ import annotations

from typing import Any

import pytest

from authstate.recipe.session.core_sessions import CORE_KEY_PARTITION
from authstate.recipe.session.key_store import MAC_KEY_PARTITION
from authstate.recipe.session.signing_keys import DEFAULT_PARTITION, PUBLIC_ATTRIBUTES
from tools.localrun.template import Template

SECRET = "ApiKeySecret"
META = "UserMetadataTable"
SESSIONS = "SessionsTable"
DATA = "SessionDataTable"
BY_USER = "SessionsTable/index/byUser"
KEYS = f"SigningKeysTable[{DEFAULT_PARTITION}]"
PUBLIC_KEYS = f"SigningKeysTable[{DEFAULT_PARTITION}:public]"
MAC_KEY = f"SigningKeysTable[{MAC_KEY_PARTITION}]"
CORE_KEY = f"SigningKeysTable[{CORE_KEY_PARTITION}]"

#: function -> resource -> actions. DynamoDB actions without the ``dynamodb:`` prefix.
EXPECTED: dict[str, dict[str, set[str]]] = {
    "UserMetadataFunction": {SECRET: {"GetSecretValue"}, META: {"GetItem", "DeleteItem"}},
    "UserMetadataUpdateFunction": {SECRET: {"GetSecretValue"}, META: {"PutItem", "UpdateItem", "GetItem"}},
    "CreateSessionFunction": {
        SECRET: {"GetSecretValue"},
        SESSIONS: {"PutItem"},
        DATA: {"PutItem"},
        KEYS: {"Query", "PutItem"},
        MAC_KEY: {"GetItem", "PutItem"},
    },
    "VerifySessionFunction": {
        SECRET: {"GetSecretValue"},
        SESSIONS: {"GetItem", "UpdateItem"},
        DATA: {"GetItem"},
        PUBLIC_KEYS: {"Query"},
    },
    "MergePayloadFunction": {
        SECRET: {"GetSecretValue"},
        SESSIONS: {"UpdateItem", "GetItem"},
        KEYS: {"Query", "PutItem"},
    },
    "UpdatePayloadFunction": {SECRET: {"GetSecretValue"}, SESSIONS: {"UpdateItem", "GetItem"}},
    "SessionDataFunction": {
        SECRET: {"GetSecretValue"},
        SESSIONS: {"UpdateItem", "GetItem"},
        DATA: {"UpdateItem", "GetItem", "PutItem", "DeleteItem"},
        PUBLIC_KEYS: {"Query"},
    },
    "RefreshSessionFunction": {
        SECRET: {"GetSecretValue"},
        SESSIONS: {"UpdateItem", "DeleteItem"},
        DATA: {"UpdateItem", "PutItem", "DeleteItem"},
        KEYS: {"Query", "PutItem"},
        MAC_KEY: {"GetItem", "PutItem"},
        CORE_KEY: {"GetItem"},
    },
    "SessionsFunction": {
        SECRET: {"GetSecretValue"},
        SESSIONS: {"GetItem", "DeleteItem"},
        DATA: {"GetItem", "DeleteItem"},
        BY_USER: {"Query"},
    },
    "JwksFunction": {PUBLIC_KEYS: {"Query"}, KEYS: {"PutItem"}},
    "RotateSigningKeysFunction": {PUBLIC_KEYS: {"Query"}, KEYS: {"PutItem", "DeleteItem"}},
    "UnroutedFunction": {},
    "CdiFunction": {
        SECRET: {"GetSecretValue"},
        SESSIONS: {"PutItem", "GetItem", "UpdateItem", "DeleteItem"},
        DATA: {"PutItem", "GetItem", "UpdateItem", "DeleteItem"},
        BY_USER: {"Query"},
        META: {"GetItem", "UpdateItem", "PutItem", "DeleteItem"},
        KEYS: {"Query", "PutItem"},
        MAC_KEY: {"GetItem", "PutItem"},
        CORE_KEY: {"GetItem"},
    },
}


#: The names of the tables as global tables (``GlobalTableNamePrefix``): ``<prefix>-<name>``.
GLOBAL_NAMES = {
    "UserMetadataTable": "user-metadata",
    "SessionsTable": "sessions",
    "SessionDataTable": "session-data",
    "SigningKeysTable": "signing-keys",
}
GLOBAL_ARN = "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${GlobalTableNamePrefix}-"


def _resource(value: Any) -> str:
    """``!GetAtt X.Arn`` -> ``X``; ``!Sub "${X.Arn}/index/i"`` -> ``X/index/i``; ``!If [UsesGlobalTables,
    <the global table's ARN>, <one of those>]`` -> the same, once both branches are seen to name the same
    table (and index); anything else fails."""
    if isinstance(value, dict) and "Fn::If" in value:
        condition, global_arn, regional = value["Fn::If"]
        assert condition == "UsesGlobalTables", value
        name = _resource(regional)
        table, _, index = name.partition("/")
        expected = GLOBAL_ARN + GLOBAL_NAMES[table] + (f"/{index}" if index else "")
        assert global_arn == {"Fn::Sub": expected}, value
        return name
    if isinstance(value, dict) and "Fn::GetAtt" in value and value["Fn::GetAtt"][1] == "Arn":
        return str(value["Fn::GetAtt"][0])
    if isinstance(value, dict) and isinstance(value.get("Fn::Sub"), str):
        text: str = value["Fn::Sub"]
        if text.startswith("${") and ".Arn}" in text:
            name, _, rest = text[2:].partition(".Arn}")
            return name + rest
    raise AssertionError(f"unexpected policy resource {value!r}: extend this test deliberately")


def _partition(condition: Any) -> str | None:
    """The one partition a ``dynamodb:LeadingKeys`` condition allows, with ``:public`` if the grant is
    also limited to the keys' public attributes; any other condition fails."""
    if condition is None:
        return None
    all_values = condition["ForAllValues:StringEquals"]
    keys = all_values["dynamodb:LeadingKeys"]
    assert isinstance(keys, list), condition
    assert len(keys) == 1, condition
    if set(condition) == {"ForAllValues:StringEquals"}:
        assert set(all_values) == {"dynamodb:LeadingKeys"}, condition
        return str(keys[0])
    assert set(condition) == {"ForAllValues:StringEquals", "StringEquals"}, condition
    assert all_values["dynamodb:Attributes"] == list(PUBLIC_ATTRIBUTES), condition
    assert "privateKey" not in all_values["dynamodb:Attributes"]
    assert condition["StringEquals"] == {"dynamodb:Select": "SPECIFIC_ATTRIBUTES"}, condition
    return f"{keys[0]}:public"


def granted(function: dict[str, Any]) -> dict[str, set[str]]:
    grants: dict[str, set[str]] = {}
    for policy in function["Properties"].get("Policies", []):
        if isinstance(policy, dict) and set(policy) == {"AWSSecretsManagerGetSecretValuePolicy"}:
            secret = policy["AWSSecretsManagerGetSecretValuePolicy"]["SecretArn"]
            assert secret == {"Ref": SECRET}
            grants.setdefault(SECRET, set()).add("GetSecretValue")
            continue
        assert isinstance(policy, dict), f"unexpected policy {policy!r}"
        assert set(policy) == {"Statement"}, f"unexpected policy {policy!r}"
        for statement in policy["Statement"]:
            assert statement["Effect"] == "Allow"
            assert set(statement) <= {"Effect", "Action", "Resource", "Condition"}, statement
            partition = _partition(statement.get("Condition"))
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            resources = (
                statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            )
            for resource in resources:
                for action in actions:
                    service, _, name = action.partition(":")
                    assert service == "dynamodb", action
                    assert "*" not in name, action
                    label = _resource(resource) + (f"[{partition}]" if partition else "")
                    grants.setdefault(label, set()).add(name)
    return grants


@pytest.fixture(scope="module")
def functions() -> dict[str, dict[str, Any]]:
    return Template.load().resources("AWS::Serverless::Function")


def test_every_function_is_in_the_table(functions: dict[str, dict[str, Any]]) -> None:
    assert set(functions) == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_function_gets_exactly_the_actions_its_code_uses(
    functions: dict[str, dict[str, Any]], name: str
) -> None:
    assert granted(functions[name]) == EXPECTED[name]


def test_signing_keys_table_is_only_reached_by_partition(functions: dict[str, dict[str, Any]]) -> None:
    """Every grant on the signing-keys table names its partition: none covers the whole table."""
    for name, function in functions.items():
        assert "SigningKeysTable" not in granted(function), name


def test_no_function_has_a_role_or_managed_policy_of_its_own(functions: dict[str, dict[str, Any]]) -> None:
    """Grants come only from the inline statements above: no Role, no managed-policy ARNs."""
    for name, function in functions.items():
        properties = function["Properties"]
        assert "Role" not in properties, name
        assert all(isinstance(policy, dict) for policy in properties.get("Policies", [])), name


def test_the_unrouted_function_knows_every_route_of_the_api() -> None:
    """The layer's list of routes (the $default function's 405 with Allow) is the one generated from the
    template's HttpApi events: `make routes` writes it again after a route is added or changed."""
    from tools.api_routes import MODULE, render

    assert MODULE.read_text() == render(), "edge/api_routes.py is stale: run `make routes`"


def test_the_generated_routes_are_every_route_of_the_template_but_default() -> None:
    from authstate.edge.api_routes import API_ROUTES

    template = Template.load()
    declared = {(route.method, route.path) for spec in template.functions() for route in spec.routes}
    assert sorted(API_ROUTES) == sorted(declared - {("ANY", "$default")})
