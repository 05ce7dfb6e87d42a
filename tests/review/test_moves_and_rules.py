"""A component change planned with each revision's own code: a rename without an alias is a delete
plus a create, with one it is the same resource. Replacement rules cover every type a cell uses."""

from __future__ import annotations

import pulumi

from review.dangers import STATEFUL
from review.replacements import load_rules
from review.replacements.generate import _go_tokens, _GoValues, schema_force_new
from tests.review.conftest import classes

OLD = 'f"{self._name}-topic-{topic.name}",'
RENAMED = 'f"{self._name}-kafka-topic-{topic.name}",'
ALIAS = (
    "opts=pulumi.ResourceOptions.merge(stateful(self, self._args.production), "
    'pulumi.ResourceOptions(aliases=[pulumi.Alias(name=f"{self._name}-topic-{topic.name}")])),'
)


def rename_topics(git_project, alias: bool) -> None:
    kafka = git_project.root / "components" / "kafka.py"
    source = kafka.read_text()
    assert OLD in source
    source = source.replace(OLD, RENAMED)
    if alias:
        source = source.replace("opts=stateful(self, self._args.production),", ALIAS, 1)
        if "import pulumi\n" not in source:
            source = "import pulumi\n" + source
    kafka.write_text(source)


def test_component_rename_without_alias_deletes_and_creates(git_project):
    rename_topics(git_project, alias=False)
    review = git_project.review("usw2-a")
    (stack,) = review.stacks
    topics = [s for s in stack.changed_steps if s["type"] == "aws:msk/topic:Topic"]
    assert {s["op"] for s in topics} == {"create", "delete"}
    assert classes(review) == {STATEFUL}
    assert all("deleting topic" in d.summary for d in review.dangers)
    assert not stack.inputs_unchanged  # each revision planned with its own code


def test_component_rename_with_alias_is_the_same_resource(git_project):
    rename_topics(git_project, alias=True)
    review = git_project.review("usw2-a")
    (stack,) = review.stacks
    assert review.dangers == []
    moved = [s for s in stack.steps if s.get("aliasOf")]
    assert moved and all(s["op"] == "same" for s in moved)
    assert pulumi  # the alias is pulumi's own


def test_every_type_the_example_fleet_plans_has_replacement_rules(example_plans):
    rules = load_rules()
    custom = {
        r["type"]
        for plan in example_plans.values()
        for r in plan.resources
        if r["custom"] and r["type"] != "pulumi:providers:aws"
    }
    missing = sorted(t for t in custom if not rules.covers(t))
    assert not missing, f"no replacement rules for {missing}: rerun review/replacements/generate.py"


def test_rules_record_where_they_came_from():
    rules = load_rules()
    assert rules.sources
    for source in rules.sources:
        assert source["repository"] and len(source["commit"]) == 40 and source["file"]


def test_rules_from_provider_sources():
    rules = load_rules()
    topic = "aws:msk/topic:Topic"
    assert rules.replace_reasons(topic, ["replicationFactor"]) == ["replicationFactor"]
    assert rules.replace_reasons(topic, ["partitionCount", "configs"]) == []
    bucket = "aws:s3/bucket:Bucket"
    assert rules.replace_reasons(bucket, ["bucket", "tags.cell"]) == ["bucket"]
    cluster = "aws:msk/cluster:Cluster"
    # A block marked ForceNew replaces only when it comes or goes; its attributes decide.
    assert rules.replace_reasons(cluster, ["brokerNodeGroupInfo.instanceType"]) == []
    assert rules.replace_reasons(cluster, ["brokerNodeGroupInfo.clientSubnets[0]"]) == [
        "brokerNodeGroupInfo.clientSubnets[0]"
    ]
    namespace = "kubernetes:core/v1:Namespace"
    assert rules.replace_reasons(namespace, ["metadata.name"]) == ["metadata.name"]
    assert rules.replace_reasons(namespace, ["metadata.labels.x"]) == []


SDK_SCHEMA = """
func resourceThing() *schema.Resource {
	return &schema.Resource{
		Schema: map[string]*schema.Schema{
			names.AttrName: {
				Type:     schema.TypeString,
				Required: true,
				ForceNew: true,
			},
			"block": {
				Type:     schema.TypeList,
				ForceNew: true,
				Elem: &schema.Resource{
					Schema: map[string]*schema.Schema{
						"inner_id": {Type: schema.TypeString, ForceNew: true},
						"size": {
							Type: schema.TypeInt,
						},
					},
				},
			},
			names.AttrVPCID: {Type: schema.TypeString, Optional: true, ForceNew: true},
		},
		CustomizeDiff: customdiff.ForceNewIfChange("size_gib", func() bool { return true }),
	}
}
"""

FRAMEWORK_SCHEMA = """
		Attributes: map[string]schema.Attribute{
			"cluster_arn": schema.StringAttribute{
				PlanModifiers: []planmodifier.String{
					stringplanmodifier.RequiresReplace(),
				},
			},
			"partition_count": schema.Int64Attribute{
				Required: true,
			},
		},
"""


def test_terraform_schemas_are_read_for_force_new():
    leaves, blocks, conditional = schema_force_new(SDK_SCHEMA)
    assert leaves == ["block.inner_id", "name", "vpcid"]
    assert blocks == ["block"]
    assert conditional == ["size_gib"]
    assert schema_force_new(FRAMEWORK_SCHEMA)[0] == ["cluster_arn"]


def test_pulumi_kubernetes_rules_are_evaluated_from_go():
    source = """
var forceNew = _groups{
	"core": core,
}

var core = _versions{
	"v1": _kinds{
		"Pod": append(
			properties{".spec.nodeName"},
			containerForceNewProperties(".spec.containers[*]")...),
	},
}

func containerForceNewProperties(prefixes ...string) properties {
	var props properties
	for _, prefix := range prefixes {
		props = append(props, properties{
			prefix + ".image",
		}...)
	}
	return props
}
"""
    values = _GoValues(source)
    assert values.var("forceNew") == {
        "core": {"v1": {"Pod": [".spec.nodeName", ".spec.containers[*].image"]}}
    }
    assert _go_tokens('a + "b"') == ["a", "+", '"b"']
