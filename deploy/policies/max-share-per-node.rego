# Maximum share of a workload per node, checked where it happens: a node that already holds half
# (rounded up) of a workload's replicas gets no more of them, so losing one node never takes out
# more than half of a workload. Workloads of one replica are left alone.
#
# Decision: data.crane.scheduling.deny (set of messages), asked once per node.
# Input: {"workload": <spec JSON>, "replica": "<replica id>",
#         "node": {"name", "labels", "capacity", "runtimes", "replicas", "workloadReplicas"}};
# reads input.workload.replicas and input.node.workloadReplicas (this workload's replicas already
# placed on the node). Placements still being decided are not counted yet.
package crane.scheduling

import rego.v1

max_share_per_node_limit := ceil(object.get(input.workload, "replicas", 1) / 2)

deny contains msg if {
	object.get(input.workload, "replicas", 1) >= 2
	object.get(input.node, "workloadReplicas", 0) + 1 > max_share_per_node_limit
	msg := sprintf("node %s already holds %d of the %d replicas of %s (at most %d per node)", [
		input.node.name, input.node.workloadReplicas, input.workload.replicas, input.workload.name, max_share_per_node_limit,
	])
}
