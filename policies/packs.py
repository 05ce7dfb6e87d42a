"""Packs: which rules, at which enforcement level; and running them through pulumi-policy."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from policies.core import UNKNOWN, Resource, Rule, Stack, is_unknown
from policies.waivers import Waivers

MANDATORY = "mandatory"
ADVISORY = "advisory"
DISABLED = "disabled"


@dataclass(frozen=True)
class Pack:
    name: str
    version: str
    description: str
    levels: Mapping[str, str]  # rule name -> enforcement level; the pack, not the rule, decides
    rules: Sequence[Rule]

    def level(self, rule: Rule) -> str:
        return self.levels[rule.name]


def plain(value: Any) -> Any:
    """pulumi-policy's props (an unknown-checking proxy) as plain data with unknowns marked."""
    from pulumi_policy.proxy import UnknownValueError

    if isinstance(value, Mapping):
        result = {}
        for key in list(value.keys()):
            try:
                result[key] = plain(value[key])
            except UnknownValueError:
                result[key] = UNKNOWN
        return result
    if isinstance(value, Sequence) and not isinstance(value, str):
        items = []
        for index in range(len(value)):
            try:
                items.append(plain(value[index]))
            except UnknownValueError:
                items.append(UNKNOWN)
        return items
    return UNKNOWN if is_unknown(value) else value


def _region(provider: Any) -> str | None:
    if provider is None:
        return None
    try:
        region = provider.props.get("region")
    except Exception:
        return None
    return region if isinstance(region, str) and not is_unknown(region) else None


def to_pulumi_policies(pack: Pack, waivers: Waivers) -> list[Any]:
    """The pack's rules as pulumi-policy policies, for `pulumi preview --policy-pack`."""
    from pulumi_policy import (
        EnforcementLevel,
        PolicyConfigSchema,
        ResourceValidationPolicy,
        Severity,
        StackValidationPolicy,
    )

    policies: list[Any] = []
    for rule in pack.rules:
        common = {
            "name": rule.name,
            "description": rule.description,
            "enforcement_level": EnforcementLevel(pack.level(rule)),
            "config_schema": PolicyConfigSchema(properties=dict(rule.config))
            if rule.config
            else None,
            "severity": Severity(rule.severity),
            "remediation_steps": rule.remediation,
        }
        if rule.kind == "resource":
            policies.append(
                ResourceValidationPolicy(validate=_resource_validation(rule, waivers), **common)
            )
        else:
            policies.append(
                StackValidationPolicy(validate=_stack_validation(rule, waivers), **common)
            )
    return policies


def _resource_validation(rule: Rule, waivers: Waivers) -> Any:
    def validate(args: Any, report_violation: Any) -> None:
        resource = Resource(
            type=args.resource_type,
            name=args.name,
            urn=args.urn,
            props=plain(args.props),
            protect=bool(args.opts.protect),
            region=_region(args.provider),
            parent=args.opts.parent or "",
        )
        if not rule.applies_to(resource):
            return

        def report(message: str, subject: Resource | None) -> None:
            if not waivers.covers(rule, subject or resource):
                report_violation(message, None)

        rule.run(resource, {**rule.defaults(), **args.get_config()}, report)

    return validate


def _stack_validation(rule: Rule, waivers: Waivers) -> Any:
    def validate(args: Any, report_violation: Any) -> None:
        stack = Stack(
            tuple(
                Resource(
                    type=r.resource_type,
                    name=r.name,
                    urn=r.urn,
                    props=plain(r.props),
                    protect=bool(r.opts.protect),
                    region=_region(r.provider),
                    parent=r.parent.urn if r.parent is not None else "",
                    dependencies=tuple(d.urn for d in r.dependencies),
                    property_dependencies={
                        k: tuple(d.urn for d in v) for k, v in r.property_dependencies.items()
                    },
                )
                for r in args.resources
            )
        )

        def report(message: str, subject: Resource | None) -> None:
            if subject is None or not waivers.covers(rule, subject):
                report_violation(message, subject.urn if subject else None)

        rule.run(stack, {**rule.defaults(), **args.get_config()}, report)

    return validate
