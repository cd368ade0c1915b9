package clinigate.waivers_test

import rego.v1

import data.clinigate.approvals
import data.clinigate.decision
import data.clinigate.fixtures as fx
import data.clinigate.waivers

# The policy data the tests run with (the file's own copy is policies/data/waiver_rules.yaml).
rules_data := {"rules": {"gates.subgroup_attribute_missing": {"min_roles": ["regulatory", "quality"]}}}

now := 1800000000

signed(role) := {"role": role, "valid": true, "decision": "approved", "meaning": "approval", "signer": role}

# A waiver of the missing ethnicity subgroups of 1.4.0, signed by both roles, in date.
waiver(patch) := fx.merge({
	"id": "W-1",
	"path": "models/sepsis-ews/waivers/W-1.yaml",
	"rule": "gates.subgroup_attribute_missing",
	"field": "validation.subgroups",
	"versions": ["1.4.0"],
	"expires": "2027-01-15T08:00:00Z",
	"expires_epoch": now + 86400,
	"required_roles": ["regulatory", "quality"],
	"approvals": [signed("regulatory"), signed("quality")],
}, patch)

# The fixture version without ethnicity subgroups, judged with these waivers at the gate's clock.
missing_ethnicity(ws) := fx.version({
	"metrics": {"attributes_present": ["age_band", "clinical", "race", "sex", "site"]},
	"facts": {"waivers": ws, "now_epoch": now},
})

result_of(x) := r if {
	r := decision.result with input as x with data.clinigate.defaults as fx.defaults
		with data.clinigate.waiver_rules as rules_data
}

rules(fs) := {f.rule | some f in fs}

# ---------------------------------------------------------------------------------------------
# A version's findings
# ---------------------------------------------------------------------------------------------

test_without_a_waiver_the_missing_subgroup_denies if {
	r := result_of(missing_ethnicity([]))
	"gates.subgroup_attribute_missing" in rules(r.deny)
	r.waived == []
}

test_a_signed_waiver_in_date_moves_the_finding_to_waived if {
	r := result_of(missing_ethnicity([waiver({})]))
	r.deny == []
	count(r.waived) == 1
	r.waived[0].rule == "gates.subgroup_attribute_missing"
	r.waived[0].field == "validation.subgroups"
	r.waived[0].waiver == "W-1"
	r.waived[0].expires == "2027-01-15T08:00:00Z"
	contains(r.waived[0].msg, "ethnicity")
	# a waived acceptance criterion is still a deviation, accepted on record
	r.pccp_status == "deviation"
	"regulatory" in r.required_roles
}

test_an_expired_waiver_fails_and_waives_nothing if {
	r := result_of(missing_ethnicity([waiver({"expires_epoch": now})]))
	rules(r.deny) == {"gates.subgroup_attribute_missing", "waiver.expired"}
	r.waived == []
}

test_an_expired_waiver_fails_even_without_the_finding if {
	x := fx.version({"facts": {"waivers": [waiver({"expires_epoch": now - 1})], "now_epoch": now}})
	rules(result_of(x).deny) == {"waiver.expired"}
}

test_a_waiver_short_of_a_signature_waives_nothing if {
	r := result_of(missing_ethnicity([waiver({"approvals": [signed("regulatory")]})]))
	"gates.subgroup_attribute_missing" in rules(r.deny)
	"waiver.unapproved" in rules(r.warn)
	some w in r.warn
	w.rule == "waiver.unapproved"
	contains(w.msg, "quality")
	r.waived == []
}

test_the_policy_datas_minimum_roles_bind_a_waiver_asking_fewer if {
	w := waiver({"required_roles": ["regulatory"], "approvals": [signed("regulatory")]})
	r := result_of(missing_ethnicity([w]))
	"gates.subgroup_attribute_missing" in rules(r.deny)
	"waiver.unapproved" in rules(r.warn)
}

test_the_waivers_own_roles_add_to_the_minimum if {
	w := waiver({"required_roles": ["regulatory", "quality", "clinical_reviewer"]})
	r := result_of(missing_ethnicity([w]))
	"gates.subgroup_attribute_missing" in rules(r.deny)
	ok := result_of(missing_ethnicity([waiver({
		"required_roles": ["regulatory", "quality", "clinical_reviewer"],
		"approvals": [signed("regulatory"), signed("quality"), signed("clinical_reviewer")],
	})]))
	ok.deny == []
}

test_invalid_rejected_and_review_only_approvals_do_not_count if {
	bad := [
		fx.merge(signed("quality"), {"valid": false}),
		fx.merge(signed("quality"), {"decision": "rejected"}),
		fx.merge(signed("quality"), {"meaning": "review"}),
	]
	w := waiver({"approvals": array.concat([signed("regulatory")], bad)})
	r := result_of(missing_ethnicity([w]))
	"gates.subgroup_attribute_missing" in rules(r.deny)
	r.waived == []
}

test_a_waiver_of_a_rule_not_waivable_fails if {
	w := waiver({"rule": "gates.auc_floor"})
	r := result_of(missing_ethnicity([w]))
	rules(r.deny) == {"gates.subgroup_attribute_missing", "waiver.rule_not_waivable"}
}

test_waiver_rules_are_never_waivable if {
	d := {"rules": {"waiver.expired": {"min_roles": ["quality"]}}}
	w := waiver({"rule": "waiver.expired", "expires_epoch": now})
	r := decision.result with input as missing_ethnicity([w]) with data.clinigate.defaults as fx.defaults
		with data.clinigate.waiver_rules as d
	"waiver.rule_not_waivable" in rules(r.deny)
	r.waived == []
}

test_a_waiver_of_other_versions_does_nothing if {
	r := result_of(missing_ethnicity([waiver({"versions": ["1.3.0"], "expires_epoch": now})]))
	rules(r.deny) == {"gates.subgroup_attribute_missing"}
	r.warn == []
}

test_a_waiver_of_another_field_does_not_cover if {
	r := result_of(missing_ethnicity([waiver({"field": "training.dataset"})]))
	"gates.subgroup_attribute_missing" in rules(r.deny)
	r.waived == []
}

test_a_waiver_without_field_or_with_a_parent_field_covers if {
	result_of(missing_ethnicity([waiver({"field": null})])).deny == []
	result_of(missing_ethnicity([waiver({"field": "validation"})])).deny == []
}

test_without_the_gates_clock_nothing_is_waived if {
	x := fx.version({
		"metrics": {"attributes_present": ["age_band", "clinical", "race", "sex", "site"]},
		"facts": {"waivers": [waiver({})]},
	})
	r := result_of(x)
	"gates.subgroup_attribute_missing" in rules(r.deny)
	r.waived == []
}

test_without_the_policy_data_nothing_is_waivable if {
	r := decision.result with input as missing_ethnicity([waiver({})]) with data.clinigate.defaults as fx.defaults
		with data.clinigate.waiver_rules as {}
	rules(r.deny) == {"gates.subgroup_attribute_missing", "waiver.rule_not_waivable"}
}

# ---------------------------------------------------------------------------------------------
# The Waiver document as the changed document
# ---------------------------------------------------------------------------------------------

waiver_doc(patch) := fx.merge({
	"apiVersion": "clinigate/v1", "kind": "Waiver", "id": "W-1", "model": "sepsis-ews",
	"rule": "gates.subgroup_attribute_missing", "scope": {"versions": ["1.4.0"]},
	"reason": "r", "expires": "2027-01-15T08:00:00Z", "required_roles": ["regulatory"],
	"submitted_by": "pnair",
}, patch)

waiver_subject(doc, facts) := fx.merge(fx.subject_input("Waiver", "models/sepsis-ews/waivers/W-1.yaml", facts), {
	"manifest": doc, "base_manifest": null,
})

in_date := {"waiver": {"expires_epoch": now + 1}, "now_epoch": now}

test_a_waiver_needs_its_roles_and_the_minimum if {
	r := result_of(waiver_subject(waiver_doc({"required_roles": ["regulatory", "clinical_reviewer"]}), in_date))
	r.required_roles == ["clinical_reviewer", "quality", "regulatory"]
	r.deny == []
}

test_an_expired_waiver_document_fails if {
	x := waiver_subject(waiver_doc({}), {"waiver": {"expires_epoch": now}, "now_epoch": now})
	rules(result_of(x).deny) == {"waiver.expired"}
}

test_a_waiver_document_of_a_rule_not_waivable_fails if {
	r := result_of(waiver_subject(waiver_doc({"rule": "gates.auc_floor"}), in_date))
	rules(r.deny) == {"waiver.rule_not_waivable"}
	r.required_roles == ["regulatory"]
}

test_a_waiver_document_without_the_clock_fails_closed if {
	rules(result_of(waiver_subject(waiver_doc({}), {"waiver": {"expires_epoch": now + 1}})).deny) == {"waiver.facts_missing"}
}

test_a_waiver_is_a_known_subject if {
	not "decision.unknown_subject" in rules(result_of(waiver_subject(waiver_doc({}), in_date)).deny)
	approvals.required_roles == {"regulatory", "quality"} with input as waiver_subject(waiver_doc({}), in_date)
		with data.clinigate.waiver_rules as rules_data
	waivers.required_roles == {"regulatory", "quality"} with input as waiver_subject(waiver_doc({}), in_date)
		with data.clinigate.waiver_rules as rules_data
}

test_only_the_waived_rules_minimum_applies if {
	d := {"rules": {
		"gates.subgroup_attribute_missing": {"min_roles": ["regulatory", "quality"]},
		"gates.subgroup_n": {"min_roles": ["clinical_reviewer"]},
	}}
	r := decision.result with input as missing_ethnicity([waiver({})]) with data.clinigate.defaults as fx.defaults
		with data.clinigate.waiver_rules as d
	r.deny == []
	count(r.waived) == 1
}
