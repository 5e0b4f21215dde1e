"""Build DynamoDB UpdateItem arguments without ever pasting a name or value into the expression.

Documents (metadata, access-token payload, session data) live in one map attribute each, one map
entry per root-level key, each entry holding the value as JSON text. A root-level merge therefore
becomes ``SET #doc.#k = :v`` for every kept key and ``REMOVE #doc.#k`` for every null, so two
concurrent updates of different keys touch different paths and both survive.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from authstate.documents.jsondoc import StoredJson, dumps

type AttributeValue = dict[str, Any]
#: An item as DynamoDB's low-level API writes it (attribute name to attribute value).
type Item = dict[str, Any]

#: DynamoDB's own expression limits (bytes of one expression string; clauses are kept well under its
#: 300 operators). Merges are cut into parts that fit (``MERGE_KEYS_PER_UPDATE``), so these only guard.
DYNAMODB_MAX_EXPRESSION_BYTES = 4096
MAX_EXPRESSION_CLAUSES = 250


class ExpressionTooLarge(Exception):
    """The expression would break DynamoDB's limits: a bug, since merges are split into parts."""


def encode_value(value: Any) -> AttributeValue:
    """One root-level value as stored: its canonical JSON text."""
    return {"S": dumps(value)}


def encode_document(document: Mapping[str, Any]) -> AttributeValue:
    """A whole document as a DynamoDB map of JSON texts."""
    return {"M": {key: encode_value(value) for key, value in document.items()}}


def decode_document(attribute: AttributeValue | None) -> dict[str, Any]:
    """The inverse of :func:`encode_document`, values left as their stored text (never parsed here);
    a missing attribute is the empty document. DynamoDB keeps no order in a map: keys come back sorted."""
    if attribute is None:
        return {}
    entries = attribute["M"]
    return {key: StoredJson(entries[key]["S"]) for key in sorted(entries)}


@dataclass
class UpdateBuilder:
    """Accumulates SET/REMOVE/ADD clauses and a condition with generated placeholders."""

    _names: dict[str, str] = field(default_factory=dict)
    _values: dict[str, AttributeValue] = field(default_factory=dict)
    _set: list[str] = field(default_factory=list)
    _remove: list[str] = field(default_factory=list)
    _add: list[str] = field(default_factory=list)
    _conditions: list[str] = field(default_factory=list)
    _name_of: dict[str, str] = field(default_factory=dict)

    def name(self, attribute: str) -> str:
        """Placeholder for an attribute or map key name (deduplicated)."""
        placeholder = self._name_of.get(attribute)
        if placeholder is None:
            placeholder = f"#{len(self._names)}"
            self._name_of[attribute] = placeholder
            self._names[placeholder] = attribute
        return placeholder

    def value(self, value: AttributeValue) -> str:
        placeholder = f":{len(self._values)}"
        self._values[placeholder] = value
        return placeholder

    def set(self, path: str, value: AttributeValue) -> UpdateBuilder:
        self._set.append(f"{path}={self.value(value)}")
        return self

    def set_expression(self, path: str, expression: str) -> UpdateBuilder:
        """SET with a right-hand side already made of placeholders (e.g. ``if_not_exists``)."""
        self._set.append(f"{path}={expression}")
        return self

    def remove(self, path: str) -> UpdateBuilder:
        self._remove.append(path)
        return self

    def add(self, path: str, value: AttributeValue) -> UpdateBuilder:
        self._add.append(f"{path} {self.value(value)}")
        return self

    def condition(self, expression: str) -> UpdateBuilder:
        """AND another condition; the expression must use placeholders from this builder."""
        self._conditions.append(expression)
        return self

    def merge_document(self, attribute: str, update: Mapping[str, Any]) -> UpdateBuilder:
        """Root-level merge of ``update`` into the map ``attribute`` (which must exist)."""
        document = self.name(attribute)
        for key, value in update.items():
            path = f"{document}.{self.name(key)}"
            if value is None:
                self.remove(path)
            else:
                self.set(path, encode_value(value))
        return self

    def bump_version(self, attribute: str = "version") -> UpdateBuilder:
        """Every write increments the item's version (a change counter for conditional writes)."""
        return self.add(self.name(attribute), {"N": "1"})

    def build(self) -> dict[str, Any]:
        """Keyword arguments for ``client.update_item`` (without TableName/Key)."""
        sections = []
        if self._set:
            sections.append("SET " + ",".join(self._set))
        if self._remove:
            sections.append("REMOVE " + ",".join(self._remove))
        if self._add:
            sections.append("ADD " + ",".join(self._add))
        expression = " ".join(sections)
        condition = " AND ".join(f"({c})" for c in self._conditions)
        clauses = len(self._set) + len(self._remove) + len(self._add) + len(self._conditions)
        size = max(len(expression.encode()), len(condition.encode()))
        if size > DYNAMODB_MAX_EXPRESSION_BYTES or clauses > MAX_EXPRESSION_CLAUSES:
            raise ExpressionTooLarge(f"{clauses} clauses, {size} bytes")
        arguments: dict[str, Any] = {"UpdateExpression": expression, "ExpressionAttributeNames": self._names}
        if self._values:
            arguments["ExpressionAttributeValues"] = self._values
        if condition:
            arguments["ConditionExpression"] = condition
        return arguments
