package clinigate.gates_test

import rego.v1

import data.clinigate.acceptance
import data.clinigate.fixtures as fx
import data.clinigate.gates

deny_of(p) := d if {
	d := gates.deny with input as fx.version(p) with data.clinigate.defaults as fx.defaults
}

# The denies of both modules that gate a version (acceptance.rego and gates.rego): for the tests
# that no gate at all, the acceptance criteria included, finds more than they expect.
version_deny_of(p) := d if {
	d := gates.deny | acceptance.deny with input as fx.version(p) with data.clinigate.defaults as fx.defaults
}

warn_of(p) := w if {
	w := gates.warn with input as fx.version(p) with data.clinigate.defaults as fx.defaults
}

clinical(auc, gap, n) := fx.subgroups_with(
	"clinical",
	{"attribute": "clinical", "group": "ICU admission during encounter", "n": n, "auc_e4": auc, "gap_e4": gap},
)

# ---------------------------------------------------------------------------------------------
# The clean fixture passes every gate (gates and acceptance together)
# ---------------------------------------------------------------------------------------------

test_clean_data_update_has_no_findings if {
	count(version_deny_of({})) == 0
	count(warn_of({})) == 0
}

# ---------------------------------------------------------------------------------------------
# Completeness: model card, rationale, training data
# ---------------------------------------------------------------------------------------------

test_empty_limitations_deny if {
	p := {"manifest": fx.manifest_with("model_card", {"limitations": "  ", "ethical_considerations": "x"})}
	d := deny_of(p)
	some f in d
	f.rule == "gates.completeness"
	f.field == "model_card.limitations"
	not fx.says(d, "gates.completeness", "model_card.ethical_considerations")
}

test_missing_rationale_denies if {
	p := {"manifest": fx.manifest_with("change", {"summary": "x", "declared_class": "data_update"})}
	fx.says(deny_of(p), "gates.completeness", "change.rationale is missing or empty")
}

test_missing_training_digest_denies if {
	p := {"manifest": fx.manifest_with("training", {"dataset": {"version": "2025.4"}})}
	fx.says(deny_of(p), "gates.completeness", "training.dataset.sha256")
}

test_complete_documentation_passes if not fx.fires(deny_of({}), "gates.completeness")

# ---------------------------------------------------------------------------------------------
# Warnings: subgroups of attributes the criteria do not require, regression vs the parent
# ---------------------------------------------------------------------------------------------

test_subgroup_gap_of_an_unrequired_attribute_warns if {
	p := {"metrics": {"subgroups": clinical(7230, 1500, 5603)}}
	not fx.fires(version_deny_of(p), "gates.subgroup_gap")
	fx.says(warn_of(p), "gates.subgroup_gap", "clinical=ICU admission during encounter: AUC 0.723 is 0.150 below overall 0.873")
}

test_small_subgroup_of_an_unrequired_attribute_warns if {
	p := {"metrics": {"subgroups": clinical(8250, 480, 40)}}
	not fx.fires(version_deny_of(p), "gates.subgroup_n")
	fx.fires(warn_of(p), "gates.subgroup_n")
}

test_regression_vs_parent_warns if {
	p := {"metrics": {"regression_vs_parent_e4": 350}}
	fx.says(warn_of(p), "gates.regression_vs_parent", "0.035 below the parent version")
	not fx.fires(version_deny_of(p), "gates.regression_vs_parent")
}

test_regression_vs_parent_within_tolerance_is_quiet if not fx.fires(warn_of({}), "gates.regression_vs_parent")

# ---------------------------------------------------------------------------------------------
# A first version (gates and acceptance together)
# ---------------------------------------------------------------------------------------------

test_first_version_needs_no_authorised_baseline if {
	p := {
		"facts": {"first_version": true}, "diff": fx.diff_only(set()), "parent": null, "production": null,
		"authorised": null,
		"metrics": {"regression_vs_authorised_e4": null, "regression_vs_production_e4": null, "regression_vs_parent_e4": null},
		"manifest": fx.manifest_with("change", {"summary": "x", "rationale": "First version.", "declared_class": "initial"}),
	}
	count(version_deny_of(p)) == 0
}

# ---------------------------------------------------------------------------------------------
# Declared class
# ---------------------------------------------------------------------------------------------

test_declared_class_lower_than_computed_denies if {
	p := {"diff": fx.diff_only({"hyperparameters", "artifact"})}
	d := deny_of(p)
	some f in d
	f.rule == "gates.declared_class"
	f.field == "change.declared_class"
	contains(f.msg, "says data_update, but the change class is hyperparameter_tuning (because artifact.sha256, training.algorithm.hyperparameters changed)")
}

test_declared_class_equal_passes if {
	not fx.fires(deny_of({}), "gates.declared_class")
	not fx.fires(warn_of({}), "gates.declared_class")
}

test_declared_class_higher_warns if {
	p := {"manifest": fx.manifest_with("change", {"summary": "x", "rationale": "y", "declared_class": "feature_engineering"})}
	not fx.fires(deny_of(p), "gates.declared_class")
	fx.says(warn_of(p), "gates.declared_class", "judged as data_update")
}

test_declared_class_unknown_denies if {
	p := {"manifest": fx.manifest_with("change", {"summary": "x", "rationale": "y", "declared_class": "minor"})}
	fx.says(deny_of(p), "gates.declared_class", "minor is not a change class")
}

test_declared_class_absent_passes if {
	p := {"manifest": fx.manifest_with("change", {"summary": "x", "rationale": "y"})}
	not fx.fires(deny_of(p), "gates.declared_class")
}

# ---------------------------------------------------------------------------------------------
# Immutability
# ---------------------------------------------------------------------------------------------

test_editing_a_merged_version_denies if {
	p := {"subject": {"change": "modified", "merged_at_base": true}}
	fx.says(deny_of(p), "gates.immutable", "merged manifests never change; add a new version")
}

test_deleting_a_merged_version_denies_and_nothing_else if {
	d := version_deny_of({"subject": {"change": "deleted", "merged_at_base": true}, "manifest": null})
	fx.says(d, "gates.immutable", "instead of deleting it")
	fx.rules(d) == {"gates.immutable"}
}

test_unknown_merge_state_counts_as_merged if {
	s := object.remove(fx.version_subject, ["merged_at_base"])
	p := fx.merge(fx.version({}), {"subject": fx.merge(s, {"change": "modified"})})
	d := gates.deny with input as p with data.clinigate.defaults as fx.defaults
	fx.fires(d, "gates.immutable")
}

test_adding_a_version_is_not_an_immutability_finding if not fx.fires(deny_of({}), "gates.immutable")

test_editing_an_unmerged_version_passes if {
	not fx.fires(deny_of({"subject": {"change": "modified", "merged_at_base": false}}), "gates.immutable")
}

# ---------------------------------------------------------------------------------------------
# Only ModelVersion subjects
# ---------------------------------------------------------------------------------------------

test_gates_ignore_other_subjects if {
	d := gates.deny | acceptance.deny with input as fx.deployment({}) with data.clinigate.defaults as fx.defaults
	count(d) == 0
}
