"""Read template.yaml: the functions, their routes, the layer, the tables and the environment."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
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
    if suffix == "Condition":  # a condition named inside another one's definition
        return {"Condition": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _intrinsic)


_TABLE_TYPES = ("AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable")
#: Pseudo parameters the functions' environment may name: the local stack is called as samconfig.toml's.
PSEUDO_PARAMETERS = {"AWS::StackName": "authstate"}

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
        """Its TableName (a parameter's value substituted, as for the global tables), else its logical id."""
        properties = self.raw["Resources"][logical_id].get("Properties", {})
        if "TableName" not in properties:
            return logical_id
        return str(self._value(properties["TableName"]))

    def parameter(self, name: str) -> str:
        """A parameter's value: its override, else its default."""
        if name in PSEUDO_PARAMETERS:
            return PSEUDO_PARAMETERS[name]
        return self.parameter_overrides.get(name, str(self.raw["Parameters"][name].get("Default", "")))

    def condition(self, name: str) -> bool:
        """A condition of the template, evaluated with the parameters' values (as CloudFormation does)."""
        return bool(self._value(self.raw["Conditions"][name]))

    def _exists(self, resource: dict[str, Any]) -> bool:
        return "Condition" not in resource or self.condition(resource["Condition"])

    def _value(self, node: Any) -> Any:
        """The value of an expression made of what conditions, names and environment values use: Ref
        (parameters, pseudo parameters, tables), Fn::Equals/Not/And/Or/If/Join and Fn::Sub of parameters.
        Anything else has no local meaning: None."""
        if isinstance(node, str | int | float | bool) or node is None:
            return node
        if isinstance(node, list):
            return [self._value(item) for item in node]
        if not (isinstance(node, dict) and len(node) == 1):
            return None
        ((function, argument),) = node.items()
        if function == "Ref":
            resource = self.raw.get("Resources", {}).get(argument)
            if resource is not None:
                return self.table_name(argument) if resource["Type"] in _TABLE_TYPES else None
            if argument not in PSEUDO_PARAMETERS and argument not in self.raw.get("Parameters", {}):
                return None
            value = self.parameter(argument)
            kind = self.raw.get("Parameters", {}).get(argument, {}).get("Type")
            return value.split(",") if kind == "CommaDelimitedList" else value
        if function == "Condition":
            return self.condition(argument)
        if function == "Fn::Equals":
            first, second = (self._value(item) for item in argument)
            return str(first) == str(second)
        if function == "Fn::Not":
            return not self._value(argument[0])
        if function == "Fn::And":
            return all(self._value(item) for item in argument)
        if function == "Fn::Or":
            return any(self._value(item) for item in argument)
        if function == "Fn::If":
            name, then, otherwise = argument
            return self._value(then if self.condition(name) else otherwise)
        if function == "Fn::Join":
            separator, items = argument
            values = self._value(items)
            return None if values is None or None in values else separator.join(str(v) for v in values)
        if function == "Fn::Sub" and isinstance(argument, str):
            names = re.findall(r"\$\{([^}!]+)\}", argument)
            values = {name: self._value({"Ref": name}) for name in names}
            if any(value is None for value in values.values()):
                return None
            return re.sub(r"\$\{([^}!]+)\}", lambda match: str(values[match[1]]), argument)
        return None

    def tables(self) -> list[dict[str, Any]]:
        """CreateTable arguments for every table the parameters give the stack (an AWS::DynamoDB::Table,
        or a global table's local stand-in: DynamoDB Local has no Regions), from its Properties."""
        tables = []
        for logical_id, resource in self.raw.get("Resources", {}).items():
            if resource.get("Type") not in _TABLE_TYPES or not self._exists(resource):
                continue
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

    def _resolve(self, value: Any) -> str | None:
        """An environment value: literals, table names, parameters, the stack's name, conditional ones.
        Refs to anything else (e.g. the API-key secret) have no local meaning: None drops them."""
        resolved = self._value(value)
        return None if resolved is None or isinstance(resolved, list) else str(resolved)

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
