package clinigate.classify_test

import rego.v1

import data.clinigate.classify
import data.clinigate.fixtures as fx

# Evaluate classify on fx.version(p) with the fixture defaults.
class_of(p) := c if {
	c := classify.change_class with input as fx.version(p) with data.clinigate.defaults as fx.defaults
}

outside_of(p) := r if {
	r := classify.outside_reasons with input as fx.version(p) with data.clinigate.defaults as fx.defaults
}

deny_of(p) := d if {
	d := classify.deny with input as fx.version(p) with data.clinigate.defaults as fx.defaults
}

first_version := {"facts": {"first_version": true}, "diff": fx.diff_only(set()), "parent": null}

# ---------------------------------------------------------------------------------------------
# Every class
# ---------------------------------------------------------------------------------------------

test_class_initial_for_a_first_version if class_of(first_version) == "initial"

test_class_initial_not_for_a_later_version if class_of({"diff": fx.diff_only(set())}) != "initial"

test_class_metadata_only_when_only_the_model_card_changed if {
	class_of({"diff": fx.diff_only({"model_card", "monitoring"})}) == "metadata_only"
}

test_class_metadata_only_not_when_the_artifact_changed if {
	class_of({"diff": fx.diff_only({"artifact"})}) != "metadata_only"
}

test_class_data_update_for_training_data if class_of({"diff": fx.diff_only({"training_data"})}) == "data_update"

test_class_data_update_for_a_new_artifact if class_of({"diff": fx.diff_only({"artifact"})}) == "data_update"

test_class_data_update_not_when_features_changed_too if {
	class_of({"diff": fx.diff_only({"features", "training_data", "artifact"})}) != "data_update"
}

test_class_hyperparameter_tuning if {
	class_of({"diff": fx.diff_only({"hyperparameters", "training_data", "artifact"})}) == "hyperparameter_tuning"
}

test_class_hyperparameter_tuning_not_without_hyperparameters if {
	class_of({"diff": fx.diff_only({"training_data", "artifact"})}) == "data_update"
}

test_class_feature_engineering if {
	class_of({"diff": fx.diff_only({"features", "hyperparameters", "artifact"})}) == "feature_engineering"
}

test_class_feature_engineering_not_without_features if {
	class_of({"diff": fx.diff_only({"hyperparameters", "training_data", "artifact"})}) != "feature_engineering"
}

test_class_architecture_change_for_algorithm_type if {
	class_of({"diff": fx.diff_only({"algorithm_type", "features", "artifact"})}) == "architecture_change"
}

test_class_architecture_change_for_framework if {
	class_of({"diff": fx.diff_only({"framework", "artifact"})}) == "architecture_change"
}

test_class_architecture_change_not_without_algorithm_or_framework if {
	class_of({"diff": fx.diff_only({"features", "hyperparameters", "training_data", "artifact"})}) != "architecture_change"
}

test_class_new_indication_wins_over_everything if {
	class_of({
		"facts": {"intended_use_changed": true},
		"diff": fx.diff_only({"algorithm_type", "features", "hyperparameters", "training_data"}),
	}) == "new_indication"
}

test_class_new_indication_not_without_an_intended_use_change if {
	class_of({"diff": fx.diff_only({"algorithm_type"})}) != "new_indication"
}

# "Highest wins" follows data.clinigate.defaults.class_order, not a hard-coded order.
test_class_order_comes_from_data if {
	swapped := {"class_order": [
		"initial", "metadata_only", "data_update", "feature_engineering",
		"hyperparameter_tuning", "architecture_change", "new_indication",
	]}
	c := classify.change_class with input as fx.version({"diff": fx.diff_only({"features", "hyperparameters"})})
		with data.clinigate.defaults as swapped
	c == "hyperparameter_tuning"
}

# The real policies/data/defaults.yaml (loaded by the test runner) names every class.
test_real_defaults_rank_every_class if {
	every c in classify.known_classes {
		classify.rank(c) >= 0
	}
}

test_class_order_missing_a_class_is_denied_and_outside if {
	short := {"class_order": ["initial", "metadata_only", "data_update"]}
	p := fx.version({"diff": fx.diff_only({"features"})})
	d := classify.deny with input as p with data.clinigate.defaults as short
	r := classify.outside_reasons with input as p with data.clinigate.defaults as short
	fx.says(d, "classify.class_order", "architecture_change, feature_engineering")
	fx.fires(d, "classify.unclassified")
	"unclassified" in r
}

# No class_order at all: undefined under `not` would fail the deny's body on OPA (fail open).
test_class_order_absent_is_denied if {
	d := classify.deny with input as fx.version({}) with data.clinigate.defaults as {}
	fx.says(d, "classify.class_order", "class_order is missing")
}

test_class_order_complete_is_not_denied if not fx.fires(deny_of({}), "classify.class_order")

# ---------------------------------------------------------------------------------------------
# Subjects that are not classified
# ---------------------------------------------------------------------------------------------

test_deleted_version_is_not_classified if {
	p := {"subject": {"change": "deleted", "merged_at_base": true}, "manifest": null}
	not class_of(p)
	count(outside_of(p)) == 0
}

test_deployment_is_not_classified if {
	not classify.change_class with input as fx.deployment({}) with data.clinigate.defaults as fx.defaults
}

# ---------------------------------------------------------------------------------------------
# Missing facts never classify a change too low
# ---------------------------------------------------------------------------------------------

test_missing_facts_put_the_change_outside_the_pccp if {
	p := fx.version({})
	q := fx.merge(p, {"facts": fx.merge(p.facts, {"diff": {"training_data": true}})})
	d := classify.deny with input as q with data.clinigate.defaults as fx.defaults
	r := classify.outside_reasons with input as q with data.clinigate.defaults as fx.defaults
	fx.says(d, "classify.facts_incomplete", "facts.diff.features")
	"facts_incomplete" in r
}

test_no_facts_at_all_put_the_change_outside_the_pccp if {
	q := fx.merge(fx.version({}), {"facts": null})
	r := classify.outside_reasons with input as q with data.clinigate.defaults as fx.defaults
	"facts_incomplete" in r
}

test_complete_facts_are_not_reported if not fx.fires(deny_of({}), "classify.facts_incomplete")
