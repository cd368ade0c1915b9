package clinigate.approvals_test

import rego.v1

import data.clinigate.approvals
import data.clinigate.authority
import data.clinigate.fixtures as fx

required_of(x) := r if {
	r := approvals.required_roles with input as x with data.clinigate.defaults as fx.defaults
}

missing_of(x) := m if {
	m := authority.missing_roles with input as x with data.clinigate.defaults as fx.defaults
}

deny_of(x) := d if {
	d := approvals.deny with input as x with data.clinigate.defaults as fx.defaults
}

# ---------------------------------------------------------------------------------------------
# Model versions: the class plan's roles, plus regulatory outside the plan
# ---------------------------------------------------------------------------------------------

test_conforming_data_update_needs_the_plan_roles if {
	required_of(fx.version({})) == {"clinical_reviewer", "quality"}
}

test_conforming_metadata_only_needs_the_plan_roles if {
	required_of(fx.version({"diff": fx.diff_only({"model_card"})})) == {"clinical_reviewer"}
}

test_deviation_adds_regulatory if {
	required_of(fx.version({"metrics": {"overall_auc_e4": 7900}})) == {"clinical_reviewer", "quality", "regulatory"}
}

test_outside_pccp_adds_regulatory if {
	p := fx.version({"pccp": fx.pccp_with_plan("data_update", fx.plan(false, ["clinical_reviewer"], "none"))})
	required_of(p) == {"clinical_reviewer", "regulatory"}
}

test_unauthorised_feature_change_needs_every_listed_role if {
	required_of(fx.version({"diff": fx.diff_only({"features"})})) == {"clinical_reviewer", "security_reviewer", "quality", "regulatory"}
}

test_missing_pccp_needs_every_reviewing_role if {
	required_of(fx.version({"pccp": null})) == approvals.fallback_roles
}

test_plan_without_roles_needs_every_reviewing_role_and_denies if {
	p := fx.version({"pccp": fx.pccp_with_plan("data_update", fx.plan(true, [], "none"))})
	required_of(p) == approvals.fallback_roles
	fx.fires(deny_of(p), "approvals.plan_roles_missing")
}

test_plan_with_roles_does_not_deny if count(deny_of(fx.version({}))) == 0

# ---------------------------------------------------------------------------------------------
# Other subjects
# ---------------------------------------------------------------------------------------------

test_pccp_edit_needs_regulatory_and_quality if required_of(fx.pccp_edit) == {"regulatory", "quality"}

test_new_indication_on_model_yaml_needs_regulatory_and_quality if {
	required_of(fx.model_edit(true)) == {"regulatory", "quality"}
}

test_other_model_yaml_edits_need_no_role if count(required_of(fx.model_edit(false))) == 0

test_production_change_needs_clinical_and_quality if {
	required_of(fx.deployment({"deployment": {"production_changed": true}})) == {"clinical_reviewer", "quality"}
}

test_non_production_deployment_change_needs_no_role if {
	count(required_of(fx.deployment({"deployment": {"production_changed": false}}))) == 0
}

test_unknown_production_change_counts_as_a_production_change if {
	p := fx.merge(fx.deployment({}), {"facts": {}})
	required_of(p) == {"clinical_reviewer", "quality"}
}

test_governance_change_needs_the_roles_of_its_table_row if {
	required_of(fx.governance_edit("policies/gates.rego")) == {"regulatory", "quality"}
}

test_governance_change_without_table_roles_needs_every_governance_role if {
	p := fx.merge(fx.governance_edit("tooling/x.py"), {"facts": {"change_mix": {"registry": []}}})
	required_of(p) == {"security_reviewer", "quality", "regulatory"}
}

test_trust_yaml_is_a_governance_change if {
	required_of(fx.governance_change("policies/trust/trust.yaml", "Trust", [])) == {"regulatory", "quality"}
}

# ---------------------------------------------------------------------------------------------
# Missing roles
# ---------------------------------------------------------------------------------------------

test_without_approvals_every_required_role_is_missing if {
	missing_of(fx.version({})) == {"clinical_reviewer", "quality"}
}

test_a_valid_approval_covers_its_role if {
	p := fx.version({"approvals": [{"role": "clinical_reviewer", "signer": "jlindqvist", "valid": true,
		"meaning": "approval", "order": 1}]})
	missing_of(p) == {"quality"}
}

test_an_invalid_approval_covers_nothing if {
	p := fx.version({"approvals": [{"role": "clinical_reviewer", "signer": "jlindqvist", "valid": false,
		"meaning": "approval", "order": 1}]})
	missing_of(p) == {"clinical_reviewer", "quality"}
}

test_malformed_approvals_cover_nothing if {
	missing_of(fx.version({"approvals": null})) == {"clinical_reviewer", "quality"}
}
