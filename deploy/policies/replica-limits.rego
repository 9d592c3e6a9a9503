# Replica limits (admission half): no workload asks for more than 20 replicas, neither as its
# replica count nor as its autoscaling maximum. replica-limits-scaling.rego caps scale requests
# and the autoscaler at the same number; keep the two limits equal.
#
# Decision: data.crane.admission.deny (set of messages).
# Input: {"workload": <spec JSON>, "operation": "create" | "update", "user": "<name>"}; reads
# input.workload.replicas and input.workload.autoscaling.max.
package crane.admission

import rego.v1

replica_limit := 20

deny contains msg if {
	input.workload.replicas > replica_limit
	msg := sprintf("workload %s: %d replicas, above the limit of %d", [input.workload.name, input.workload.replicas, replica_limit])
}

deny contains msg if {
	input.workload.autoscaling.max > replica_limit
	msg := sprintf("workload %s: autoscaling.max %d, above the limit of %d replicas", [input.workload.name, input.workload.autoscaling.max, replica_limit])
}
