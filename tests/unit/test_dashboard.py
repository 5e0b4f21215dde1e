"""template.yaml's dashboard and alarms against the metrics the code publishes: a metric a function emits
that no widget shows, or a widget (or alarm) of a metric nothing emits, fails here, so neither drifts.

What the code publishes is read from the code itself: every ``add_metric(name="...")`` in functions/ and
the layer (a name that is not a literal fails, unless it is a security event's), the security events'
metrics, and Powertools' ``ColdStart`` where a handler captures it."""

from __future__ import annotations

import ast
import json
import re
from typing import Any

import pytest

from authstate.security import SecurityEvent
from tools.localrun.template import ROOT, Template

NAMESPACE = "Authstate"
CODE = [*sorted((ROOT / "functions").glob("*/app.py")), *sorted((ROOT / "layers/authstate").rglob("*.py"))]
#: The one place a metric name is not a literal: ``security.report`` publishes ``event.metric``.
SECURITY_MODULE = ROOT / "layers/authstate/authstate/security.py"


def published_metrics() -> set[str]:
    names: set[str] = {event.metric for event in SecurityEvent}
    for path in CODE:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Call):
                continue
            keywords = {keyword.arg: keyword.value for keyword in node.keywords}
            if isinstance(node.func, ast.Attribute) and node.func.attr == "add_metric":
                name = keywords.get("name", node.args[0] if node.args else None)
                if isinstance(name, ast.Constant) and isinstance(name.value, str):
                    names.add(name.value)
                else:
                    assert path == SECURITY_MODULE, (
                        f"{path}:{node.lineno}: a metric name that is not a literal"
                    )
            captured = keywords.get("capture_cold_start_metric")
            if isinstance(captured, ast.Constant) and captured.value is True:
                names.add("ColdStart")  # Powertools' own, with function_name and service dimensions
    return names


def _placeholders(text: str) -> str:
    """``${X}`` -> ``<X>``: the body as JSON, each Sub variable still named."""
    return re.sub(r"\$\{([^}]+)\}", lambda match: f"<{match[1]}>", text)


@pytest.fixture(scope="module")
def dashboard(template: Template) -> dict[str, Any]:
    (resource,) = template.resources("AWS::CloudWatch::Dashboard").values()
    assert resource["Properties"]["DashboardName"] == {"Ref": "AWS::StackName"}
    text, _ = resource["Properties"]["DashboardBody"]["Fn::Sub"]
    body: dict[str, Any] = json.loads(_placeholders(text))
    return body


@pytest.fixture(scope="module")
def variables(template: Template) -> dict[str, Any]:
    (resource,) = template.resources("AWS::CloudWatch::Dashboard").values()
    _, names = resource["Properties"]["DashboardBody"]["Fn::Sub"]
    return dict(names)


def metric_lines(dashboard: dict[str, Any]) -> list[tuple[dict[str, Any], list[Any]]]:
    """Every metric of every widget, with its widget's properties."""
    return [
        (widget["properties"], line)
        for widget in dashboard["widgets"]
        if widget["type"] == "metric"
        for line in widget["properties"]["metrics"]
    ]


def dimensions(line: list[Any]) -> dict[str, str]:
    plain = [part for part in line[2:] if isinstance(part, str)]
    return dict(zip(plain[::2], plain[1::2], strict=True))


def dashboard_metrics(dashboard: dict[str, Any]) -> set[str]:
    """The names of every metric of the code's namespace the dashboard shows (lines and searches)."""
    names = set()
    for _, line in metric_lines(dashboard):
        if isinstance(line[0], dict):
            expression = line[0]["expression"]
            if "{" + NAMESPACE in expression:
                names.update(re.findall(r'MetricName="(\w+)"', expression))
        elif line[0] == NAMESPACE:
            names.add(line[1])
    return names


def test_the_dashboard_shows_exactly_the_metrics_the_code_publishes(dashboard: dict[str, Any]) -> None:
    published = published_metrics()
    assert {"SessionCreated", "SessionRefreshed", "TokenTheftDetected", "ColdStart"} <= published
    assert dashboard_metrics(dashboard) == published


def test_its_metrics_are_the_functions_namespace_and_this_stacks_service(
    template: Template, dashboard: dict[str, Any]
) -> None:
    environment = template.raw["Globals"]["Function"]["Environment"]["Variables"]
    assert environment["POWERTOOLS_METRICS_NAMESPACE"] == NAMESPACE
    assert environment["POWERTOOLS_SERVICE_NAME"] == {"Ref": "AWS::StackName"}
    custom = [line for _, line in metric_lines(dashboard) if line[0] == NAMESPACE]
    assert custom
    for line in custom:
        assert dimensions(line)["service"] == "<AWS::StackName>", line


def test_every_function_has_its_p50_p99_and_cold_start_lines(
    template: Template, dashboard: dict[str, Any]
) -> None:
    functions = {f"<{spec.logical_id}>" for spec in template.functions()}
    shown: dict[str, set[str]] = {"p50": set(), "p99": set(), "ColdStart": set()}
    for properties, line in metric_lines(dashboard):
        if line[:2] == ["AWS/Lambda", "Duration"]:
            shown[properties["stat"]].add(dimensions(line)["FunctionName"])
        elif line[:2] == [NAMESPACE, "ColdStart"]:
            shown["ColdStart"].add(dimensions(line)["function_name"])
    assert shown == {"p50": functions, "p99": functions, "ColdStart": functions}


def test_every_table_has_its_capacity_and_throttle_lines(
    template: Template, dashboard: dict[str, Any], variables: dict[str, Any]
) -> None:
    tables = set(template.resources("AWS::DynamoDB::Table"))
    shown: dict[str, set[str]] = {}
    for _, line in metric_lines(dashboard):
        if line[0] == "AWS/DynamoDB":
            variable = dimensions(line)["TableName"].strip("<>")
            shown.setdefault(line[1], set()).add(table_of(variables[variable]))
    metrics = [
        "ConsumedReadCapacityUnits",
        "ConsumedWriteCapacityUnits",
        "ReadThrottleEvents",
        "WriteThrottleEvents",
    ]
    assert shown == dict.fromkeys(metrics, tables)


def table_of(value: Any) -> str:
    """The table a Sub variable names: ``!Ref Table``, or ``!If [cond, <global name>, !Ref Table]``."""
    if "Fn::If" in value:
        value = value["Fn::If"][2]
    return str(value["Ref"])


def test_the_api_widgets_search_this_apis_routes(dashboard: dict[str, Any]) -> None:
    searched = {
        re.search(r'MetricName="(\w+)"', line[0]["expression"])[1]  # type: ignore[index]
        for _, line in metric_lines(dashboard)
        if isinstance(line[0], dict) and "{AWS/ApiGateway,ApiId,Stage,Route}" in line[0]["expression"]
    }
    assert searched == {"Count", "4xx", "5xx"}
    for _, line in metric_lines(dashboard):
        if isinstance(line[0], dict):
            assert 'ApiId="<HttpApi>"' in line[0]["expression"]


def test_alarms_watch_published_metrics_and_notify_the_topic(
    template: Template, dashboard: dict[str, Any]
) -> None:
    alarms = template.resources("AWS::CloudWatch::Alarm")
    ours = {
        name: alarm["Properties"]
        for name, alarm in alarms.items()
        if alarm["Properties"].get("Namespace") == NAMESPACE
    }
    assert {name: properties["MetricName"] for name, properties in ours.items()} == {
        "TokenTheftAlarm": SecurityEvent.TOKEN_THEFT.metric,
        "InvalidApiKeyAlarm": SecurityEvent.INVALID_API_KEY.metric,
        "TokenSignatureInvalidAlarm": SecurityEvent.TOKEN_SIGNATURE_INVALID.metric,
    }
    for properties in ours.values():
        assert properties["Dimensions"] == [{"Name": "service", "Value": {"Ref": "AWS::StackName"}}]
        assert properties["Threshold"]["Ref"] in template.raw["Parameters"]  # documented, tunable
    for alarm in alarms.values():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": "AlarmTopic"}]
    (listed,) = [widget for widget in dashboard["widgets"] if widget["type"] == "alarm"]
    assert sorted(listed["properties"]["alarms"]) == sorted(f"<{name}.Arn>" for name in alarms)


def test_published_metric_names_are_read_from_real_calls() -> None:
    """The collector sees the calls it should: a handler's literal, the security module's one dynamic call."""
    source = (ROOT / "functions/refresh_session/app.py").read_text()
    assert 'add_metric(name="SessionRefreshed"' in source
    assert "add_metric(name=event.metric" in SECURITY_MODULE.read_text()
