"""What an EC2 instance type offers a node pool: architecture, vCPUs and memory, derived from the
type's name for the general purpose (m), compute (c) and memory (r) families EKS pools use."""

from __future__ import annotations

import re
from dataclasses import dataclass

# GiB of memory per vCPU of each family.
MEMORY_PER_VCPU = {"c": 2, "m": 4, "r": 8}
# vCPUs of each size; `metal` differs per generation and is left out.
VCPUS = {
    "large": 2, "xlarge": 4, "2xlarge": 8, "4xlarge": 16, "8xlarge": 32, "12xlarge": 48,
    "9xlarge": 36, "10xlarge": 40, "16xlarge": 64, "18xlarge": 72, "24xlarge": 96,
    "32xlarge": 128, "48xlarge": 192,
}  # fmt: skip
# EKS managed node group AMI types per architecture (Amazon Linux 2023).
AMI_TYPES = {"x86_64": "AL2023_x86_64_STANDARD", "arm64": "AL2023_ARM_64_STANDARD"}
ARM_AMI_MARKERS = ("ARM_64",)
_NAME = re.compile(r"^(?P<family>[a-z]+)(?P<generation>\d+)(?P<attributes>[a-z-]*)\.(?P<size>\w+)$")


@dataclass(frozen=True)
class InstanceType:
    name: str
    architecture: str  # "x86_64" or "arm64"
    vcpus: int
    memory_mib: int

    @property
    def ami_type(self) -> str:
        return AMI_TYPES[self.architecture]


def instance_type(name: str) -> InstanceType | None:
    """The type's architecture and size, or None for a type cellctl cannot size."""
    match = _NAME.match(name)
    if match is None or match["family"] not in MEMORY_PER_VCPU or match["size"] not in VCPUS:
        return None
    # Graviton types carry a `g` among their attributes: m7g, r8g, c7gn, m6gd.
    architecture = "arm64" if "g" in match["attributes"] else "x86_64"
    vcpus = VCPUS[match["size"]]
    return InstanceType(name, architecture, vcpus, vcpus * MEMORY_PER_VCPU[match["family"]] * 1024)


def ami_architecture(ami_type: str) -> str:
    """The architecture an EKS AMI type runs on."""
    return "arm64" if any(marker in ami_type for marker in ARM_AMI_MARKERS) else "x86_64"
