"""Read template.yaml: the functions, their routes, the layer, the tables and the environment."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"


class _CfnLoader(yaml.SafeLoader):
    """SafeLoader that turns short-form intrinsics (!Ref, !GetAtt, !Sub, ...) into long form."""


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _intrinsic)


#: The route key of API Gateway's catch-all route (SAM: an HttpApi event with ``Path: $default``,
#: or with neither Path nor Method): it gets every request that no other route matches.
DEFAULT_ROUTE = "$default"
#: The method of a route that matches every method its path has no route of its own for.
ANY_METHOD = "ANY"


@dataclass(frozen=True)
class Route:
    method: str  # upper case, or ANY
    path: str  # API Gateway form, e.g. /users/{userId}/metadata; or $default

    @property
    def is_default(self) -> bool:
        return self.path == DEFAULT_ROUTE

    @property
    def key(self) -> str:
        """The event's ``routeKey``: ``GET /users/{userId}/metadata``, ``ANY /items``, ``$default``."""
        return DEFAULT_ROUTE if self.is_default else f"{self.method} {self.path}"

    @cached_property
    def specificity(self) -> tuple[int, ...]:
        """Sort key, most specific first, as API Gateway chooses among routes that match a path:
        segment by segment, a literal beats a ``{parameter}``, which beats a greedy ``{proxy+}``."""
        return tuple(
            2 if segment.endswith("+}") else 1 if "{" in segment else 0 for segment in self.path.split("/")
        )

    @cached_property  # compiled once, not on every request the router matches
    def pattern(self) -> re.Pattern[str]:
        regex = ""
        for part in re.split(r"(\{[^}]+\})", self.path):
            if part.startswith("{") and part.endswith("+}"):
                regex += f"(?P<{part[1:-2]}>.+)"
            elif part.startswith("{"):
                regex += f"(?P<{part[1:-1]}>[^/]+)"
            else:
                regex += re.escape(part)
        return re.compile(f"^{regex}$")


def _http_api_route(properties: dict[str, Any]) -> Route:
    """The route of one HttpApi event, as SAM reads it: no Path and no Method is the $default route."""
    path = str(properties.get("Path", DEFAULT_ROUTE))
    method = str(properties.get("Method", ANY_METHOD)).upper()
    return Route(ANY_METHOD if path == DEFAULT_ROUTE else method, path)


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    code_dir: Path
    handler: str
    environment: dict[str, str]
    routes: list[Route] = field(default_factory=list)


class ParameterError(ValueError):
    """A parameter override the template does not have, or a value its constraints refuse."""


def _number(text: str) -> Decimal | None:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def parameter_problem(name: str, spec: dict[str, Any], value: str) -> str | None:
    """Why CloudFormation would refuse ``value`` for the parameter ``name`` (its Type, AllowedValues,
    AllowedPattern, MinValue/MaxValue, MinLength/MaxLength), in its words; None if it would not."""
    refused = f"parameter {name}={value!r}"
    described = f" ({spec['ConstraintDescription']})" if "ConstraintDescription" in spec else ""
    if spec.get("Type") == "Number":
        number = _number(value)
        if number is None:
            return f"{refused} must be a number{described}"
        if "MinValue" in spec and number < Decimal(str(spec["MinValue"])):
            return f"{refused} must be a number not less than {spec['MinValue']}{described}"
        if "MaxValue" in spec and number > Decimal(str(spec["MaxValue"])):
            return f"{refused} must be a number not greater than {spec['MaxValue']}{described}"
        allowed: list[Decimal | str] = [Decimal(str(option)) for option in spec.get("AllowedValues", [])]
        candidate: Decimal | str = number
    else:
        if "MinLength" in spec and len(value) < int(spec["MinLength"]):
            return f"{refused} must contain at least {spec['MinLength']} characters{described}"
        if "MaxLength" in spec and len(value) > int(spec["MaxLength"]):
            return f"{refused} must contain at most {spec['MaxLength']} characters{described}"
        pattern = spec.get("AllowedPattern")
        if pattern is not None and re.fullmatch(str(pattern), value) is None:
            return f"{refused} must match the pattern {pattern}{described}"
        allowed = [str(option) for option in spec.get("AllowedValues", [])]
        candidate = value
    if allowed and candidate not in allowed:
        options = ", ".join(str(option) for option in spec["AllowedValues"])
        return f"{refused} must be one of AllowedValues: {options}{described}"
    return None


@dataclass(frozen=True)
class Template:
    raw: dict[str, Any]
    #: Parameter values that replace the template's defaults (as ``sam --parameter-overrides`` does).
    parameter_overrides: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path = TEMPLATE, parameter_overrides: dict[str, str] | None = None) -> Template:
        raw = yaml.load(path.read_text(), Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass
        overrides = dict(parameter_overrides or {})
        parameters = raw.get("Parameters", {})
        unknown = sorted(set(overrides) - set(parameters))
        if unknown:
            known = ", ".join(parameters)
            raise ParameterError(f"no parameter {', '.join(unknown)} in {path.name} (known: {known})")
        for name, value in overrides.items():  # checked up front, as CloudFormation does
            problem = parameter_problem(name, parameters[name], value)
            if problem is not None:
                raise ParameterError(f"{problem}, in {path.name}")
        return cls(raw, overrides)

    def resources(self, kind: str) -> dict[str, dict[str, Any]]:
        return {
            name: resource
            for name, resource in self.raw.get("Resources", {}).items()
            if resource.get("Type") == kind
        }

    def table_name(self, logical_id: str) -> str:
        properties = self.raw["Resources"][logical_id].get("Properties", {})
        return str(properties.get("TableName", logical_id))

    def tables(self) -> list[dict[str, Any]]:
        """CreateTable arguments for every AWS::DynamoDB::Table, straight from its Properties."""
        tables = []
        for logical_id, resource in self.resources("AWS::DynamoDB::Table").items():
            properties = resource["Properties"]
            arguments: dict[str, Any] = {
                "TableName": self.table_name(logical_id),
                "AttributeDefinitions": properties["AttributeDefinitions"],
                "KeySchema": properties["KeySchema"],
                "BillingMode": properties.get("BillingMode", "PAY_PER_REQUEST"),
            }
            indexes = properties.get("GlobalSecondaryIndexes")
            if indexes:
                arguments["GlobalSecondaryIndexes"] = [
                    {key: index[key] for key in ("IndexName", "KeySchema", "Projection")} for index in indexes
                ]
            ttl = properties.get("TimeToLiveSpecification")
            if ttl:
                arguments["_ttl_attribute"] = ttl["AttributeName"]
            tables.append(arguments)
        return tables

    def layer_dirs(self) -> list[Path]:
        return [
            ROOT / resource["Properties"]["ContentUri"]
            for resource in self.resources("AWS::Serverless::LayerVersion").values()
        ]

    def parameter(self, name: str) -> str:
        """A parameter's value: its override, else its default."""
        return self.parameter_overrides.get(name, str(self.raw["Parameters"][name].get("Default", "")))

    def _resolve(self, value: Any) -> str | None:
        """An environment value: literals, Refs to tables (their names) and parameters (defaults).
        Refs to anything else (e.g. the API-key secret) have no local meaning: None drops them."""
        if isinstance(value, str | int | float):
            return str(value)
        if isinstance(value, dict) and "Ref" in value:
            name = value["Ref"]
            resource = self.raw.get("Resources", {}).get(name)
            if resource is not None:
                return self.table_name(name) if resource["Type"] == "AWS::DynamoDB::Table" else None
            parameter = self.raw.get("Parameters", {}).get(name)
            if parameter is None:
                return None
            return self.parameter(name)
        return None

    def functions(self) -> list[FunctionSpec]:
        globals_ = self.raw.get("Globals", {}).get("Function", {})
        global_env = globals_.get("Environment", {}).get("Variables", {})
        specs = []
        for logical_id, resource in self.resources("AWS::Serverless::Function").items():
            properties = resource["Properties"]
            variables = {**global_env, **properties.get("Environment", {}).get("Variables", {})}
            environment = {
                k: v for k, v in ((k, self._resolve(v)) for k, v in variables.items()) if v is not None
            }
            routes = [
                _http_api_route(event.get("Properties") or {})
                for event in (properties.get("Events") or {}).values()
                if event.get("Type") == "HttpApi"
            ]
            specs.append(
                FunctionSpec(
                    logical_id=logical_id,
                    code_dir=ROOT / properties["CodeUri"],
                    handler=properties.get("Handler", globals_.get("Handler", "app.lambda_handler")),
                    environment=environment,
                    routes=routes,
                )
            )
        return specs

    def function_serving(self, route_key: str) -> str | None:
        """The logical id of the function whose HttpApi event has this route key, if any."""
        for spec in self.functions():
            if any(route.key == route_key for route in spec.routes):
                return spec.logical_id
        return None

    def function(self, logical_id: str) -> FunctionSpec:
        for spec in self.functions():
            if spec.logical_id == logical_id:
                return spec
        known = ", ".join(spec.logical_id for spec in self.functions())
        raise KeyError(f"no function {logical_id!r} in template.yaml (known: {known})")
