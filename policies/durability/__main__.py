"""`pulumi preview --policy-pack policies/durability` runs this: it builds the pack, no more."""

from pulumi_policy import PolicyPack

from policies.durability import PACK
from policies.offline import PACKS
from policies.packs import to_pulumi_policies
from policies.waivers import for_pack

PolicyPack(
    name=PACK.name,
    description=PACK.description,
    policies=to_pulumi_policies(PACK, for_pack(r for p in PACKS for r in p.rules)),
)
