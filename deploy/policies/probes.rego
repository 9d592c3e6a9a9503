# Required probes: a workload without a readiness probe gets traffic before it can serve, and one
# without a liveness probe is never restarted when it hangs. Both are warnings: the workload is
# admitted and the API response carries the messages.
#
# Decision: data.crane.admission.warn (set of messages).
# Input: {"workload": <spec JSON>, "operation": "create" | "update", "user": "<name>"}; reads
# input.workload.health.readiness and input.workload.health.liveness (absent when not set).
package crane.admission

import rego.v1

probes_required := ["readiness", "liveness"]

warn contains msg if {
	some probe in probes_required
	not input.workload.health[probe]
	msg := sprintf("workload %s: no %s probe (health.%s)", [input.workload.name, probe, probe])
}
