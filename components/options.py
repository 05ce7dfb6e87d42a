"""Resource options every component uses, so that protection is decided in one place."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi


def child(
    parent: pulumi.Resource,
    *,
    provider: pulumi.ProviderResource | None = None,
    depends_on: Sequence[pulumi.Resource] | None = None,
) -> pulumi.ResourceOptions:
    return pulumi.ResourceOptions(parent=parent, provider=provider, depends_on=depends_on)


def stateful(
    parent: pulumi.Resource,
    production: bool,
    *,
    retain: bool = False,
    provider: pulumi.ProviderResource | None = None,
    depends_on: Sequence[pulumi.Resource] | None = None,
) -> pulumi.ResourceOptions:
    """Options for a resource that holds state: never deleted or replaced silently in production."""
    return pulumi.ResourceOptions(
        parent=parent,
        provider=provider,
        depends_on=depends_on,
        protect=production,
        retain_on_delete=production and retain,
    )
