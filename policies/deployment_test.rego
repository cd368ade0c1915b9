package clinigate.deployment_test

import rego.v1

import data.clinigate.deployment
import data.clinigate.fixtures as fx

deny_of(p) := d if {
	d := deployment.deny with input as fx.deployment(p) with data.clinigate.defaults as fx.defaults
}

warn_of(p) := w if {
	w := deployment.warn with input as fx.deployment(p) with data.clinigate.defaults as fx.defaults
}

env(version, exists, approved) := {"version": version, "exists": exists, "approved": approved, "changed": true}

target(version, exists, was_approved) := {"version": version, "exists": exists, "was_approved": was_approved}

# ---------------------------------------------------------------------------------------------
# The current sepsis-ews deployment.yaml is clean
# ---------------------------------------------------------------------------------------------

test_clean_deployment_has_no_findings if {
	count(deny_of({})) == 0
	count(warn_of({})) == 0
}

# ---------------------------------------------------------------------------------------------
# Production
# ---------------------------------------------------------------------------------------------

test_production_naming_a_missing_version_denies if {
	p := {"environments": {"production": env("9.9.9", false, false)}, "deployment": {"production_changed": true}}
	d := deny_of(p)
	some f in d
	f.rule == "deployment.unknown_version"
	f.field == "environments.production.version"
	contains(f.msg, "environments.production names version 9.9.9, which has no manifest in models/sepsis-ews/versions/")
	not fx.fires(d, "deployment.production_not_approved")
}

test_production_naming_an_unapproved_version_denies if {
	p := {"environments": {"production": env("1.3.0", true, false)}, "deployment": {"production_changed": true}}
	fx.says(deny_of(p), "deployment.production_not_approved", "names version 1.3.0, which is not fully approved")
}

test_production_with_unknown_approval_denies if {
	p := {"environments": {"production": {"version": "1.3.0", "exists": true}}}
	fx.fires(deny_of(p), "deployment.production_not_approved")
}

test_production_naming_an_approved_version_passes if {
	p := {"environments": {"production": env("1.2.1", true, true)}, "deployment": {"production_changed": true}}
	count(deny_of(p)) == 0
}

test_no_production_environment_is_allowed if {
	f := fx.deployment({})
	envs := object.remove(f.facts.deployment.environments, ["production"])
	p := fx.merge(f, {"facts": fx.merge(f.facts, {"deployment": fx.merge(f.facts.deployment, {"environments": envs})})})
	d := deployment.deny with input as p with data.clinigate.defaults as fx.defaults
	count(d) == 0
}

# ---------------------------------------------------------------------------------------------
# Other environments
# ---------------------------------------------------------------------------------------------

test_staging_naming_a_missing_version_denies if {
	d := deny_of({"environments": {"staging": env("2.0.0", false, false)}})
	some f in d
	f.rule == "deployment.unknown_version"
	f.field == "environments.staging.version"
	contains(f.msg, "environments.staging names version 2.0.0")
}

# Shadow and staging may run versions that are not yet approved (that is what they are for).
test_shadow_naming_an_unapproved_existing_version_passes if {
	count(deny_of({"environments": {"shadow": env("1.3.0", true, false)}})) == 0
}

# ---------------------------------------------------------------------------------------------
# Rollback target and rollbacks
# ---------------------------------------------------------------------------------------------

rollback := {
	"environments": {"production": env("1.1.0", true, true)},
	"deployment": {"production_changed": true, "is_rollback": true},
}

test_rollback_with_rationale_and_approved_target_passes if count(deny_of(rollback)) == 0

test_rollback_without_rationale_denies if {
	p := fx.merge(rollback, {"deployment": {"production_changed": true, "is_rollback": true, "rationale_present": false}})
	fx.says(deny_of(p), "deployment.rollback_rationale", "Production moves back from 1.2.0 to 1.1.0 (a rollback) but change.rationale is empty")
}

test_rollback_to_a_never_approved_target_denies if {
	p := fx.merge(rollback, {"deployment": {
		"production_changed": true, "is_rollback": true,
		"rollback_target": target("1.0.1", true, false),
	}})
	fx.says(deny_of(p), "deployment.rollback_target_unapproved", "rollback_target 1.0.1 was never approved")
}

test_rollback_without_a_target_denies if {
	p := fx.merge(rollback, {"deployment": {"production_changed": true, "is_rollback": true, "rollback_target": null}})
	fx.fires(deny_of(p), "deployment.rollback_target_missing")
}

test_no_target_outside_a_rollback_passes if {
	count(deny_of({"deployment": {"rollback_target": null}})) == 0
}

test_rollback_target_that_does_not_exist_denies if {
	d := deny_of({"deployment": {"rollback_target": target("0.9.0", false, false)}})
	fx.says(d, "deployment.rollback_target_unknown", "rollback_target names version 0.9.0, which has no manifest")
}

test_rollback_target_that_exists_passes if not fx.fires(deny_of({}), "deployment.rollback_target_unknown")

test_unapproved_rollback_target_outside_a_rollback_warns if {
	p := {"deployment": {"rollback_target": target("1.3.0", true, false)}}
	not fx.fires(deny_of(p), "deployment.rollback_target_unapproved")
	fx.says(warn_of(p), "deployment.rollback_target_unapproved", "a rollback to it would be refused")
}

test_production_change_without_rationale_warns if {
	p := {
		"environments": {"production": env("1.2.1", true, true)},
		"deployment": {"production_changed": true, "rationale_present": false},
	}
	fx.says(warn_of(p), "deployment.rationale_missing", "Production changes from 1.2.0 to 1.2.1")
	count(deny_of(p)) == 0
}

# ---------------------------------------------------------------------------------------------
# Missing facts and deletions
# ---------------------------------------------------------------------------------------------

test_missing_deployment_facts_deny if {
	f := fx.deployment({})
	p := fx.merge(f, {"facts": {"first_version": false}})
	d := deployment.deny with input as p with data.clinigate.defaults as fx.defaults
	fx.fires(d, "deployment.facts_missing")
}

test_deleting_deployment_yaml_warns if {
	p := fx.merge(fx.deployment({}), {"facts": {}, "subject": fx.merge(fx.deployment({}).subject, {"change": "deleted"})})
	d := deployment.deny with input as p with data.clinigate.defaults as fx.defaults
	w := deployment.warn with input as p with data.clinigate.defaults as fx.defaults
	count(d) == 0
	fx.fires(w, "deployment.deleted")
}

test_deployment_rules_ignore_version_subjects if {
	d := deployment.deny with input as fx.version({}) with data.clinigate.defaults as fx.defaults
	count(d) == 0
}
