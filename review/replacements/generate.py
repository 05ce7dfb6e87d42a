"""Regenerate the replacement rules from the providers' own sources.

    python -m review.replacements.generate \
        --aws-index <git dir of lonegunmanb/terraform-provider-aws-index> --aws-ref v6.58.0 \
        --kubernetes <git dir of pulumi/pulumi-kubernetes> --kubernetes-ref <commit or tag>

AWS: terraform-provider-aws marks the arguments that force a new resource (`ForceNew: true` in
SDKv2 schemas, `RequiresReplace…()` plan modifiers in framework schemas; pulumi-aws bridges both).
The schema functions are read from an index that copies each release's schema source per resource
type (the full provider repository is too large to mirror here). Terraform names become pulumi-aws
property names by checking the installed pulumi-aws SDK, the version this project pins.

Kubernetes: pulumi-kubernetes' `forceNewProperties` (provider/pkg/provider/diff.go) and the Helm
Release's `forceNewFields` (helm_release.go) are evaluated from the Go source.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import json
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

OUT_DIR = Path(__file__).parent
AWS_INDEX_REPOSITORY = "lonegunmanb/terraform-provider-aws-index"
AWS_UPSTREAM = "hashicorp/terraform-provider-aws"
KUBERNETES_REPOSITORY = "pulumi/pulumi-kubernetes"
KUBERNETES_DIFF = "provider/pkg/provider/diff.go"
KUBERNETES_HELM = "provider/pkg/provider/helm_release.go"
KUBERNETES_PROVIDER = "provider/pkg/provider/provider.go"
ACTIVE_CLUSTER = "kubeconfig:active-cluster"
REGION_SOURCES = (
    "index/internal/provider/sdkv2/func.forceNewIfRegionChanges.goindex",
    "index/internal/provider/framework/func.resourceForceNewIfRegionChanges.goindex",
)

# pulumi-aws type token -> Terraform resource type (the bridge's own mapping, resources.go).
# fmt: off
AWS_TYPES: dict[str, str] = {
    "aws:cloudwatch/logGroup:LogGroup": "aws_cloudwatch_log_group",
    "aws:cloudwatch/metricAlarm:MetricAlarm": "aws_cloudwatch_metric_alarm",
    "aws:ec2/launchTemplate:LaunchTemplate": "aws_launch_template",
    "aws:ec2/securityGroup:SecurityGroup": "aws_security_group",
    "aws:eks/cluster:Cluster": "aws_eks_cluster",
    "aws:eks/nodeGroup:NodeGroup": "aws_eks_node_group",
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": "aws_iam_openid_connect_provider",
    "aws:iam/role:Role": "aws_iam_role",
    "aws:iam/rolePolicy:RolePolicy": "aws_iam_role_policy",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": "aws_iam_role_policy_attachment",
    "aws:kms/alias:Alias": "aws_kms_alias",
    "aws:kms/key:Key": "aws_kms_key",
    "aws:msk/cluster:Cluster": "aws_msk_cluster",
    "aws:msk/configuration:Configuration": "aws_msk_configuration",
    "aws:msk/replicator:Replicator": "aws_msk_replicator",
    "aws:msk/topic:Topic": "aws_msk_topic",
    "aws:s3/bucket:Bucket": "aws_s3_bucket",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration":
        "aws_s3_bucket_lifecycle_configuration",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": "aws_s3_bucket_ownership_controls",
    "aws:s3/bucketPolicy:BucketPolicy": "aws_s3_bucket_policy",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": "aws_s3_bucket_public_access_block",
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig":
        "aws_s3_bucket_replication_configuration",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration":
        "aws_s3_bucket_server_side_encryption_configuration",
    "aws:s3/bucketVersioning:BucketVersioning": "aws_s3_bucket_versioning",
}
# fmt: on

# The Kubernetes types a cell uses: group/version/kind as pulumi-kubernetes sees them.
KUBERNETES_TYPES: dict[str, tuple[str, str, str]] = {
    "kubernetes:core/v1:LimitRange": ("core", "v1", "LimitRange"),
    "kubernetes:core/v1:Namespace": ("core", "v1", "Namespace"),
    "kubernetes:core/v1:ResourceQuota": ("core", "v1", "ResourceQuota"),
    "kubernetes:core/v1:ServiceAccount": ("core", "v1", "ServiceAccount"),
    "kubernetes:flink.apache.org/v1beta1:FlinkDeployment": (
        "flink.apache.org",
        "v1beta1",
        "FlinkDeployment",
    ),
    "kubernetes:networking.k8s.io/v1:NetworkPolicy": ("networking.k8s.io", "v1", "NetworkPolicy"),
    "kubernetes:policy/v1:PodDisruptionBudget": ("policy", "v1", "PodDisruptionBudget"),
    "kubernetes:scheduling.k8s.io/v1:PriorityClass": ("scheduling.k8s.io", "v1", "PriorityClass"),
}
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"

# Properties pulumi-aws renames instead of camel-casing (its resources.go `Fields` overrides).
AWS_RENAMES: dict[tuple[str, str], str] = {
    ("aws:cloudwatch/metricAlarm:MetricAlarm", "alarm_name"): "name",
}


def git_show(git_dir: Path, ref: str, path: str) -> str:
    return subprocess.run(
        ["git", "--git-dir", str(git_dir), "show", f"{ref}:{path}"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def git_commit(git_dir: Path, ref: str) -> str:
    return subprocess.run(
        ["git", "--git-dir", str(git_dir), "rev-list", "-n", "1", ref],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


# --- AWS: Terraform schemas -------------------------------------------------------------------

_KEY = re.compile(r'^\s*(names\.Attr\w+|"[a-z0-9_]+")\s*:\s*(.*)$')
_FORCE_NEW = re.compile(r"\bForceNew:\s*true\b|\bRequiresReplace(?:IfConfigured)?\(\)")
_CONDITIONAL = re.compile(r"\bRequiresReplaceIf\w*\(|\bForceNewIfChange\(\s*\"([a-z0-9_]+)\"")
_STRING = re.compile(r'"(?:\\.|[^"\\])*"|`[^`]*`')


def attr_name(key: str) -> str:
    """`names.AttrKMSKeyID` -> `kms_key_id`; `"partition_count"` -> `partition_count`."""
    if key.startswith('"'):
        return key.strip('"')
    word = key.removeprefix("names.Attr").replace("IDs", "Ids").replace("ARNs", "Arns")
    word = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", word)
    return word.lower()


def schema_force_new(source: str) -> tuple[list[str], list[str], list[str]]:
    """Dotted Terraform paths whose change forces replacement, blocks whose presence does, and
    paths that force it only under a condition (CustomizeDiff, RequiresReplaceIf)."""
    forced: list[str] = []
    conditional: list[str] = []
    seen: set[str] = set()
    stack: list[tuple[str, int]] = []
    depth = 0
    for line in source.splitlines():
        code = _STRING.sub('""', line.split("//", 1)[0]) if "//" in line else line
        match = _KEY.match(line)
        bare = _STRING.sub('""', code)
        opens, closes = bare.count("{"), bare.count("}")
        if match and opens > closes:
            stack.append((attr_name(match.group(1)), depth))
            seen.add(".".join(name for name, _ in stack))
        elif _FORCE_NEW.search(line) and stack:
            forced.append(".".join(name for name, _ in stack))
        for found in _CONDITIONAL.finditer(line):
            if found.group(1):
                conditional.append(found.group(1))
            elif stack:
                conditional.append(".".join(name for name, _ in stack))
        if match and opens <= closes and _FORCE_NEW.search(line):
            forced.append(".".join([*(n for n, _ in stack), attr_name(match.group(1))]))
        depth += opens - closes
        while stack and depth <= stack[-1][1]:
            stack.pop()
    # ForceNew on a block of nested attributes replaces only when the block itself comes or goes:
    # its attributes carry their own ForceNew (terraform-plugin-sdk's schemaMap diff).
    blocks = {path for path in forced if any(s.startswith(path + ".") for s in seen)}
    leaves = sorted(set(forced) - blocks)
    return leaves, sorted(blocks), sorted(set(conditional) - set(forced))


def _camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


_GETTER = re.compile(r'@pulumi\.getter(?:\(name="(\w+)"\))?\s*\n(?:\s*@[^\n]*\n)*\s*def (\w+)')


def pulumi_names(token: str) -> tuple[set[str], set[str]]:
    """Top-level input names of a pulumi-aws resource, and every name its module's types use."""
    module = token.split(":")[1].split("/")[0]
    package = importlib.import_module(f"pulumi_aws.{module}")
    folder = Path(package.__file__).parent
    resource_file = re.sub(r"(?<!^)(?=[A-Z])", "_", token.split("/")[1].split(":")[0]).lower()
    text = (folder / f"{resource_file}.py").read_text(encoding="utf-8")
    args = text.split("class _")[0]  # the Args class comes first, before the state class
    top = {name or py for name, py in _GETTER.findall(args)}
    nested: set[str] = set()
    for other in ("_inputs.py", "outputs.py"):
        if (folder / other).exists():
            nested |= {n or py for n, py in _GETTER.findall((folder / other).read_text("utf-8"))}
    return top, nested


def pulumi_path(tf_path: str, top: set[str], nested: set[str]) -> str | None:
    """A Terraform path as pulumi-aws names it (lists of blocks are pluralised by the bridge)."""
    parts = []
    for index, segment in enumerate(tf_path.split(".")):
        # Compared without case or separators: `names.AttrVPCID` reads as `vpcid`, not `vpc_id`.
        folded = {name.lower(): name for name in (top if index == 0 else nested)}
        plain = segment.replace("_", "").lower()
        for candidate in (plain, plain + "s", plain + "es"):
            if candidate in folded:
                parts.append(folded[candidate])
                break
        else:
            return None
    return ".".join(parts)


def schema_file(index_dir: Path, ref: str, entry: dict[str, Any]) -> str:
    """The index file holding a resource type's schema. Framework resources name it; for SDKv2
    ones the index's guess of the function name is unreliable, so find the function that wires
    the resource's own Create function into a schema.Resource."""
    folder = f"index/internal/{entry['namespace'].rsplit('/internal/', 1)[1]}"
    if entry["sdk_type"] != "aws_sdk":
        return f"{folder}/{entry['schema_index']}"
    create = entry["create_index"].removeprefix("func.").removesuffix(".goindex")
    found = subprocess.run(
        [
            "git",
            "--git-dir",
            str(index_dir),
            "grep",
            "-l",
            "-E",
            rf"Create(WithoutTimeout|Context)?:\s+{create},",
            ref,
            "--",
            folder,
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    files = [f.split(":", 1)[1] for f in found if "/func." in f]
    if len(files) != 1:
        raise SystemExit(f"{entry['terraform_type']}: schema function not found ({files})")
    return files[0]


def aws_rules(index_dir: Path, ref: str) -> dict[str, Any]:
    commit = git_commit(index_dir, ref)
    types: dict[str, Any] = {}
    unmapped: list[str] = []
    for token, tf_type in sorted(AWS_TYPES.items()):
        entry = json.loads(git_show(index_dir, ref, f"index/resources/{tf_type}.json"))
        path = schema_file(index_dir, ref, entry)
        forced, blocks, conditional = schema_force_new(git_show(index_dir, ref, path))
        top, nested = pulumi_names(token)
        replace_on: list[str] = []
        block_rules: list[str] = []
        for tf_path in [*forced, *blocks]:
            mapped = AWS_RENAMES.get((token, tf_path)) or pulumi_path(tf_path, top, nested)
            if mapped is None:
                unmapped.append(f"{token}: {tf_path}")
            else:
                (block_rules if tf_path in blocks else replace_on).append(mapped)
        maybe = [pulumi_path(p, top, nested) or _camel(p) for p in conditional]
        if "region" in top:
            replace_on.append("region")
        types[token] = {
            "terraform": tf_type,
            "source": {
                "repository": AWS_INDEX_REPOSITORY,
                "commit": commit,
                "file": path,
                "upstream": f"{AWS_UPSTREAM}@{ref}",
                "sdk": entry["sdk_type"],
            },
            "replaceOn": sorted(set(replace_on)),
            "replaceOnBlockAddedOrRemoved": sorted(set(block_rules)),
            "replaceOnConditionally": sorted(set(maybe)),
        }
    if unmapped:
        raise SystemExit("no pulumi-aws property for: " + "; ".join(unmapped))
    return {
        "provider": "pulumi-aws",
        "pulumiVersion": metadata.version("pulumi-aws"),
        "upstream": {"repository": AWS_UPSTREAM, "ref": ref},
        "sources": [
            {"repository": AWS_INDEX_REPOSITORY, "commit": commit, "file": f}
            for f in sorted({t["source"]["file"] for t in types.values()} | set(REGION_SOURCES))
        ],
        "regionRule": "a regional resource whose `region` changes is replaced "
        "(forceNewIfRegionChanges / resourceForceNewIfRegionChanges)",
        "types": types,
    }


# --- Kubernetes: pulumi-kubernetes' diff.go ----------------------------------------------------

_GO_TOKEN = re.compile(
    r'\s*(?:(?P<str>"(?:\\.|[^"\\])*")|(?P<dots>\.\.\.)|(?P<name>[A-Za-z_][\w.]*)|(?P<punct>[{}(),:+\[\]*]))'
)


def _go_tokens(text: str) -> list[str]:
    text = re.sub(r"//[^\n]*", "", text)
    tokens, position = [], 0
    while True:
        match = _GO_TOKEN.match(text, position)
        if not match or match.end() == position:
            break
        tokens.append(match.group(match.lastgroup or "punct"))
        position = match.end()
    return tokens


class _GoValues:
    """Evaluates the literal maps, slices, appends and helper calls of diff.go's rules."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.vars: dict[str, Any] = {}
        self.exprs: dict[str, str] = {}
        self.funcs: dict[str, tuple[list[str], str]] = {}
        for name, params, body in re.findall(
            r"^func (\w+)\(([^)]*)\) properties \{\n(.*?)^\}", source, re.S | re.M
        ):
            self.funcs[name] = ([p.strip() for p in params.split(",") if p.strip()], body)
        for name, expr in re.findall(r"^var (\w+) = (.*?^[)}])$", source, re.S | re.M):
            self.exprs[name] = expr

    def var(self, name: str) -> Any:
        """Go resolves package variables in dependency order, not file order: so do we."""
        if name not in self.vars:
            self.vars[name] = self.eval(_go_tokens(self.exprs[name]), {})
        return self.vars[name]

    def eval(self, tokens: list[str], scope: dict[str, Any]) -> Any:
        value, _ = self._expr(tokens, scope)
        return value

    def _expr(self, tokens: list[str], scope: dict[str, Any]) -> tuple[Any, list[str]]:
        value, tokens = self._term(tokens, scope)
        while tokens and tokens[0] == "+":
            right, tokens = self._term(tokens[1:], scope)
            value = value + right
        return value, tokens

    def _term(self, tokens: list[str], scope: dict[str, Any]) -> tuple[Any, list[str]]:
        head, tokens = tokens[0], tokens[1:]
        if head.startswith('"'):
            return ast.literal_eval(head), tokens
        if head == "append":
            args, tokens = self._args(tokens[1:], scope)
            return [item for arg in args for item in arg], tokens
        if head in ("properties", "[]string") or (head == "[" and tokens[:2] == ["]", "string"]):
            if head == "[":
                tokens = tokens[2:]
            return self._composite(tokens, scope, as_list=True)
        if head in ("_groups", "_versions", "_kinds"):
            return self._composite(tokens, scope, as_list=False)
        if tokens and tokens[0] == "(" and head in self.funcs:
            args, tokens = self._args(tokens[1:], scope)
            params, body = self.funcs[head]
            returned = re.search(r"return (.*)", body, re.S)
            if len(params) == 1 and "..." in params[0]:  # variadic: all arguments, one slice
                inner = {params[0].split()[0]: args}
            else:
                inner = dict(zip((p.split()[0] for p in params), args, strict=True))
            if returned and "for _, prefix := range prefixes" not in body:
                return self.eval(_go_tokens(returned.group(1)), inner), tokens
            # containerForceNewProperties: one list per prefix.
            loop = re.search(r"properties\{(.*?)\}\.\.\.", body, re.S)
            assert loop is not None
            items = []
            for prefix in inner["prefixes"]:
                items += self.eval(
                    _go_tokens("properties{" + loop.group(1) + "}"), {"prefix": prefix}
                )
            return items, tokens
        if head in scope:
            return scope[head], tokens
        if head in self.exprs:
            return self.var(head), tokens
        raise ValueError(f"diff.go: cannot evaluate {head!r}")

    def _args(self, tokens: list[str], scope: dict[str, Any]) -> tuple[list[Any], list[str]]:
        args = []
        if len(tokens) > 1 and tokens[0] == "prefixes" and tokens[1] == "...":
            return list(scope["prefixes"]), tokens[3:]
        while tokens[0] != ")":
            value, tokens = self._expr(tokens, scope)
            args.append(value)
            if tokens[0] == "...":
                tokens = tokens[1:]
            if tokens[0] == ",":
                tokens = tokens[1:]
        return args, tokens[1:]

    def _composite(
        self, tokens: list[str], scope: dict[str, Any], as_list: bool
    ) -> tuple[Any, list[str]]:
        assert tokens[0] == "{"
        tokens = tokens[1:]
        items: list[Any] = []
        mapping: dict[str, Any] = {}
        while tokens[0] != "}":
            key, tokens = self._expr(tokens, scope)
            if tokens[0] == ":":
                value, tokens = self._expr(tokens[1:], scope)
                mapping[key] = value
            else:
                items.append(key)
            if tokens[0] == ",":
                tokens = tokens[1:]
        return (items if as_list else mapping), tokens[1:]


def _path(go_path: str) -> str:
    """`.spec.containers[*].image` -> `spec.containers.image` (list indices are ignored)."""
    return go_path.lstrip(".").replace("[*]", "")


def kubernetes_rules(repo: Path, ref: str) -> dict[str, Any]:
    commit = git_commit(repo, ref)
    diff_go = git_show(repo, ref, KUBERNETES_DIFF)
    values = _GoValues(diff_go)
    metadata_rule = values.eval(_go_tokens('metadataForceNewProperties(".metadata")'), {})
    groups: dict[str, Any] = values.var("forceNew")
    helm = git_show(repo, ref, KUBERNETES_HELM)
    helm_fields = re.search(r"forceNewFields := \[\]string\{([^}]*)\}", helm)
    if helm_fields is None:
        raise SystemExit(f"{KUBERNETES_HELM}: no forceNewFields")
    types: dict[str, Any] = {}
    for token, (group, version, kind) in sorted(KUBERNETES_TYPES.items()):
        kind_rules = groups.get(group, {}).get(version, {}).get(kind, [])
        types[token] = {
            "replaceOn": sorted({_path(p) for p in [*metadata_rule, *kind_rules]}),
            "source": {
                "repository": KUBERNETES_REPOSITORY,
                "commit": commit,
                "file": KUBERNETES_DIFF,
            },
        }
    provider_go = git_show(repo, ref, KUBERNETES_PROVIDER)
    identifier = re.search(r'clusterIdentifierKey\s*=\s*"(\w+)"', provider_go)
    special = re.findall(r'replaces = append\(replaces, "(\w+)"\)', provider_go)
    if identifier is None or "getActiveClusterFromConfig" not in provider_go:
        raise SystemExit(f"{KUBERNETES_PROVIDER}: DiffConfig no longer reads as expected")
    types["pulumi:providers:kubernetes"] = {
        # DiffConfig replaces the provider, and so every resource it manages, when the cluster
        # identifier changes or the kubeconfig's active cluster does.
        "replaceOn": sorted({identifier.group(1), *special, ACTIVE_CLUSTER}),
        "source": {
            "repository": KUBERNETES_REPOSITORY,
            "commit": commit,
            "file": KUBERNETES_PROVIDER,
        },
    }
    types[HELM_RELEASE] = {
        "replaceOn": sorted(
            _path(ast.literal_eval(f)) for f in re.findall(r'"[^"]*"', helm_fields.group(1))
        ),
        "source": {"repository": KUBERNETES_REPOSITORY, "commit": commit, "file": KUBERNETES_HELM},
    }
    return {
        "provider": "pulumi-kubernetes",
        "pulumiVersion": metadata.version("pulumi-kubernetes"),
        "upstream": {"repository": KUBERNETES_REPOSITORY, "ref": ref, "commit": commit},
        "sources": [
            {"repository": KUBERNETES_REPOSITORY, "commit": commit, "file": KUBERNETES_DIFF},
            {"repository": KUBERNETES_REPOSITORY, "commit": commit, "file": KUBERNETES_HELM},
            {"repository": KUBERNETES_REPOSITORY, "commit": commit, "file": KUBERNETES_PROVIDER},
        ],
        "metadataRule": sorted(_path(p) for p in metadata_rule),
        "allKinds": {
            f"{g}/{v}:{k}": sorted({_path(p) for p in props})
            for g, versions in sorted(groups.items())
            if g
            for v, kinds in sorted(versions.items())
            for k, props in sorted(kinds.items())
        },
        "types": types,
    }


def write(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--aws-index", type=Path, required=True)
    parser.add_argument("--aws-ref", required=True)
    parser.add_argument("--kubernetes", type=Path, required=True)
    parser.add_argument("--kubernetes-ref", default="HEAD")
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    args = parser.parse_args(argv)
    write(args.out / "aws.json", aws_rules(args.aws_index, args.aws_ref))
    write(args.out / "kubernetes.json", kubernetes_rules(args.kubernetes, args.kubernetes_ref))
    print(f"wrote {args.out / 'aws.json'} and {args.out / 'kubernetes.json'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
