"""A mock resource monitor that records every registration the program makes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from google.protobuf import json_format, struct_pb2
from pulumi.runtime.mocks import MockMonitor
from pulumi.runtime.settings import get_project, get_stack

from offline.mocks import CellMocks

SECRET = "[secret]"
UNKNOWN = "[unknown]"
_SIG_KEY = "4dabf18193072939515e22adb298388d"
_SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
_RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
_UNKNOWN_VALUE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
AWS_PROVIDER = "pulumi:providers:aws"
STACK_TYPE = "pulumi:pulumi:Stack"


@dataclass(frozen=True)
class RecordedResource:
    urn: str
    type: str
    name: str
    parent: str
    provider: str
    region: str | None
    custom: bool
    protect: bool
    retain_on_delete: bool
    dependencies: tuple[str, ...]
    property_dependencies: dict[str, list[str]]
    inputs: dict[str, Any]
    aliases: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        # Only resources that were moved carry aliases; other plans keep their bytes.
        extra = {"aliases": list(self.aliases)} if self.aliases else {}
        return {
            **extra,
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "parent": self.parent,
            "provider": self.provider,
            "region": self.region,
            "custom": self.custom,
            "protect": self.protect,
            "retainOnDelete": self.retain_on_delete,
            "dependencies": list(self.dependencies),
            "propertyDependencies": self.property_dependencies,
            "inputs": self.inputs,
        }


def plain(value: Any) -> Any:
    """Engine wire values as JSON: secrets redacted, unknowns marked, references as URNs."""
    if isinstance(value, dict):
        signature = value.get(_SIG_KEY)
        if signature == _SECRET_SIG:
            return SECRET
        if signature == _RESOURCE_SIG:
            return value.get("urn", UNKNOWN)
        return {key: plain(item) for key, item in sorted(value.items())}
    if isinstance(value, list):
        return [plain(item) for item in value]
    if value == _UNKNOWN_VALUE:
        return UNKNOWN
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def plain_struct(struct: struct_pb2.Struct) -> dict[str, Any]:
    """`plain(MessageToDict(struct))` in one walk over the message: what the recorder does
    with every resource's inputs (json_format's general walk was 13% of a stack's monitor)."""
    fields = struct.fields
    if _SIG_KEY in fields:
        signature = fields[_SIG_KEY]
        if signature.string_value == _SECRET_SIG:
            return SECRET  # type: ignore[return-value]
        if signature.string_value == _RESOURCE_SIG:
            urn = fields.get("urn")
            return UNKNOWN if urn is None else json_format.MessageToDict(urn)  # type: ignore[return-value]
    return {key: _plain_value(fields[key]) for key in sorted(fields)}


def _plain_value(value: struct_pb2.Value) -> Any:
    kind = value.WhichOneof("kind")
    if kind == "string_value":
        text = value.string_value
        return UNKNOWN if text == _UNKNOWN_VALUE else text
    if kind == "struct_value":
        return plain_struct(value.struct_value)
    if kind == "list_value":
        return [_plain_value(item) for item in value.list_value.values]
    return _json_value(value)


def _json_value(value: struct_pb2.Value) -> Any:
    """A value as MessageToDict gives it, whole numbers as ints as `plain` makes them."""
    kind = value.WhichOneof("kind")
    if kind == "number_value":
        number = value.number_value
        if number != number or number in (float("inf"), float("-inf")):
            return json_format.MessageToDict(value)  # "NaN", "Infinity", as json_format spells them
        return int(number) if number.is_integer() else number
    if kind == "bool_value":
        return value.bool_value
    if kind == "string_value":
        return value.string_value
    return json_format.MessageToDict(value)


class RecordingMonitor(MockMonitor):
    def __init__(self, default_region: str) -> None:
        self.provider_regions: dict[str, str] = {}
        self.default_region = default_region
        super().__init__(CellMocks(default_region, self.provider_regions))
        self.recorded: list[RecordedResource] = []
        self.stack_urn = ""
        self.stack_outputs: dict[str, Any] = {}

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        """As the engine does: the parent's whole qualified type (the root stack's excluded)."""
        if parent:
            qualified = parent.split("::")[2]
            if qualified != STACK_TYPE:
                type_ = f"{qualified}${type_}"
        return f"urn:pulumi:{get_stack()}::{get_project()}::{type_}::{name}"

    def RegisterResource(self, request: Any) -> Any:
        urn = self.make_urn(request.parent, request.type, request.name)
        if request.type == STACK_TYPE:
            self.stack_urn = urn
            return super().RegisterResource(request)
        inputs = plain_struct(request.object)
        if request.type == AWS_PROVIDER:
            self.provider_regions[urn] = str(inputs.get("region") or self.default_region)
        response = super().RegisterResource(request)
        provider = request.provider.rsplit("::", 1)[0] if request.provider else ""
        region = None
        if request.type == AWS_PROVIDER:
            region = self.provider_regions[urn]
        elif request.type.startswith("aws:"):
            region = inputs.get("region") or self.provider_regions.get(
                provider, self.default_region
            )
        self.recorded.append(
            RecordedResource(
                urn=urn,
                type=request.type,
                name=request.name,
                parent=request.parent,
                provider=provider,
                region=region,
                custom=bool(request.custom),
                protect=bool(request.protect),
                retain_on_delete=bool(request.retainOnDelete),
                dependencies=tuple(sorted(set(request.dependencies))),
                property_dependencies={
                    prop: sorted(set(deps.urns))
                    for prop, deps in sorted(request.propertyDependencies.items())
                    if deps.urns
                },
                inputs=inputs,
                aliases=self._aliases(request),
            )
        )
        return response

    def _aliases(self, request: Any) -> tuple[str, ...]:
        """Each alias as the URN it names: what the engine matches against the old state."""
        urns = list(request.aliasURNs)
        for alias in request.aliases:
            if alias.urn:
                urns.append(alias.urn)
                continue
            spec = alias.spec
            parent = "" if spec.noParent else (spec.parentUrn or request.parent)
            urn = self.make_urn(parent, spec.type or request.type, spec.name or request.name)
            if spec.stack or spec.project:
                _, _, stack_project, rest = urn.split(":", 3)
                stack, project = stack_project.split("::")[0], rest.split("::")[0]
                urn = urn.replace(
                    f"urn:pulumi:{stack}::{project}::",
                    f"urn:pulumi:{spec.stack or stack}::{spec.project or project}::",
                    1,
                )
            urns.append(urn)
        return tuple(sorted(set(urns)))

    def RegisterResourceOutputs(self, request: Any) -> Any:
        if request.urn == self.stack_urn:
            self.stack_outputs = plain(json_format.MessageToDict(request.outputs))
        return super().RegisterResourceOutputs(request)
