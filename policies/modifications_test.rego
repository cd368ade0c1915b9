package clinigate.modifications_test

import rego.v1

import data.clinigate.fixtures as fx
import data.clinigate.modifications

# The sepsis-ews plan's Description of Modifications: M1 data updates, M2 hyperparameter tuning.
m1 := {"id": "M1", "change_classes": ["data_update"], "release": {"implementation": ["manual"], "scope": ["global", "local"]}}

m2 := {"id": "M2", "change_classes": ["hyperparameter_tuning"]}

pccp_with(extra) := fx.merge(fx.pccp, fx.merge({"modifications": [m1, m2]}, extra))

change_with(extra) := fx.merge(fx.manifest.change, extra)

# A data update (the fixture's diff) citing `id` (null: none), against the plan patched by `plan`,
# with facts.modifications `history` (omitted when null).
input_of(id, plan, history) := fx.version(p) if {
	manifest := fx.manifest_with("change", change_with({"modification_id": id}))
	p := {"manifest": manifest, "pccp": pccp_with(plan), "facts": history_facts(history)}
}

history_facts(history) := {} if {
	history == null
} else := {"modifications": history}

deny_of(id, plan, history) := d if {
	d := modifications.deny with input as input_of(id, plan, history)
		with data.clinigate.defaults as fx.defaults
}

# ---------------------------------------------------------------------------------------------
# The id names a modification of the plan, for this class
# ---------------------------------------------------------------------------------------------

test_declared_modification_for_the_class_passes if {
	count(deny_of("M1", {}, null)) == 0
}

test_unknown_modification_denies_naming_the_known_ones if {
	d := deny_of("M99", {}, null)
	fx.says(d, "gates.modification_unknown", "change.modification_id M99 is not a modification of the sepsis-ews PCCP (its modifications are M1, M2)")
	some f in d
	f.field == "change.modification_id"
	not fx.fires(d, "gates.modification_class")
}

test_unknown_modification_under_a_plan_without_modifications_says_so if {
	d := deny_of("M1", {"modifications": []}, null)
	fx.says(d, "gates.modification_unknown", "it declares no modifications")
}

test_modification_of_another_class_denies if {
	d := deny_of("M2", {}, null)
	fx.says(d, "gates.modification_class", "M2 is declared for hyperparameter_tuning, but this change is data_update")
	fx.says(d, "gates.modification_class", "the plan's data_update modifications are M1")
	not fx.fires(d, "gates.modification_unknown")
}

test_modification_of_another_class_when_the_class_has_none_says_so if {
	p := {
		"manifest": fx.manifest_with("change", change_with({"modification_id": "M1"})),
		"pccp": pccp_with({"modifications": [m1]}),
		"diff": fx.diff_only({"hyperparameters"}),
	}
	d := modifications.deny with input as fx.version(p) with data.clinigate.defaults as fx.defaults
	fx.says(d, "gates.modification_class", "the plan declares no hyperparameter_tuning modification")
}

test_missing_modification_for_an_authorised_class_that_lists_some_denies if {
	d := deny_of(null, {}, null)
	fx.says(d, "gates.modification_missing", "authorises data_update changes only as one of its declared modifications (M1)")
}

test_missing_modification_for_a_class_without_modifications_passes if {
	count(deny_of(null, {"modifications": [m2]}, null)) == 0
}

test_missing_modification_for_an_unauthorised_class_is_left_to_classify if {
	plan := {"change_classes": fx.merge(fx.pccp.change_classes, {"data_update": fx.plan(false, ["quality"], "none")})}
	d := deny_of(null, plan, null)
	not fx.fires(d, "gates.modification_missing")
}

test_a_first_version_needs_no_modification if {
	p := {"manifest": fx.manifest_with("change", change_with({"modification_id": null})), "pccp": pccp_with({}), "facts": {"first_version": true}}
	d := modifications.deny with input as fx.version(p) with data.clinigate.defaults as fx.defaults
	count(d) == 0
}

test_without_a_pccp_no_modification_finding if {
	p := {"manifest": fx.manifest_with("change", change_with({"modification_id": "M99"})), "pccp": null}
	d := modifications.deny with input as fx.version(p) with data.clinigate.defaults as fx.defaults
	count(d) == 0
}

# ---------------------------------------------------------------------------------------------
# Cumulative impact assessment after N modifications
# ---------------------------------------------------------------------------------------------

assessment := {"summary": "Combined effect of M1 and M2.", "document": "QMS-RA-0142 rev D"}

history(shipped, current) := {
	"shipped": shipped,
	"last_shipped": "1.3.0",
	"cumulative_covers_through": "1.2.0",
	"cumulative_assessment_current": current,
}

test_under_n_no_assessment_needed if {
	d := deny_of("M1", {"cumulative_assessment_after": 3, "impact_assessment": null}, history(2, false))
	not fx.fires(d, "gates.cumulative_assessment")
}

test_past_n_without_an_assessment_denies if {
	d := deny_of("M1", {"cumulative_assessment_after": 3, "impact_assessment": null}, history(3, false))
	fx.says(d, "gates.cumulative_assessment", "3 modifications have shipped and this one would make 4, more than the 3")
	fx.says(d, "gates.cumulative_assessment", "has no impact_assessment")
}

test_past_n_with_a_stale_assessment_denies if {
	d := deny_of("M1", {"cumulative_assessment_after": 3, "impact_assessment": assessment}, history(3, false))
	fx.says(d, "gates.cumulative_assessment", "covers modifications through 1.2.0 only, older than the last one shipped (1.3.0)")
}

test_past_n_with_a_current_assessment_passes if {
	d := deny_of("M1", {"cumulative_assessment_after": 3, "impact_assessment": assessment}, history(5, true))
	count(d) == 0
}

test_n_zero_asks_from_the_first_modification if {
	d := deny_of("M1", {"cumulative_assessment_after": 0, "impact_assessment": null}, history(0, false))
	fx.fires(d, "gates.cumulative_assessment")
}

test_a_version_without_a_modification_is_not_counted if {
	plan := {"cumulative_assessment_after": 0, "impact_assessment": null, "modifications": [m2]}
	d := deny_of(null, plan, history(9, false))
	count(d) == 0
}

test_missing_count_fails_closed if {
	d := deny_of("M1", {"cumulative_assessment_after": 3}, null)
	fx.says(d, "gates.cumulative_assessment", "lacks facts.modifications.shipped")
}

test_a_plan_without_n_asks_nothing if {
	d := deny_of("M1", {"impact_assessment": null}, null)
	count(d) == 0
}
