# Disallowed image tags: a workload must name its image by a version tag or a digest, never by
# the tag "latest" or by no tag at all (which means latest), so that every replica and every
# restart runs the same code and a rollout is a deliberate change of the spec.
#
# Decision: data.crane.admission.deny (set of messages).
# Input: {"workload": <spec JSON>, "operation": "create" | "update", "user": "<name>"}; reads
# input.workload.name and input.workload.image, e.g. "crane/demo:1.4", "crane/demo@sha256:...".
# The tag is what follows ":" in the last path segment, so "registry:5000/app" has no tag.
package crane.admission

import rego.v1

image_tags_disallowed := {"latest"}

deny contains msg if {
	tag := image_tags_tag(input.workload.image)
	tag in image_tags_disallowed
	msg := sprintf("workload %s: image %q uses the disallowed tag %q; pin a version tag or a digest", [input.workload.name, input.workload.image, tag])
}

deny contains msg if {
	image_tags_untagged(input.workload.image)
	msg := sprintf("workload %s: image %q has no tag (that means latest); pin a version tag or a digest", [input.workload.name, input.workload.image])
}

image_tags_last_segment(image) := segments[count(segments) - 1] if {
	not contains(image, "@")
	segments := split(image, "/")
}

image_tags_tag(image) := parts[1] if {
	parts := split(image_tags_last_segment(image), ":")
	count(parts) == 2
}

image_tags_untagged(image) if {
	segment := image_tags_last_segment(image)
	not contains(segment, ":")
}
