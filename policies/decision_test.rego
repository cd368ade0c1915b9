package clinigate.decision_test

import rego.v1

import data.clinigate.decision
import data.clinigate.fixtures as fx

result_of(x) := r if {
	r := decision.result with input as x with data.clinigate.defaults as fx.defaults
}

# ---------------------------------------------------------------------------------------------
# Shape (policies/README.md "Output")
# ---------------------------------------------------------------------------------------------

test_result_has_exactly_the_contract_keys if {
	object.keys(result_of(fx.version({}))) == {
		"change_class", "pccp_status", "regulatory_action", "required_roles", "deny", "warn", "uncounted",
		"waived",
	}
}

test_findings_are_arrays_of_rule_msg_field if {
	r := result_of(fx.version({"metrics": {"overall_auc_e4": 7900}}))
	is_array(r.deny)
	is_array(r.warn)
	is_array(r.required_roles)
	count(r.deny) > 0
	every f in r.deny {
		object.keys(f) == {"rule", "msg", "field"}
		is_string(f.rule)
		is_string(f.msg)
	}
}

# ---------------------------------------------------------------------------------------------
# Model versions
# ---------------------------------------------------------------------------------------------

test_clean_data_update_is_conforming if {
	result_of(fx.version({})) == {
		"change_class": "data_update",
		"pccp_status": "conforming",
		"regulatory_action": "none",
		"required_roles": ["clinical_reviewer", "quality"],
		"deny": [],
		"warn": [],
		"uncounted": [],
		"waived": [],
	}
}

test_subgroup_gap_is_a_deviation_with_the_numbers if {
	subgroups := array.concat(
		[s | some s in fx.metrics.subgroups; s.attribute != "race"],
		[{"attribute": "race", "group": "Black or African American", "n": 4660, "auc_e4": 6800, "gap_e4": 1900}],
	)
	r := result_of(fx.version({"metrics": {"overall_auc_e4": 8700, "subgroups": subgroups}}))
	r.pccp_status == "deviation"
	r.regulatory_action == "new_submission"
	r.required_roles == ["clinical_reviewer", "quality", "regulatory"]
	r.deny == [{
		"rule": "gates.subgroup_gap",
		"msg": "race=Black or African American: AUC 0.680 is 0.190 below overall 0.870 (max gap 0.100)",
		"field": "validation.subgroups[2].auc_roc",
	}]
}

test_intended_use_change_is_outside_with_a_new_submission if {
	r := result_of(fx.version({"facts": {"intended_use_changed": true}}))
	r.change_class == "new_indication"
	r.pccp_status == "outside_pccp"
	r.regulatory_action == "new_submission"
	fx.fires(r.deny, "classify.new_indication")
	fx.fires(r.deny, "gates.declared_class")
}

test_deleted_version_has_no_class_but_is_denied if {
	r := result_of(fx.version({"subject": {"change": "deleted", "merged_at_base": true}, "manifest": null}))
	r.change_class == null
	r.pccp_status == null
	r.regulatory_action == null
	fx.rules(r.deny) == {"gates.immutable"}
}

# Sorted by rule, then message: stable output without the sorting builtin.
test_findings_are_sorted_by_rule_then_message if {
	r := result_of(fx.version({
		"metrics": {"overall_auc_e4": 7900, "attributes_present": ["age_band", "race"]},
		"subject": {"change": "modified", "merged_at_base": true},
	}))
	rules := [f.rule | some f in r.deny]
	rules == [
		"gates.auc_floor", "gates.immutable",
		"gates.subgroup_attribute_missing", "gates.subgroup_attribute_missing", "gates.subgroup_attribute_missing",
	]
	msgs := [f.msg | some f in r.deny; f.rule == "gates.subgroup_attribute_missing"]
	startswith(msgs[0], "No validation results by ethnicity")
	startswith(msgs[1], "No validation results by sex")
	startswith(msgs[2], "No validation results by site")
}

# ---------------------------------------------------------------------------------------------
# Other subjects
# ---------------------------------------------------------------------------------------------

test_pccp_edit_is_outside_with_a_new_submission if {
	r := result_of(fx.pccp_edit)
	r.change_class == null
	r.pccp_status == "outside_pccp"
	r.regulatory_action == "new_submission"
	r.required_roles == ["quality", "regulatory"]
	fx.rules(r.deny) == {"governance.plan_change"}
}

test_model_intended_use_change_is_outside_with_a_new_submission if {
	r := result_of(fx.model_edit(true))
	r.pccp_status == "outside_pccp"
	r.regulatory_action == "new_submission"
	fx.rules(r.deny) == {"governance.new_indication"}
}

test_other_model_edit_is_not_classified if {
	result_of(fx.model_edit(false)) == {
		"change_class": null, "pccp_status": null, "regulatory_action": null,
		"required_roles": [], "deny": [], "warn": [], "uncounted": [], "waived": [],
	}
}

test_production_change_needs_clinical_and_quality if {
	r := result_of(fx.deployment({"deployment": {"production_changed": true}}))
	r.change_class == null
	r.pccp_status == null
	r.regulatory_action == null
	r.required_roles == ["clinical_reviewer", "quality"]
	r.deny == []
}

test_unapproved_production_version_is_denied if {
	p := fx.deployment({
		"environments": {"production": {"version": "1.3.0", "exists": true, "approved": false, "changed": true}},
		"deployment": {"production_changed": true},
	})
	fx.rules(result_of(p).deny) == {"deployment.production_not_approved"}
}

test_governance_change_warns if {
	r := result_of(fx.governance_edit(".github/CODEOWNERS"))
	r.deny == []
	fx.rules(r.warn) == {"governance.code_owners"}
	r.pccp_status == null
	r.required_roles == ["quality", "regulatory"]
}

test_governance_change_with_a_registry_change_fails if {
	r := result_of(fx.governance_change("policies/gates.rego", "Governance", ["models/sepsis-ews/versions/1.4.0.yaml"]))
	fx.says(r.deny, "governance.mixed_change", "models/sepsis-ews/versions/1.4.0.yaml")
}

test_unknown_subject_kind_is_denied if {
	r := result_of({"subject": {"kind": "Dataset", "path": "data/x.yaml"}, "facts": {}})
	fx.says(r.deny, "decision.unknown_subject", "kind Dataset")
}

test_missing_subject_is_denied if fx.fires(result_of({}).deny, "decision.unknown_subject")

test_known_subject_kinds_are_not_unknown if {
	inputs := [
		fx.version({}), fx.deployment({}), fx.pccp_edit, fx.model_edit(false),
		fx.governance_edit("policies/x.rego"), fx.governance_change("policies/trust/trust.yaml", "Trust", []),
	]
	results := [result_of(x) | some x in inputs]
	count(results) == 6
	every r in results {
		not fx.fires(r.deny, "decision.unknown_subject")
	}
}
