package clinigate.authority_test

import rego.v1

import data.clinigate.authority
import data.clinigate.decision
import data.clinigate.fixtures as fx

# ---------------------------------------------------------------------------------------------
# Inputs: a data update whose plan asks for a technical, a clinical and a quality approval
# ---------------------------------------------------------------------------------------------

three_roles := fx.plan(true, ["ml_reviewer", "clinical_reviewer", "quality"], "none")

people := {"ml_reviewer": "Sofia Marquez, PhD", "clinical_reviewer": "Johanna Lindqvist, MD", "quality": "Kwame Osei"}

# A valid approval by `role` with the meaning `approval`, ranked `order` among the document's.
approval(role, order) := approval_with(role, order, "approval")

approval_with(role, order, meaning) := {
	"role": role, "signer": role, "printed_name": people[role], "valid": true, "decision": "approved",
	"meaning": meaning, "order": order, "entry": concat("", ["ledger/", role, "/", format_int(order, 10)]),
}

# A version under `plan` (three_roles unless given) with these approvals and facts.
version_with(approvals, facts) := fx.version({
	"pccp": fx.pccp_with_plan("data_update", three_roles),
	"approvals": approvals,
	"facts": facts,
})

missing(x) := m if {
	m := authority.missing_roles with input as x with data.clinigate.defaults as fx.defaults
}

uncounted(x) := u if {
	u := authority.uncounted with input as x with data.clinigate.defaults as fx.defaults
}

warns(x) := w if {
	w := authority.warn with input as x with data.clinigate.defaults as fx.defaults
}

denies(x) := d if {
	d := authority.deny with input as x with data.clinigate.defaults as fx.defaults
}

uncounted_rules(x) := {[u.entry, u.rule] | some u in uncounted(x)}

# ---------------------------------------------------------------------------------------------
# Review order: technical -> clinical -> quality/regulatory (policies/data/authority.yaml)
# ---------------------------------------------------------------------------------------------

test_approvals_in_order_all_count if {
	x := version_with([approval("ml_reviewer", 1), approval("clinical_reviewer", 2), approval("quality", 3)], {})
	count(missing(x)) == 0
	count(uncounted(x)) == 0
	count(warns(x)) == 0
}

test_approvals_at_one_time_are_in_order if {
	x := version_with([approval("ml_reviewer", 1), approval("clinical_reviewer", 1), approval("quality", 1)], {})
	count(missing(x)) == 0
}

test_a_clinical_approval_before_the_technical_one_does_not_count if {
	x := version_with([approval("clinical_reviewer", 1), approval("ml_reviewer", 2), approval("quality", 3)], {})
	missing(x) == {"clinical_reviewer", "quality"}
	uncounted_rules(x) == {
		["ledger/clinical_reviewer/1", "approvals.out_of_order"],
		["ledger/quality/3", "approvals.out_of_order"],
	}
	some w in warns(x)
	w.rule == "approvals.out_of_order"
	contains(w.msg, "Johanna Lindqvist, MD's clinical_reviewer approval was signed before the technical stage (ml_reviewer)")
	contains(w.msg, "technical → clinical → quality_regulatory")
}

test_a_quality_approval_names_the_first_open_stage if {
	x := version_with([approval("quality", 1), approval("ml_reviewer", 2), approval("clinical_reviewer", 3)], {})
	missing(x) == {"quality"}
	some w in warns(x)
	contains(w.msg, "Kwame Osei's quality approval was signed before the technical stage")
}

test_signing_again_after_the_earlier_stage_counts if {
	x := version_with([
		approval("clinical_reviewer", 1), approval("ml_reviewer", 2),
		approval("clinical_reviewer", 3), approval("quality", 4),
	], {})
	count(missing(x)) == 0
	uncounted_rules(x) == {["ledger/clinical_reviewer/1", "approvals.out_of_order"]}
	count(warns(x)) == 0 # the role counts: the early act is listed, not warned about
}

# An early approval of stage 2 must not open stage 3 for a quality approval signed before the
# clinical approval that does count.
test_a_premature_approval_opens_no_later_stage if {
	x := version_with([
		approval("clinical_reviewer", 1), approval("ml_reviewer", 2),
		approval("quality", 3), approval("clinical_reviewer", 4),
	], {})
	missing(x) == {"quality"}
}

test_a_revoked_technical_approval_opens_no_stage if {
	revoked := fx.merge(approval("ml_reviewer", 1), {"valid": false, "order": null})
	x := version_with([revoked, approval("clinical_reviewer", 2), approval("ml_reviewer", 3), approval("quality", 4)], {})
	missing(x) == {"clinical_reviewer", "quality"}
}

test_a_rejection_opens_no_stage if {
	rejected := fx.merge(approval("ml_reviewer", 1), {"valid": false, "decision": "rejected", "order": null})
	x := version_with([rejected, approval("clinical_reviewer", 2), approval("quality", 3)], {})
	missing(x) == {"ml_reviewer", "clinical_reviewer", "quality"}
}

test_an_approval_without_a_time_does_not_count if {
	x := version_with([approval("ml_reviewer", 1), fx.merge(approval("clinical_reviewer", 2), {"order": null})], {})
	missing(x) == {"clinical_reviewer", "quality"}
	some w in warns(x)
	contains(w.msg, "has no time to order it by")
}

test_stages_the_change_does_not_require_are_skipped if {
	two := fx.plan(true, ["clinical_reviewer", "quality"], "none")
	x := fx.version({"pccp": fx.pccp_with_plan("data_update", two), "approvals": [approval("clinical_reviewer", 1), approval("quality", 2)]})
	count(missing(x)) == 0
}

test_the_plan_wide_order_replaces_the_default if {
	order := [{"stage": "clinical", "roles": ["clinical_reviewer"]}, {"stage": "technical", "roles": ["ml_reviewer"]}]
	pccp := fx.merge(fx.pccp_with_plan("data_update", three_roles), {"review_order": order})
	x := fx.version({"pccp": pccp, "approvals": [approval("ml_reviewer", 1), approval("clinical_reviewer", 2), approval("quality", 3)]})
	missing(x) == {"ml_reviewer"} # quality is in no stage of this order
}

test_the_class_order_replaces_the_plans if {
	plan_order := [{"stage": "clinical", "roles": ["clinical_reviewer"]}, {"stage": "technical", "roles": ["ml_reviewer"]}]
	class_order := [{"stage": "first", "roles": ["quality"]}, {"stage": "then", "roles": ["ml_reviewer", "clinical_reviewer"]}]
	plan := fx.merge(three_roles, {"review_order": class_order})
	pccp := fx.merge(fx.pccp_with_plan("data_update", plan), {"review_order": plan_order})
	in_order := [approval("quality", 1), approval("ml_reviewer", 2), approval("clinical_reviewer", 2)]
	count(missing(fx.version({"pccp": pccp, "approvals": in_order}))) == 0
	default_order := [approval("ml_reviewer", 1), approval("clinical_reviewer", 2), approval("quality", 3)]
	missing(fx.version({"pccp": pccp, "approvals": default_order})) == {"ml_reviewer", "clinical_reviewer"}
}

test_without_any_order_nothing_is_ordered if {
	x := version_with([approval("quality", 1), approval("clinical_reviewer", 2), approval("ml_reviewer", 3)], {})
	m := authority.missing_roles with input as x with data.clinigate.defaults as fx.defaults
		with data.clinigate.approval_authority.review_order as null
	count(m) == 0
}

test_deployments_are_not_ordered if {
	x := fx.merge(fx.deployment({"deployment": {"production_changed": true}}), {"approvals": [approval("quality", 1), approval("clinical_reviewer", 2)]})
	count(missing(x)) == 0
}

test_more_stages_than_clinigate_orders_is_denied if {
	order := [{"stage": "a", "roles": ["ml_reviewer"]}, {"stage": "b", "roles": ["security_reviewer"]}, {"stage": "c", "roles": ["data_scientist"]}, {"stage": "d", "roles": ["clinical_reviewer"]}, {"stage": "e", "roles": ["regulatory"]}, {"stage": "f", "roles": ["quality"]}]
	pccp := fx.merge(fx.pccp_with_plan("data_update", three_roles), {"review_order": order})
	x := fx.version({"pccp": pccp, "approvals": [approval("ml_reviewer", 1), approval("clinical_reviewer", 2), approval("quality", 3)]})
	fx.fires(denies(x), "approvals.review_order_invalid")
	"quality" in missing(x)
}

test_five_stages_are_ordered_and_not_denied if {
	order := [{"stage": "a", "roles": ["ml_reviewer"]}, {"stage": "b", "roles": ["security_reviewer"]}, {"stage": "c", "roles": ["data_scientist"]}, {"stage": "d", "roles": ["clinical_reviewer"]}, {"stage": "e", "roles": ["quality"]}]
	pccp := fx.merge(fx.pccp_with_plan("data_update", three_roles), {"review_order": order})
	x := fx.version({"pccp": pccp, "approvals": [approval("ml_reviewer", 1), approval("clinical_reviewer", 2), approval("quality", 3)]})
	count(denies(x)) == 0
	count(missing(x)) == 0
	late := fx.version({"pccp": pccp, "approvals": [approval("ml_reviewer", 2), approval("clinical_reviewer", 3), approval("quality", 1)]})
	missing(late) == {"quality"}
}

# ---------------------------------------------------------------------------------------------
# Authority matrix: role -> meaning -> risk class
# ---------------------------------------------------------------------------------------------

in_order_with_quality_meaning(meaning) := [
	approval("ml_reviewer", 1), approval("clinical_reviewer", 2), approval_with("quality", 3, meaning),
]

test_quality_may_not_release_a_class_ii_model_with_a_review_signature if {
	x := version_with(in_order_with_quality_meaning("review"), {"risk_class": "II"})
	missing(x) == {"quality"}
	uncounted_rules(x) == {["ledger/quality/3", "approvals.wrong_meaning"]}
	some w in warns(x)
	w.rule == "approvals.wrong_meaning"
	contains(w.msg, "Kwame Osei signed as quality with the meaning review")
	contains(w.msg, "a risk class II model (accepted: approval, responsibility)")
}

test_quality_may_review_a_non_device_model if {
	x := version_with(in_order_with_quality_meaning("review"), {"risk_class": "non_device"})
	count(missing(x)) == 0
}

test_the_approval_meaning_counts_at_class_iii if {
	x := version_with(in_order_with_quality_meaning("responsibility"), {"risk_class": "III"})
	count(missing(x)) == 0
}

test_an_unknown_risk_class_binds_every_column if {
	review := version_with(in_order_with_quality_meaning("review"), {"risk_class": "IV"})
	missing(review) == {"quality"}
	some w in warns(review)
	contains(w.msg, "unknown risk class")
	count(missing(version_with(in_order_with_quality_meaning("approval"), {}))) == 0
}

test_authorship_is_no_reviewers_meaning if {
	x := version_with(in_order_with_quality_meaning("authorship"), {"risk_class": "I"})
	missing(x) == {"quality"}
}

test_a_wrong_meaning_opens_no_later_stage if {
	x := version_with([approval_with("ml_reviewer", 1, "authorship"), approval("clinical_reviewer", 2), approval("ml_reviewer", 3), approval("quality", 4)], {"risk_class": "II"})
	missing(x) == {"clinical_reviewer", "quality"}
}

peer_review(meaning) := fx.version({
	"pccp": fx.pccp_with_plan("data_update", fx.plan(true, ["data_scientist", "clinical_reviewer", "quality"], "none")),
	"facts": {"risk_class": "II"},
	"approvals": [
		fx.merge(approval_with("ml_reviewer", 1, meaning), {"role": "data_scientist"}),
		approval("clinical_reviewer", 2), approval("quality", 3),
	],
})

test_a_data_scientist_reviews_but_does_not_approve_a_class_ii_model if {
	count(missing(peer_review("review"))) == 0
	missing(peer_review("approval")) == {"data_scientist", "clinical_reviewer", "quality"}
}

test_without_the_matrix_nothing_counts if {
	x := version_with([approval("ml_reviewer", 1), approval("clinical_reviewer", 2), approval("quality", 3)], {})
	m := authority.missing_roles with input as x with data.clinigate.defaults as fx.defaults
		with data.clinigate.approval_authority as {}
	m == {"ml_reviewer", "clinical_reviewer", "quality"}
}

test_the_decision_lists_what_it_does_not_count if {
	x := version_with([approval("clinical_reviewer", 1), approval("ml_reviewer", 2)], {})
	r := decision.result with input as x with data.clinigate.defaults as fx.defaults
	r.uncounted == [{"entry": "ledger/clinical_reviewer/1", "rule": "approvals.out_of_order", "msg": r.warn[0].msg}]
	r.warn[0].rule == "approvals.out_of_order"
}

# ---------------------------------------------------------------------------------------------
# Disciplines: each class of a changed PCCP asks for clinical, ML and quality/regulatory review
# ---------------------------------------------------------------------------------------------

pccp_change(plans) := fx.merge(fx.pccp_edit, {"manifest": {"kind": "PCCP", "change_classes": plans}})

test_a_class_without_an_ml_role_is_denied if {
	d := denies(pccp_change({"data_update": fx.plan(true, ["clinical_reviewer", "quality"], "none")}))
	some f in d
	f.rule == "approvals.disciplines_missing"
	f.field == "change_classes.data_update.required_roles"
	contains(f.msg, "The data_update plan's required_roles (clinical_reviewer, quality) include no ml role (ml: data_scientist, ml_reviewer)")
}

test_a_class_missing_two_disciplines_names_both if {
	d := denies(pccp_change({"metadata_only": fx.plan(true, ["clinical_reviewer"], "none")}))
	some f in d
	contains(f.msg, "include no ml, quality_regulatory role")
}

test_a_multidisciplinary_class_is_not_denied if {
	count(denies(pccp_change({"data_update": three_roles}))) == 0
}

test_a_reasoned_exemption_is_accepted if {
	plan := fx.merge(fx.plan(true, ["clinical_reviewer"], "none"), {"discipline_exemption": {
		"disciplines": ["ml", "quality_regulatory"], "reason": "Card text only; no model-affecting field changes.",
	}})
	count(denies(pccp_change({"metadata_only": plan}))) == 0
}

test_an_exemption_without_a_reason_is_no_exemption if {
	plan := fx.merge(fx.plan(true, ["clinical_reviewer", "quality"], "none"), {"discipline_exemption": {"disciplines": ["ml"], "reason": "  "}})
	fx.fires(denies(pccp_change({"data_update": plan})), "approvals.disciplines_missing")
}

test_version_subjects_are_not_judged_for_disciplines if {
	count(denies(fx.version({}))) == 0
}
