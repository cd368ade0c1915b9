package clinigate.routing_test

import rego.v1

import data.clinigate.fixtures as fx
import data.clinigate.pccp

decision_of(p) := r if {
	r := data.clinigate.decision.result with input as fx.version(p) with data.clinigate.defaults as fx.defaults
}

features_only := fx.diff_only({"features", "artifact"})

row(cls, significant) := {
	"change_class": cls,
	"significant": significant,
	"reasoning": "A recomputed input from the same vital-sign signal does not change the risk profile.",
	"assessment": "QMS-RA-0150 rev A",
}

pccp_with_rows(rows) := fx.merge(fx.pccp, {"outside_pccp_significance": rows})

feature_change(rows) := {"diff": features_only, "pccp": pccp_with_rows(rows)}

test_non_significant_outside_change_is_a_letter_to_file if {
	r := decision_of(feature_change([row("feature_engineering", false)]))
	r.pccp_status == "outside_pccp"
	r.regulatory_action == "letter_to_file"
	not fx.fires(r.deny, "classify.class_not_authorised")
	fx.says(r.warn, "pccp.significance", "the plan's significance assessment (QMS-RA-0150 rev A) marks such a change non-significant: A recomputed input")
	"regulatory" in r.required_roles
}

test_significant_outside_change_stays_a_new_submission if {
	r := decision_of(feature_change([row("feature_engineering", true)]))
	r.regulatory_action == "new_submission"
	fx.says(r.deny, "classify.class_not_authorised", "marks such a change significant: A recomputed input")
	not fx.fires(r.warn, "pccp.significance")
}

test_class_without_a_row_stays_a_new_submission if {
	r := decision_of(feature_change([row("architecture_change", false)]))
	r.regulatory_action == "new_submission"
	fx.says(r.deny, "classify.class_not_authorised", "feature_engineering")
	not fx.fires(r.warn, "pccp.significance")
}

test_no_table_stays_a_new_submission if {
	r := decision_of({"diff": features_only})
	r.regulatory_action == "new_submission"
	fx.fires(r.deny, "classify.class_not_authorised")
}

# Two rows for one class, or a row without its reasoning: treated as significant (fail closed).
test_ambiguous_or_unreasoned_rows_stay_a_new_submission if {
	twice := decision_of(feature_change([row("feature_engineering", false), row("feature_engineering", false)]))
	twice.regulatory_action == "new_submission"
	unreasoned := decision_of(feature_change([fx.merge(row("feature_engineering", false), {"reasoning": " "})]))
	unreasoned.regulatory_action == "new_submission"
	fx.fires(unreasoned.deny, "classify.class_not_authorised")
	not_boolean := decision_of(feature_change([fx.merge(row("feature_engineering", false), {"significant": "false"})]))
	not_boolean.regulatory_action == "new_submission"
}

# Another reason to be outside the plan (here the plan is edited in the same change) needs a
# submission whatever the table says.
test_a_second_outside_reason_stays_a_new_submission if {
	p := fx.merge(feature_change([row("feature_engineering", false)]), {"facts": {"pccp_changed": true}})
	r := decision_of(p)
	r.regulatory_action == "new_submission"
	fx.fires(r.deny, "classify.class_not_authorised")
	fx.fires(r.deny, "classify.pccp_changed")
}

test_new_indication_is_never_a_letter_to_file if {
	p := {
		"facts": {"intended_use_changed": true},
		"pccp": pccp_with_rows([row("new_indication", false)]),
	}
	r := decision_of(p)
	r.regulatory_action == "new_submission"
	fx.fires(r.deny, "classify.new_indication")
}

test_unauthorised_initial_is_never_a_letter_to_file if {
	plans := fx.merge(fx.pccp.change_classes, {"initial": fx.plan(false, fx.all_roles, "new_submission")})
	p := {
		"facts": {"first_version": true}, "diff": fx.diff_only(set()), "parent": null,
		"pccp": fx.merge(pccp_with_rows([row("initial", false)]), {"change_classes": plans}),
	}
	r := decision_of(p)
	r.regulatory_action == "new_submission"
	fx.fires(r.deny, "classify.class_not_authorised")
}

# The table applies to classes outside the plan only: an authorised class follows its plan.
test_authorised_class_follows_its_plan if {
	r := decision_of({"pccp": pccp_with_rows([row("data_update", false)])})
	r.regulatory_action == "none"
	not fx.fires(r.warn, "pccp.significance")
}
