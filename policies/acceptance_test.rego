package clinigate.acceptance_test

import rego.v1

import data.clinigate.acceptance
import data.clinigate.fixtures as fx

deny_of(p) := d if {
	d := acceptance.deny with input as fx.version(p) with data.clinigate.defaults as fx.defaults
}

acceptance_of(p) := a if {
	a := acceptance.failures with input as fx.version(p) with data.clinigate.defaults as fx.defaults
}

race(auc, gap, n) := fx.subgroups_with(
	"race",
	{"attribute": "race", "group": "Black or African American", "n": n, "auc_e4": auc, "gap_e4": gap},
)

# ---------------------------------------------------------------------------------------------
# Criteria of the computed class
# ---------------------------------------------------------------------------------------------

test_criteria_missing_for_the_class_denies if {
	p := {"facts": {"criteria_e4": {"metadata_only": fx.criteria}}}
	fx.says(deny_of(p), "gates.criteria_missing", "No acceptance criteria for class data_update")
}

test_criteria_missing_entirely_denies if {
	fx.fires(deny_of({"facts": {"criteria_e4": null}}), "gates.criteria_missing")
}

test_criteria_present_do_not_deny if not fx.fires(deny_of({}), "gates.criteria_missing")

# A float where 1/10,000 integers are expected would let everything pass: refused.
test_criterion_of_the_wrong_type_denies if {
	p := {"facts": {"criteria_e4": {"data_update": fx.merge(fx.criteria, {"min_auc_e4": 0.8})}}}
	fx.says(deny_of(p), "gates.criteria_missing", "no usable min_auc_e4")
	not fx.fires(deny_of(p), "gates.auc_floor")
}

test_criterion_missing_denies if {
	c := object.remove(fx.criteria, ["require_locked_validation_set"])
	fx.says(deny_of({"facts": {"criteria_e4": {"data_update": c}}}), "gates.criteria_missing", "require_locked_validation_set")
}

# The criteria used are those of the computed class, not the declared one.
test_criteria_follow_the_computed_class if {
	strict := fx.merge(fx.criteria, {"min_auc_e4": 9000})
	criteria := fx.merge(fx.facts.criteria_e4, {"hyperparameter_tuning": strict})
	tuned := {"facts": {"criteria_e4": criteria}, "diff": fx.diff_only({"hyperparameters", "artifact"})}
	refreshed := {"facts": {"criteria_e4": criteria}}
	fx.says(deny_of(tuned), "gates.auc_floor", "floor of 0.900 set by the hyperparameter_tuning acceptance criteria")
	not fx.fires(deny_of(refreshed), "gates.auc_floor")
}

# ---------------------------------------------------------------------------------------------
# Completeness: every required subgroup attribute
# ---------------------------------------------------------------------------------------------

test_required_attribute_missing_denies if {
	p := {"metrics": {"attributes_present": ["age_band", "ethnicity", "race", "sex"]}}
	fx.says(deny_of(p), "gates.subgroup_attribute_missing", "No validation results by site")
}

test_no_attributes_at_all_denies_each if {
	d := deny_of({"metrics": {"attributes_present": null}})
	count({f | some f in d; f.rule == "gates.subgroup_attribute_missing"}) == 5
}

test_required_attributes_present_pass if not fx.fires(deny_of({}), "gates.subgroup_attribute_missing")

# ---------------------------------------------------------------------------------------------
# AUC floor
# ---------------------------------------------------------------------------------------------

test_auc_below_floor_denies if {
	d := deny_of({"metrics": {"overall_auc_e4": 7900}})
	fx.says(d, "gates.auc_floor", "Overall AUC 0.790 on the validation set is below the floor of 0.800")
}

test_auc_at_floor_passes if not fx.fires(deny_of({"metrics": {"overall_auc_e4": 8000}}), "gates.auc_floor")

test_auc_just_below_floor_shows_four_decimals if {
	fx.says(deny_of({"metrics": {"overall_auc_e4": 7999}}), "gates.auc_floor", "0.7999")
}

test_auc_missing_denies if {
	fx.fires(deny_of({"metrics": {"overall_auc_e4": null}}), "gates.metrics_missing")
}

test_auc_present_is_not_missing if not fx.fires(deny_of({}), "gates.metrics_missing")

# ---------------------------------------------------------------------------------------------
# Subgroup gap and size of the required attributes (the others warn: gates_test.rego)
# ---------------------------------------------------------------------------------------------

test_subgroup_gap_denies_with_attribute_group_and_numbers if {
	d := deny_of({"metrics": {"overall_auc_e4": 8700, "subgroups": race(6800, 1900, 4660)}})
	some f in d
	f.rule == "gates.subgroup_gap"
	f.msg == "race=Black or African American: AUC 0.680 is 0.190 below overall 0.870 (max gap 0.100)"
	f.field == "validation.subgroups[2].auc_roc"
}

test_subgroup_gap_at_the_limit_passes if {
	not fx.fires(deny_of({"metrics": {"subgroups": race(7730, 1000, 4660)}}), "gates.subgroup_gap")
}

test_subgroup_too_small_denies if {
	d := deny_of({"metrics": {"subgroups": race(8630, 100, 80)}})
	some f in d
	f.rule == "gates.subgroup_n"
	contains(f.msg, "race=Black or African American: n=80 is below the minimum subgroup size of 100")
	f.field == "validation.subgroups[2].n"
}

test_subgroup_at_minimum_size_passes if {
	not fx.fires(deny_of({"metrics": {"subgroups": race(8630, 100, 100)}}), "gates.subgroup_n")
}

test_subgroup_without_metrics_denies if {
	p := {"metrics": {"subgroups": fx.subgroups_with("sex", {"attribute": "sex", "group": "male", "n": 12907})}}
	fx.says(deny_of(p), "gates.metrics_missing", "sex=male")
}

# ---------------------------------------------------------------------------------------------
# Regression vs production and vs the authorised version
# ---------------------------------------------------------------------------------------------

test_regression_vs_production_denies if {
	d := deny_of({"metrics": {"regression_vs_production_e4": 250}})
	fx.says(d, "gates.regression_vs_production", "AUC 0.873 is 0.025 below the version in production (1.2.0, AUC 0.898)")
	fx.says(d, "gates.regression_vs_production", "at most 0.020")
}

test_regression_vs_production_at_tolerance_passes if {
	not fx.fires(deny_of({"metrics": {"regression_vs_production_e4": 200}}), "gates.regression_vs_production")
}

test_no_production_means_no_production_comparison if {
	d := deny_of({"production": null, "metrics": {"regression_vs_production_e4": null}})
	not fx.fires(d, "gates.regression_vs_production")
	not fx.fires(d, "gates.metrics_missing")
}

test_production_without_regression_denies if {
	fx.says(deny_of({"metrics": {"regression_vs_production_e4": null}}), "gates.metrics_missing", "in production (1.2.0)")
}

test_regression_vs_authorised_denies if {
	fx.says(
		deny_of({"metrics": {"regression_vs_authorised_e4": 300}}),
		"gates.regression_vs_authorised",
		"0.030 below the originally authorised version (1.0.0, AUC 0.903)",
	)
}

test_regression_vs_authorised_at_tolerance_passes if {
	not fx.fires(deny_of({"metrics": {"regression_vs_authorised_e4": 200}}), "gates.regression_vs_authorised")
}

# Small steps that each pass against production still add up against the authorised version.
test_regression_vs_authorised_even_when_production_passes if {
	d := deny_of({"metrics": {"regression_vs_production_e4": 100, "regression_vs_authorised_e4": 450}})
	not fx.fires(d, "gates.regression_vs_production")
	fx.fires(d, "gates.regression_vs_authorised")
}

test_missing_authorised_baseline_denies if {
	p := {"authorised": null, "metrics": {"regression_vs_authorised_e4": null}}
	fx.says(deny_of(p), "gates.authorised_baseline_missing", "authorised_baseline (1.0.0)")
}

# The same with no authorised key at all: an undefined input.authorised under `not` fails the
# whole body on OPA (the deny would fail open there) but not on regorus; both must deny.
test_authorised_absent_from_the_input_denies if {
	p := object.remove(fx.version({"metrics": {"regression_vs_authorised_e4": null}}), {"authorised"})
	d := acceptance.deny with input as p with data.clinigate.defaults as fx.defaults
	fx.says(d, "gates.authorised_baseline_missing", "authorised_baseline (1.0.0)")
}

# ---------------------------------------------------------------------------------------------
# Locked validation set and reference standard (pinned methods)
# ---------------------------------------------------------------------------------------------

test_validation_set_not_the_locked_one_denies if {
	d := deny_of({"facts": {"locked_set_matches_pccp": false}})
	some f in d
	f.rule == "gates.locked_validation_set"
	f.field == "validation.dataset.sha256"
	contains(f.msg, "sepsis-ews-locked-validation 2023.1")
}

test_validation_set_not_locked_denies if {
	d := deny_of({"facts": {"validation_set_locked": false}})
	some f in d
	f.rule == "gates.locked_validation_set"
	f.field == "validation.dataset.locked"
}

test_locked_set_not_required_passes if {
	c := fx.merge(fx.criteria, {"require_locked_validation_set": false})
	p := {"facts": {
		"criteria_e4": fx.merge(fx.facts.criteria_e4, {"data_update": c}),
		"locked_set_matches_pccp": false, "validation_set_locked": false,
	}}
	not fx.fires(deny_of(p), "gates.locked_validation_set")
}

test_locked_set_matching_passes if not fx.fires(deny_of({}), "gates.locked_validation_set")

test_validation_set_changed_from_the_parent_denies if {
	d := deny_of({"diff": {"validation_set": true}})
	fx.says(d, "gates.validation_set_changed", "differs from the parent version's (1.3.0)")
	not fx.fires(d, "gates.locked_validation_set")
}

test_validation_set_changed_without_a_pinned_set_passes if {
	c := fx.merge(fx.criteria, {"require_locked_validation_set": false})
	p := {"diff": {"validation_set": true}, "facts": {"criteria_e4": fx.merge(fx.facts.criteria_e4, {"data_update": c})}}
	not fx.fires(deny_of(p), "gates.validation_set_changed")
}

test_reference_standard_not_the_plans_denies if {
	fx.says(
		deny_of({"facts": {"reference_standard_matches_pccp": false}}),
		"gates.reference_standard",
		"not the PCCP's reference standard (Sepsis-3 electronic phenotype with chart-review adjudication)",
	)
}

test_reference_standard_changed_denies if {
	fx.says(deny_of({"diff": {"reference_standard": true}}), "gates.reference_standard", "changed from the parent version's")
}

test_reference_standard_unchanged_passes if not fx.fires(deny_of({}), "gates.reference_standard")

test_pinned_method_failures_are_acceptance_failures if {
	fx.fires(acceptance_of({"diff": {"reference_standard": true}}), "gates.reference_standard")
	fx.fires(acceptance_of({"facts": {"validation_set_locked": false}}), "gates.locked_validation_set")
}

evidence_criteria := {
	"min_auc_e4": 8000,
	"max_subgroup_gap_e4": 1000,
	"max_regression_e4": 200,
	"min_subgroup_n": 100,
	"required_subgroup_attributes": ["age_band", "sex", "race", "ethnicity", "site"],
	"require_locked_validation_set": true,
	"require_evidence": true,
}

evidence_plan := {c: evidence_criteria | some c in fx.all_classes}

test_a_plan_requiring_evidence_fails_typed_numbers if {
	a := acceptance_of({"facts": {"criteria_e4": evidence_plan}})
	fx.says(a, "gates.evidence_required", "data_update modification protocol requires computed evidence")
}

test_computed_evidence_meets_the_plan if {
	not fx.fires(acceptance_of({"facts": {"criteria_e4": evidence_plan, "evidence_present": true}}), "gates.evidence_required")
}

test_evidence_is_not_required_unless_the_plan_says_so if {
	not fx.fires(acceptance_of({}), "gates.evidence_required")
}

test_documentation_gaps_are_not_acceptance_failures if {
	p := {"manifest": fx.manifest_with("change", {"summary": "x", "declared_class": "data_update"})}
	count(acceptance_of(p)) == 0
}
