# Deployment rules for deployment.yaml (DESIGN §5 "deployment"; §7 sync acts on what this allows).
#
# Only fully approved versions may be named in production; every environment must name a version
# that exists; a rollback needs a rationale and a target that was once approved. Python resolves
# versions and approvals into input.facts.deployment (exists / approved / was_approved).
package clinigate.deployment

import rego.v1

import data.clinigate.classify

is_deployment if input.subject.kind == "Deployment"

dep := d if {
	d := classify.fact(["deployment"])
	is_object(d)
}

environments := e if {
	e := dep.environments
	is_object(e)
} else := {}

production := environments.production

model_name := classify.model_name

versions_dir := concat("", ["models/", model_name, "/versions/"])

is_rollback if dep.is_rollback == true

rollback_target := t if {
	t := dep.rollback_target
	is_object(t)
}

# The version an environment or the rollback target names, for messages (never undefined, so a
# message can never make its finding disappear).
version_of(x) := v if {
	v := x.version
	is_string(v)
} else := "(none)"

# The version production runs at head, for messages.
head_production := v if {
	v := production.version
	is_string(v)
} else := "(none)"

# The version production ran at base (the rollback's starting point), for messages.
base_production := v if {
	v := input.production.version
	is_string(v)
} else := "unknown"

# ---------------------------------------------------------------------------------------------
# Facts present (fail closed: without them no rule below could fire)
# ---------------------------------------------------------------------------------------------

deny contains {
	"rule": "deployment.facts_missing",
	"msg": "The policy input has no deployment facts (facts.deployment) for this deployment.yaml (a clinigate bug; please report it): the versions it names cannot be checked.",
	"field": null,
} if {
	is_deployment
	not input.subject.change == "deleted"
	not dep
}

# Deleting deployment.yaml empties the desired state. Sync refuses to prune on an empty desired
# state (DESIGN §7), so nothing is undeployed, but the model is no longer managed.
warn contains {
	"rule": "deployment.deleted",
	"msg": concat("", [
		"models/",
		model_name,
		"/deployment.yaml is deleted: clinigate sync will no longer manage this model's environments, and it never removes a production alias on an empty desired state. Name the environments explicitly to change what runs.",
	]),
	"field": null,
} if {
	is_deployment
	input.subject.change == "deleted"
}

# ---------------------------------------------------------------------------------------------
# Production: an existing, fully approved version
# ---------------------------------------------------------------------------------------------

deny contains {
	"rule": "deployment.unknown_version",
	"msg": concat("", [
		"environments.production names version ",
		version_of(production),
		", which has no manifest in ",
		versions_dir,
		": only merged, fully approved versions may serve patients.",
	]),
	"field": "environments.production.version",
} if {
	is_deployment
	is_object(production)
	not production.exists == true
}

deny contains {
	"rule": "deployment.production_not_approved",
	"msg": concat("", [
		"environments.production names version ",
		version_of(production),
		", which is not fully approved: only versions with every required approval may be named in production. Use staging or shadow until the approvals are complete.",
	]),
	"field": "environments.production.version",
} if {
	is_deployment
	production.exists == true
	not production.approved == true
}

# ---------------------------------------------------------------------------------------------
# Other environments: an existing version
# ---------------------------------------------------------------------------------------------

deny contains {
	"rule": "deployment.unknown_version",
	"msg": concat("", [
		"environments.",
		name,
		" names version ",
		version_of(env),
		", which has no manifest in ",
		versions_dir,
		": an environment can only run a version that exists.",
	]),
	"field": concat("", ["environments.", name, ".version"]),
} if {
	is_deployment
	some name, env in environments
	name != "production"
	is_object(env)
	not env.exists == true
}

# ---------------------------------------------------------------------------------------------
# Rollback target and rollbacks
# ---------------------------------------------------------------------------------------------

deny contains {
	"rule": "deployment.rollback_target_unknown",
	"msg": concat("", [
		"rollback_target names version ",
		version_of(rollback_target),
		", which has no manifest in ",
		versions_dir,
		": a rollback target must be a version that exists and was once approved.",
	]),
	"field": "rollback_target",
} if {
	is_deployment
	rollback_target
	not rollback_target.exists == true
}

deny contains {
	"rule": "deployment.rollback_rationale",
	"msg": concat("", [
		"Production moves back from ",
		base_production,
		" to ",
		head_production,
		" (a rollback) but change.rationale is empty: record why the model is rolled back (21 CFR Part 11 reason for change).",
	]),
	"field": "change.rationale",
} if {
	is_deployment
	is_rollback
	dep
	not dep.rationale_present == true
}

deny contains {
	"rule": "deployment.rollback_target_missing",
	"msg": concat("", [
		"Production moves back from ",
		base_production,
		" to ",
		head_production,
		" (a rollback) but deployment.yaml names no rollback_target: a rollback needs a target that was once approved.",
	]),
	"field": "rollback_target",
} if {
	is_deployment
	is_rollback
	not rollback_target
}

deny contains {
	"rule": "deployment.rollback_target_unapproved",
	"msg": concat("", [
		"Production is rolled back but rollback_target ",
		version_of(rollback_target),
		" was never approved: a rollback needs a target that was once approved.",
	]),
	"field": "rollback_target",
} if {
	is_deployment
	is_rollback
	rollback_target.exists == true
	not rollback_target.was_approved == true
}

# Outside a rollback an unapproved target is latent: the rollback it stands for would be refused.
warn contains {
	"rule": "deployment.rollback_target_unapproved",
	"msg": concat("", [
		"rollback_target ",
		version_of(rollback_target),
		" was never approved: a rollback to it would be refused. Name a version that was once approved.",
	]),
	"field": "rollback_target",
} if {
	is_deployment
	not is_rollback
	rollback_target.exists == true
	not rollback_target.was_approved == true
}

# DESIGN §3 gives deployment.yaml a change rationale; a production change without one is
# reported (a rollback without one is denied above).
warn contains {
	"rule": "deployment.rationale_missing",
	"msg": concat("", [
		"Production changes from ",
		base_production,
		" to ",
		head_production,
		" but change.rationale is empty: record why (21 CFR Part 11 reason for change).",
	]),
	"field": "change.rationale",
} if {
	is_deployment
	not is_rollback
	dep.production_changed == true
	dep
	not dep.rationale_present == true
}
