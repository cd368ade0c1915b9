package clinigate.independence_test

import rego.v1

import data.clinigate.fixtures as fx
import data.clinigate.independence
import data.clinigate.pccp

deny_of(p) := d if {
	d := independence.deny with input as fx.version(p) with data.clinigate.defaults as fx.defaults
}

status_of(p) := s if {
	s := pccp.status with input as fx.version(p) with data.clinigate.defaults as fx.defaults
}

# Facts with facts.independence replaced, and data_update criteria with extra keys.
with_independence(x) := {"facts": {"independence": x}}

data_update_criteria(extra) := fx.merge(fx.facts.criteria_e4, {"data_update": fx.merge(fx.criteria, extra)})

# The fixture manifest with validation.dataset.sites and validation.independence set.
manifest_with_validation(extra) := fx.merge(fx.manifest, {"validation": fx.merge(fx.manifest.validation, extra)})

sites := {"dataset": fx.merge(fx.manifest.validation.dataset, {"sites": ["Mercy General Main Campus", "Mercy General North"]})}

shared := [{"name": "Mercy General North", "index": 1, "also_in": "training.dataset.sites"}]

overlap(result) := {"independence": {"patient_overlap": {"method": "salted hash of the MRN", "result": result}}}

# ---------------------------------------------------------------------------------------------
# Digests
# ---------------------------------------------------------------------------------------------

test_independent_data_passes if {
	count(deny_of({})) == 0
	status_of({}) == "conforming"
}

test_training_on_the_locked_validation_set_denies if {
	p := with_independence({
		"same_digest": [{"dataset": "training.dataset", "equals": "pccp.locked_validation_set"}],
		"shared_sites": [],
	})
	fx.says(deny_of(p), "gates.data_independence", "training.dataset.sha256 equals the PCCP's locked_validation_set.sha256 (sepsis-ews-locked-validation 2023.1): the model was trained on")
	some f in deny_of(p)
	f.field == "training.dataset.sha256"
	status_of(p) == "deviation"
}

test_tuning_on_the_validation_set_denies if {
	p := with_independence({
		"same_digest": [{"dataset": "training.tuning_dataset", "equals": "validation.dataset"}],
		"shared_sites": [],
	})
	fx.says(deny_of(p), "gates.data_independence", "training.tuning_dataset.sha256 equals validation.dataset.sha256 (this version's validation set): the model was tuned on")
}

test_missing_independence_facts_deny if {
	fx.says(deny_of(with_independence(null)), "gates.data_independence", "lacks facts.independence")
	fx.says(deny_of(with_independence({"same_digest": []})), "gates.data_independence", "lacks facts.independence")
}

# ---------------------------------------------------------------------------------------------
# Sites
# ---------------------------------------------------------------------------------------------

test_shared_site_under_external_validation_denies if {
	p := {
		"manifest": manifest_with_validation(sites),
		"facts": {
			"criteria_e4": data_update_criteria({"require_external_validation": true}),
			"independence": {"same_digest": [], "shared_sites": shared},
		},
	}
	fx.says(deny_of(p), "gates.site_independence", "validation.dataset.sites names Mercy General North, which is also in training.dataset.sites: the data_update acceptance criteria require external validation")
	some f in deny_of(p)
	f.field == "validation.dataset.sites[1]"
	status_of(p) == "deviation"
}

test_shared_site_without_external_validation_passes if {
	p := {
		"manifest": manifest_with_validation(sites),
		"facts": {"independence": {"same_digest": [], "shared_sites": shared}},
	}
	not fx.fires(deny_of(p), "gates.site_independence")
}

test_external_sites_under_external_validation_pass if {
	p := {
		"manifest": manifest_with_validation(sites),
		"facts": {"criteria_e4": data_update_criteria({"require_external_validation": true})},
	}
	not fx.fires(deny_of(p), "gates.site_independence")
}

test_external_validation_without_validation_sites_denies if {
	p := {"facts": {"criteria_e4": data_update_criteria({"require_external_validation": true})}}
	fx.says(deny_of(p), "gates.site_independence", "validation.dataset.sites is empty")
}

# ---------------------------------------------------------------------------------------------
# Patients
# ---------------------------------------------------------------------------------------------

test_required_patient_overlap_check_missing_denies if {
	p := {"facts": {"criteria_e4": data_update_criteria({"require_patient_overlap_check": true})}}
	fx.says(deny_of(p), "gates.patient_overlap", "validation.independence.patient_overlap is missing: the data_update acceptance criteria require a patient-level overlap check")
	status_of(p) == "deviation"
}

test_required_patient_overlap_check_declared_passes if {
	p := {
		"manifest": manifest_with_validation(overlap("none_found")),
		"facts": {"criteria_e4": data_update_criteria({"require_patient_overlap_check": true})},
	}
	count(deny_of(p)) == 0
}

test_patient_overlap_check_not_required_may_be_absent if {
	not fx.fires(deny_of({}), "gates.patient_overlap")
}

test_declared_overlap_found_denies_even_when_not_required if {
	p := {"manifest": manifest_with_validation(overlap("found"))}
	fx.says(deny_of(p), "gates.patient_overlap", "result is found: patients of the validation set are also in the training or tuning data (method: salted hash of the MRN)")
}

test_unreadable_overlap_result_denies if {
	p := {"manifest": manifest_with_validation(overlap("maybe"))}
	fx.says(deny_of(p), "gates.patient_overlap", "result is maybe, not none_found or found")
}

# A deleted version has no manifest: nothing to judge here (immutability is gates.rego's).
test_deleted_version_is_not_judged if {
	p := {"manifest": null, "subject": {"change": "deleted", "merged_at_base": true}, "facts": {"independence": null}}
	count(deny_of(p)) == 0
}
