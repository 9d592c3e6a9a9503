# Allowed image repositories: a workload's image must start with one of the prefixes below, so
# that only images built by the team (crane/...) or on the machine itself (local/...) run.
# The match is on the whole reference as written, so "otherhost/crane/x" is not allowed.
#
# Decision: data.crane.admission.deny (set of messages).
# Input: {"workload": <spec JSON>, "operation": "create" | "update", "user": "<name>"}; reads
# input.workload.name and input.workload.image.
package crane.admission

import rego.v1

allowed_repositories := ["crane/", "local/"]

deny contains msg if {
	not allowed_repositories_match(input.workload.image)
	msg := sprintf("workload %s: image %q is not from an allowed repository (%s)", [input.workload.name, input.workload.image, concat(", ", allowed_repositories)])
}

allowed_repositories_match(image) if {
	some prefix in allowed_repositories
	startswith(image, prefix)
}
