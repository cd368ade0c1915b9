package clinigate.risk_test

import rego.v1

import data.clinigate.approvals
import data.clinigate.decision
import data.clinigate.fixtures as fx
import data.clinigate.risk

with_risk(patch) := {"facts": {"risk": fx.merge(fx.risk_facts, patch)}}

deny_of(p) := d if {
	d := risk.deny with input as fx.version(p) with data.clinigate.defaults as fx.defaults
}

# The fixture's data_update plan with risk_affecting set (plans without it count as affecting).
pccp_affecting(flag) := fx.pccp_with_plan("data_update", fx.merge(
	fx.pccp.change_classes.data_update,
	{"risk_affecting": flag},
))

with_hazards(hazards) := fx.manifest_with("change", fx.merge(fx.manifest.change, {"new_hazards": hazards}))

# ---------------------------------------------------------------------------------------------
# Cited controls must exist in the register at the base
# ---------------------------------------------------------------------------------------------

test_a_known_control_passes if {
	count(deny_of({})) == 0
	count(deny_of({"pccp": pccp_affecting(true)})) == 0
}

test_an_unknown_control_is_denied_naming_the_known_ones if {
	d := deny_of(with_risk({"cited_controls": ["RC-04", "RC-99"]}))
	fx.says(d, "gates.risk_control_unknown", "cites RC-99, which the risk register at the base")
	fx.says(d, "gates.risk_control_unknown", "its controls are RC-01, RC-04, RC-07")
	some f in d
	f.field == "change.risk_controls_affected[1]"
	not fx.says(d, "gates.risk_control_unknown", "cites RC-04")
}

test_a_control_only_the_head_adds_is_unknown if {
	p := with_risk({"cited_controls": ["RC-08"], "head_controls": ["RC-01", "RC-04", "RC-07", "RC-08"], "register_changed": true})
	fx.says(deny_of(p), "gates.risk_control_unknown", "cites RC-08")
}

test_a_register_new_in_this_pull_request_is_judged_by_its_head_copy if {
	p := with_risk({"register_at_base": false, "base_controls": [], "register_changed": true})
	count(deny_of(p)) == 0
	q := with_risk({"register_at_base": false, "base_controls": [], "cited_controls": ["RC-99"]})
	fx.says(deny_of(q), "gates.risk_control_unknown", "the risk register this pull request adds")
}

test_no_register_at_all_is_denied if {
	p := with_risk({"register_at_base": false, "register_at_head": false, "base_controls": [], "head_controls": []})
	d := deny_of(p)
	fx.says(d, "gates.risk_register_missing", "models/sepsis-ews/risk.yaml is missing")
	not fx.fires(d, "gates.risk_control_unknown")
}

# ---------------------------------------------------------------------------------------------
# A risk-affecting change must cite a control
# ---------------------------------------------------------------------------------------------

test_a_risk_affecting_change_without_controls_is_denied if {
	d := deny_of(fx.merge(with_risk({"cited_controls": []}), {"pccp": pccp_affecting(true)}))
	fx.says(d, "gates.risk_controls_missing", "data_update, which the sepsis-ews PCCP marks risk_affecting")
	fx.says(d, "gates.risk_controls_missing", "its controls are RC-01, RC-04, RC-07")
}

test_a_plan_silent_on_risk_counts_as_risk_affecting if {
	fx.says(deny_of(with_risk({"cited_controls": []})), "gates.risk_controls_missing", "does not say risk_affecting: false")
}

test_a_change_the_plan_marks_not_risk_affecting_needs_no_control if {
	count(deny_of(fx.merge(with_risk({"cited_controls": []}), {"pccp": pccp_affecting(false)}))) == 0
}

test_no_pccp_fails_closed if {
	fx.fires(deny_of(fx.merge(with_risk({"cited_controls": []}), {"pccp": null})), "gates.risk_controls_missing")
}

# ---------------------------------------------------------------------------------------------
# A new hazard: the register lists it at head and changes in the same pull request
# ---------------------------------------------------------------------------------------------

test_a_new_hazard_with_the_register_changed_passes if {
	p := fx.merge(
		with_risk({"register_changed": true, "head_hazards": ["H-1", "H-2", "H-3", "H-4", "H-7"]}),
		{"manifest": with_hazards(["H-7"])},
	)
	count(deny_of(p)) == 0
}

test_a_new_hazard_without_a_register_change_is_denied if {
	d := deny_of({"manifest": with_hazards(["H-7"])})
	fx.says(d, "gates.new_hazard_unregistered", "at the head of this pull request does not list")
	fx.says(d, "gates.new_hazard_unregistered", "this pull request does not change models/sepsis-ews/risk.yaml")
}

test_a_changed_register_that_forgets_the_hazard_is_denied if {
	p := fx.merge(with_risk({"register_changed": true}), {"manifest": with_hazards(["H-7"])})
	d := deny_of(p)
	fx.says(d, "gates.new_hazard_unregistered", "declares H-7, which models/sepsis-ews/risk.yaml at the head")
	not fx.says(d, "gates.new_hazard_unregistered", "does not change")
}

test_a_hazard_already_at_the_base_is_not_new if {
	p := fx.merge(with_risk({"register_changed": true}), {"manifest": with_hazards(["H-2"])})
	fx.says(deny_of(p), "gates.new_hazard_unregistered", "H-2, which the risk register at the base already lists")
}

# ---------------------------------------------------------------------------------------------
# Facts missing; other subjects; the register as a subject
# ---------------------------------------------------------------------------------------------

test_missing_risk_facts_fail_closed if {
	v := fx.version({})
	d := risk.deny with input as fx.merge(v, {"facts": object.remove(v.facts, ["risk"])})
		with data.clinigate.defaults as fx.defaults
	fx.says(d, "gates.risk_facts_missing", "lacks facts.risk")
}

register_input(change) := fx.merge(
	fx.subject_input("RiskRegister", "models/sepsis-ews/risk.yaml", {}),
	{"subject": fx.merge(fx.subject_input("RiskRegister", "models/sepsis-ews/risk.yaml", {}).subject, {"change": change})},
)

test_a_register_change_needs_quality_and_a_clinical_reviewer if {
	risk.required_roles == {"quality", "clinical_reviewer"} with input as register_input("modified")
	approvals.required_roles == {"quality", "clinical_reviewer"} with input as register_input("modified")
	count(risk.deny) == 0 with input as register_input("modified")
}

test_deleting_the_register_is_denied if {
	fx.says(risk.deny, "risk.register_deleted", "must be kept") with input as register_input("deleted")
}

test_the_register_is_a_known_subject if {
	r := decision.result with input as register_input("added") with data.clinigate.defaults as fx.defaults
	not fx.fires(r.deny, "decision.unknown_subject")
	r.pccp_status == null
	r.required_roles == ["clinical_reviewer", "quality"]
}

test_other_subjects_are_not_judged_here if {
	count(risk.deny) == 0 with input as fx.deployment({})
	count(risk.required_roles) == 0 with input as fx.pccp_edit
}
