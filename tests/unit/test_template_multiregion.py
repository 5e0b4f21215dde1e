"""The multi-Region option of template.yaml (design note §10): off by default; on, the four tables are
DynamoDB global tables with multi-Region strong consistency, shaped exactly as the regional ones, and
everything that names a table names the global one. ``make sam-validate`` and ``make checkov`` check the
template with the option off and each variant of tools/template_variants.py with it on."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tools.localrun.template import Template
from tools.template_variants import VARIANTS, variant

REGIONAL = {
    "UserMetadataTable": "user-metadata",
    "SessionsTable": "sessions",
    "SessionDataTable": "session-data",
    "SigningKeysTable": "signing-keys",
}
GLOBAL = {
    "UserMetadataTable": "UserMetadataGlobalTable",
    "SessionsTable": "SessionsGlobalTable",
    "SessionDataTable": "SessionDataGlobalTable",
    "SigningKeysTable": "SigningKeysGlobalTable",
}
ENVIRONMENT = {
    "UserMetadataTable": "USER_METADATA_TABLE",
    "SessionsTable": "SESSIONS_TABLE",
    "SessionDataTable": "SESSION_DATA_TABLE",
    "SigningKeysTable": "SIGNING_KEYS_TABLE",
}


def names(template: Template) -> dict[str, str]:
    environment = template.function("CreateSessionFunction").environment
    return {table: environment[variable] for table, variable in ENVIRONMENT.items()}


def test_off_by_default_the_tables_are_the_stacks_own(template: Template) -> None:
    assert not template.condition("UsesGlobalTables")
    assert [table["TableName"] for table in template.tables()] == list(REGIONAL)
    assert names(template) == {table: table for table in REGIONAL}  # locally, a table's name is its id


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_on_every_function_names_the_global_tables(name: str) -> None:
    overridden = Template.load(parameter_overrides=dict(VARIANTS[name]))
    assert overridden.condition("UsesGlobalTables")
    expected = {table: f"authstate-{suffix}" for table, suffix in REGIONAL.items()}
    for spec in overridden.functions():
        environment = spec.environment
        assert {table: environment.get(variable) for table, variable in ENVIRONMENT.items()} == expected
    created = [table["TableName"] for table in overridden.tables()]  # locally: stand-ins, no Regions
    creates = "ReplicaRegions" in VARIANTS[name]
    assert created == (list(expected.values()) if creates else [])
    assert overridden.condition("CreatesGlobalTables") is creates


@pytest.mark.parametrize("regional", sorted(REGIONAL))
def test_each_global_table_is_its_regional_twin_with_strong_consistency(
    template: Template, regional: str
) -> None:
    twin = template.raw["Resources"][regional]
    table = template.raw["Resources"][GLOBAL[regional]]
    assert (twin["Condition"], table["Condition"]) == ("UsesRegionalTables", "CreatesGlobalTables")
    assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == "Retain"
    properties = table["Properties"]
    assert properties["MultiRegionConsistency"] == "STRONG"
    assert properties["TableName"] == {"Fn::Sub": f"${{GlobalTableNamePrefix}}-{REGIONAL[regional]}"}
    same = ("AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes", "BillingMode")
    assert {key: properties.get(key) for key in same} == {key: twin["Properties"].get(key) for key in same}
    assert "TimeToLiveSpecification" not in properties  # MRSC tables have no TTL (design note §10)


def test_three_regions_as_mrsc_takes_them_two_or_three_replicas_and_a_witness(template: Template) -> None:
    for logical_id in GLOBAL.values():
        properties = template.raw["Resources"][logical_id]["Properties"]
        first, second, third = properties["Replicas"]
        assert first["Region"] == {"Ref": "AWS::Region"}
        assert second["Region"] == {"Fn::Select": [0, {"Ref": "ReplicaRegions"}]}
        condition, without, replica = third["Fn::If"]
        assert (condition, without) == ("HasWitnessRegion", {"Ref": "AWS::NoValue"})
        assert replica["Region"] == {"Fn::Select": [1, {"Ref": "ReplicaRegions"}]}
        for spec in (first, second, replica):
            assert spec["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
        assert properties["GlobalTableWitnesses"] == {
            "Fn::If": ["HasWitnessRegion", [{"Region": {"Ref": "WitnessRegion"}}], {"Ref": "AWS::NoValue"}]
        }


def references(node: Any, guarded: bool = False) -> list[tuple[str, bool]]:
    """Each mention of a regional table (Ref, GetAtt, Sub): whether ``!If UsesGlobalTables`` holds it."""
    found: list[tuple[str, bool]] = []
    if isinstance(node, list):
        for item in node:
            found += references(item, guarded)
    elif isinstance(node, dict):
        if "Fn::If" in node and node["Fn::If"][0] == "UsesGlobalTables":
            guarded = True
        for key, value in node.items():
            if key == "Ref" and value in REGIONAL:
                found.append((value, guarded))
            elif key == "Fn::GetAtt" and value[0] in REGIONAL:
                found.append((value[0], guarded))
            elif key == "Fn::Sub":
                text = value if isinstance(value, str) else value[0]
                found += [(table, guarded) for table in REGIONAL if re.search(rf"\$\{{{table}[.}}]", text)]
                if not isinstance(value, str):
                    found += references(value[1], guarded)
            else:
                found += references(value, guarded)
    return found


def test_nothing_names_a_regional_table_but_through_the_option(template: Template) -> None:
    """With the option on the regional tables do not exist: a bare Ref to one would fail the deploy."""
    found = references({k: v for k, v in template.raw.items() if k != "Conditions"})
    assert len(found) > 30
    assert [table for table, guarded in found if not guarded] == []


def test_eventual_consistency_is_not_an_option(template: Template) -> None:
    consistency = [
        resource["Properties"].get("MultiRegionConsistency")
        for resource in template.raw["Resources"].values()
        if resource["Type"] == "AWS::DynamoDB::GlobalTable"
    ]
    assert consistency == ["STRONG"] * len(GLOBAL)
    assert not [name for name in template.raw["Parameters"] if "Consistency" in name]


def test_the_variants_are_the_template_with_other_defaults(template: Template) -> None:
    on = variant(VARIANTS["multi-region-witness"], template)
    assert on["Resources"] == template.raw["Resources"]
    assert {name: on["Parameters"][name]["Default"] for name in VARIANTS["multi-region-witness"]} == {
        "GlobalTableNamePrefix": "authstate",
        "ReplicaRegions": "us-east-2",
        "WitnessRegion": "us-west-2",
    }
