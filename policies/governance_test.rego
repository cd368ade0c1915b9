package clinigate.governance_test

import rego.v1

import data.clinigate.fixtures as fx
import data.clinigate.governance

deny_of(p) := d if {
	d := governance.deny with input as p with data.clinigate.defaults as fx.defaults
}

warn_of(p) := w if {
	w := governance.warn with input as p with data.clinigate.defaults as fx.defaults
}

# ---------------------------------------------------------------------------------------------
# pccp.yaml
# ---------------------------------------------------------------------------------------------

test_pccp_edit_denies_as_a_plan_change if {
	fx.says(
		deny_of(fx.pccp_edit),
		"governance.plan_change",
		"plan change: editing pccp.yaml changes the authorised PCCP and needs a marketing submission and a regulatory approval",
	)
	governance.outside_pccp with input as fx.pccp_edit
}

test_deleting_pccp_yaml_is_a_plan_change_too if {
	p := fx.merge(fx.pccp_edit, {"subject": fx.merge(fx.pccp_edit.subject, {"change": "deleted"})})
	fx.fires(deny_of(p), "governance.plan_change")
}

test_other_subjects_are_no_plan_change if {
	not fx.fires(deny_of(fx.model_edit(false)), "governance.plan_change")
	not fx.fires(deny_of(fx.version({})), "governance.plan_change")
}

# ---------------------------------------------------------------------------------------------
# model.yaml
# ---------------------------------------------------------------------------------------------

test_intended_use_change_denies_as_new_indication if {
	d := deny_of(fx.model_edit(true))
	some f in d
	f.rule == "governance.new_indication"
	f.field == "intended_use"
	contains(f.msg, "new marketing submission")
	governance.outside_pccp with input as fx.model_edit(true)
}

test_other_model_yaml_edits_pass if {
	count(deny_of(fx.model_edit(false))) == 0
	not governance.outside_pccp with input as fx.model_edit(false)
}

test_model_edit_without_the_intended_use_fact_denies if {
	p := fx.merge(fx.model_edit(false), {"facts": {}})
	fx.fires(deny_of(p), "governance.facts_incomplete")
}

# ---------------------------------------------------------------------------------------------
# Governance paths
# ---------------------------------------------------------------------------------------------

test_policy_change_warns_for_code_owners if {
	fx.says(
		warn_of(fx.governance_edit("policies/gates.rego")),
		"governance.code_owners",
		"governance change: policies/gates.rego changes the gates every model change is judged by; it is judged by the base revision's rules and needs signed approvals from quality, regulatory and its code owners.",
	)
}

test_trust_root_change_says_what_it_controls if {
	fx.says(warn_of(fx.governance_edit("policies/trust/org-ca.pem")), "governance.code_owners", "trust roots")
}

test_roles_change_says_what_it_controls if {
	fx.says(warn_of(fx.governance_edit("policies/data/roles.yaml")), "governance.code_owners", "who holds which review role")
}

test_ci_change_says_what_it_controls if {
	fx.says(warn_of(fx.governance_edit(".github/workflows/check.yml")), "governance.code_owners", "CI, code owners or branch protection")
}

test_governance_change_alone_is_not_denied if count(deny_of(fx.governance_edit("policies/gates.rego"))) == 0

test_governance_change_beside_a_registry_change_is_denied if {
	p := fx.governance_change("tooling/clinigate/cli/check.py", "Governance", ["models/a/deployment.yaml"])
	fx.says(deny_of(p), "governance.mixed_change", "put the governance change in its own pull request")
}

test_governance_change_without_the_mix_fact_fails_closed if {
	p := fx.merge(fx.governance_edit("policies/gates.rego"), {"facts": {"governance": {"roles": ["quality"]}}})
	fx.fires(deny_of(p), "governance.facts_incomplete")
}

test_tool_code_change_says_what_it_controls if {
	fx.says(warn_of(fx.governance_edit("tooling/clinigate/policy/check.py")), "governance.code_owners", "the code that runs the gate")
}

test_model_changes_are_not_governance_changes if not fx.fires(warn_of(fx.version({})), "governance.code_owners")
