# Replica limits (scaling half): manual scale requests and the autoscaler are capped at 20
# replicas; Crane scales to the cap instead and records why. replica-limits.rego refuses specs
# above the same number at admission; keep the two limits equal.
#
# Decision: data.crane.scaling.max_replicas (a number).
# Input: {"workload": <spec JSON>, "current": <replicas now>, "desired": <replicas asked for>}.
package crane.scaling

import rego.v1

max_replicas := 20
