package clinigate.pccp_test

import rego.v1

import data.clinigate.fixtures as fx
import data.clinigate.pccp

# Evaluate on fx.version(p) with the fixture defaults.
status_of(p) := s if {
	s := pccp.status with input as fx.version(p) with data.clinigate.defaults as fx.defaults
}

action_of(p) := a if {
	a := pccp.regulatory_action with input as fx.version(p) with data.clinigate.defaults as fx.defaults
}

# All findings of the version (the reason for a status is reported by classify or gates).
deny_of(p) := d if {
	d := data.clinigate.decision.all_deny with input as fx.version(p) with data.clinigate.defaults as fx.defaults
}

first_version := {"facts": {"first_version": true}, "diff": fx.diff_only(set()), "parent": null}

# ---------------------------------------------------------------------------------------------
# PCCP status and regulatory action
# ---------------------------------------------------------------------------------------------

test_conforming_data_update if {
	status_of({}) == "conforming"
	action_of({}) == "none"
	count(deny_of({})) == 0
}

test_conforming_action_comes_from_the_plan if {
	p := {"diff": fx.diff_only({"hyperparameters", "artifact"})}
	status_of(p) == "conforming"
	action_of(p) == "letter_to_file"
}

test_initial_follows_the_initial_plan if {
	status_of(first_version) == "conforming"
	action_of(first_version) == "new_submission"
}

# readmission-30d's initial plan (non-device CDS): a letter to file.
test_initial_with_a_letter_to_file_plan if {
	p := {
		"facts": {"first_version": true}, "diff": fx.diff_only(set()), "parent": null,
		"pccp": fx.pccp_with_plan("initial", fx.plan(true, fx.all_roles, "letter_to_file")),
	}
	status_of(p) == "conforming"
	action_of(p) == "letter_to_file"
}

test_initial_not_authorised_is_outside if {
	p := {
		"facts": {"first_version": true}, "diff": fx.diff_only(set()), "parent": null,
		"pccp": fx.pccp_with_plan("initial", fx.plan(false, fx.all_roles, "new_submission")),
	}
	status_of(p) == "outside_pccp"
	fx.says(deny_of(p), "classify.class_not_authorised", "initial")
}

test_first_version_with_a_changed_intended_use_is_outside if {
	p := {"facts": {"first_version": true, "intended_use_changed": true}, "diff": fx.diff_only(set()), "parent": null}
	data.clinigate.classify.change_class == "initial" with input as fx.version(p) with data.clinigate.defaults as fx.defaults
	status_of(p) == "outside_pccp"
	fx.fires(deny_of(p), "classify.new_indication")
}

test_outside_when_pccp_missing if {
	p := {"pccp": null}
	status_of(p) == "outside_pccp"
	action_of(p) == "new_submission"
	fx.says(deny_of(p), "classify.pccp_missing", "models/sepsis-ews/pccp.yaml is missing")
}

test_outside_when_pccp_changed if {
	p := {"facts": {"pccp_changed": true}}
	status_of(p) == "outside_pccp"
	action_of(p) == "new_submission"
	fx.fires(deny_of(p), "classify.pccp_changed")
}

test_outside_for_new_indication if {
	p := {"facts": {"intended_use_changed": true}}
	status_of(p) == "outside_pccp"
	action_of(p) == "new_submission"
	fx.fires(deny_of(p), "classify.new_indication")
	not fx.fires(deny_of(p), "classify.class_not_authorised")
}

# Even a plan that claims to authorise a new indication cannot (FDA PCCP guidance).
test_outside_for_new_indication_even_if_the_plan_authorises_it if {
	p := {
		"facts": {"intended_use_changed": true},
		"pccp": fx.pccp_with_plan("new_indication", fx.plan(true, fx.all_roles, "none")),
	}
	status_of(p) == "outside_pccp"
	action_of(p) == "new_submission"
}

test_outside_for_an_unauthorised_class if {
	p := {"diff": fx.diff_only({"features", "artifact"})}
	status_of(p) == "outside_pccp"
	action_of(p) == "new_submission"
	fx.says(deny_of(p), "classify.class_not_authorised", "change class is feature_engineering (because artifact.sha256, training.features changed)")
}

test_outside_for_an_unauthorised_architecture_change if {
	p := {"diff": fx.diff_only({"framework"})}
	status_of(p) == "outside_pccp"
	fx.says(deny_of(p), "classify.class_not_authorised", "architecture_change")
}

test_outside_when_the_plan_has_no_entry_for_the_class if {
	p := {"pccp": fx.merge(fx.pccp, {"change_classes": {"metadata_only": fx.plan(true, ["clinical_reviewer"], "none")}})}
	status_of(p) == "outside_pccp"
	fx.says(deny_of(p), "classify.class_not_authorised", "no change_classes.data_update entry")
}

test_authorised_class_is_not_outside if not fx.fires(deny_of({}), "classify.class_not_authorised")

test_deviation_when_an_acceptance_criterion_fails if {
	p := {"metrics": {"overall_auc_e4": 7900}}
	status_of(p) == "deviation"
	action_of(p) == "new_submission"
}

test_deviation_when_the_locked_set_does_not_match if {
	p := {"facts": {"locked_set_matches_pccp": false}}
	status_of(p) == "deviation"
	action_of(p) == "new_submission"
}

test_deviation_when_the_reference_standard_changed if status_of({"diff": {"reference_standard": true}}) == "deviation"

test_deviation_when_the_reference_standard_differs_from_the_plan if {
	status_of({"facts": {"reference_standard_matches_pccp": false}}) == "deviation"
}

test_outside_wins_over_deviation if {
	status_of({"diff": fx.diff_only({"features"}), "metrics": {"overall_auc_e4": 7900}}) == "outside_pccp"
}

test_plan_without_regulatory_action_fails_closed if {
	p := {"pccp": fx.pccp_with_plan("data_update", {"authorised": true, "required_roles": ["quality"]})}
	status_of(p) == "conforming"
	action_of(p) == "new_submission"
	fx.fires(deny_of(p), "pccp.plan_incomplete")
}

test_plan_with_regulatory_action_is_complete if not fx.fires(deny_of({}), "pccp.plan_incomplete")

test_not_defined_for_a_deleted_version if {
	p := {"subject": {"change": "deleted", "merged_at_base": true}, "manifest": null}
	not status_of(p)
	not action_of(p)
}

test_not_defined_for_other_subjects if {
	not pccp.status with input as fx.pccp_edit with data.clinigate.defaults as fx.defaults
}
