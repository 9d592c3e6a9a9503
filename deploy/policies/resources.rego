# Resources required and bounded: every workload states its cpu and memory, each greater than 0
# and at most the limit below, so that one workload cannot claim a whole node.
#
# Decision: data.crane.admission.deny (set of messages).
# Input: {"workload": <spec JSON>, "operation": "create" | "update", "user": "<name>"}; reads
# input.workload.resources.cpu (cores, a number) and input.workload.resources.memory (bytes, a
# number). Crane's spec parser fills in 0.1 cpu and 64Mi when a spec leaves them out, so through
# Crane's API the "required" rule only fires for documents built elsewhere.
package crane.admission

import rego.v1

resources_limits := {
	"cpu": {"max": 4, "unit": "cores", "text": "4 cores"},
	"memory": {"max": units.parse_bytes("8Gi"), "unit": "bytes", "text": "8Gi"},
}

deny contains msg if {
	some resource, _ in resources_limits
	not is_number(input.workload.resources[resource])
	msg := sprintf("workload %s: resources.%s is required (a number)", [input.workload.name, resource])
}

deny contains msg if {
	some resource, limit in resources_limits
	value := input.workload.resources[resource]
	is_number(value)
	value <= 0
	msg := sprintf("workload %s: resources.%s is %v %s, it must be greater than 0", [input.workload.name, resource, value, limit.unit])
}

deny contains msg if {
	some resource, limit in resources_limits
	value := input.workload.resources[resource]
	is_number(value)
	value > limit.max
	msg := sprintf("workload %s: resources.%s is %v %s, above the limit of %s", [input.workload.name, resource, value, limit.unit, limit.text])
}
