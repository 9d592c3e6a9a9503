# Maximum share of a workload per node, as far as admission can see it. The rule meant is "no
# node holds more than half (rounded up) of a workload's replicas"; the scheduling input does not
# carry how many replicas of the workload each node already runs, so it cannot be checked per
# node. Instead a workload that may run 2 or more replicas (replicas or autoscaling.max) must ask
# for strategy spread, which scores highest the feasible node with the fewest replicas of that
# workload (with a spreadKey: the label group with the fewest). Naming no strategy is
# refused too: the cluster default (--default-strategy) is not part of the input. Spread only
# prefers emptier nodes; with too few feasible nodes it still stacks replicas.
#
# Decision: data.crane.admission.deny (set of messages).
# Input: {"workload": <spec JSON>, "operation": "create" | "update", "user": "<name>"}; reads
# input.workload.replicas, input.workload.autoscaling.max and input.workload.strategy.
package crane.admission

import rego.v1

max_share_spread_from := 2

max_share_replicas := max([object.get(input.workload, "replicas", 1), object.get(input.workload, ["autoscaling", "max"], 0)])

deny contains msg if {
	max_share_replicas >= max_share_spread_from
	strategy := object.get(input.workload, "strategy", "not set")
	strategy != "spread"
	msg := sprintf("workload %s: up to %d replicas need strategy spread so that no node holds more than half of them (strategy: %s)", [input.workload.name, max_share_replicas, strategy])
}
