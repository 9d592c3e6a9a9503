# Workloads of a label only on nodes of a label: a workload labelled tier=gpu runs only on nodes
# started with the label gpu=true (crane-node --labels gpu=true). Other workloads may still use
# those nodes. More pairs can be added to gpu_nodes_rules.
#
# Decision: data.crane.scheduling.deny (set of messages), asked once per node; a message makes
# the node infeasible for the replica and shows up in the replica's pendingReason.
# Input: {"workload": <spec JSON>, "replica": "<replica id>",
#         "node": {"name", "labels": {..}, "capacity": {"cpu", "memory"}, "runtimes": [..]}}.
package crane.scheduling

import rego.v1

gpu_nodes_rules := [{"workload_label": "tier", "workload_value": "gpu", "node_label": "gpu", "node_value": "true"}]

deny contains msg if {
	some rule in gpu_nodes_rules
	input.workload.labels[rule.workload_label] == rule.workload_value
	node_labels := object.get(input.node, "labels", {})
	object.get(node_labels, rule.node_label, null) != rule.node_value
	msg := sprintf("workload %s (%s=%s) runs only on nodes labelled %s=%s; node %s has %s", [
		input.workload.name, rule.workload_label, rule.workload_value,
		rule.node_label, rule.node_value, input.node.name, gpu_nodes_label_text(node_labels, rule.node_label),
	])
}

gpu_nodes_label_text(labels, key) := sprintf("%s=%s", [key, labels[key]])

gpu_nodes_label_text(labels, key) := sprintf("no label %s", [key]) if not key in object.keys(labels)
