# Data independence of a ModelVersion (regulatory.md §7 B-11; GMLP principle 4: training data
# sets are independent of test sets; FDA PCCP guidance §VII.B(1): sequestration of test data).
#
#   gates.data_independence  a training or tuning set has the digest of the validation set or of
#                            the PCCP's locked validation set (the model trained on its test set)
#   gates.site_independence  a validation site also gave training or tuning data while the class's
#                            acceptance criteria set require_external_validation
#   gates.patient_overlap    the criteria set require_patient_overlap_check and the manifest declares
#                            no validation.independence.patient_overlap, or a declared check found
#                            patients in both
#
# Python compares the digests and the site names (input.facts.independence, pccp/independence.py);
# this module decides. Every finding is a failure of the modification protocol's data management:
# pccp.rego makes an authorised change with one of them a deviation.
package clinigate.independence

import rego.v1

import data.clinigate.acceptance
import data.clinigate.classify
import data.clinigate.format

judged if classify.judged

cls := classify.change_class

facts := f if {
	f := classify.fact(["independence"])
	is_object(f)
} else := {}

# Negated whole below: the lists are always defined when this holds.
facts_complete if {
	is_array(object.get(facts, "same_digest", null))
	is_array(object.get(facts, "shared_sites", null))
}

same_digest := object.get(facts, "same_digest", [])

shared_sites := object.get(facts, "shared_sites", [])

criterion(k) := object.get(acceptance.criteria, k, false) if {
	is_object(acceptance.criteria)
} else := false

require_external if criterion("require_external_validation") == true

require_patient_check if criterion("require_patient_overlap_check") == true

# ---------------------------------------------------------------------------------------------
# Digests: never train or tune on the validation data
# ---------------------------------------------------------------------------------------------

held_out_text := {
	"validation.dataset": "validation.dataset.sha256 (this version's validation set)",
	"pccp.locked_validation_set": concat("", [
		"the PCCP's locked_validation_set.sha256 (",
		acceptance.locked_set_name,
		")",
	]),
}

used_as := {"training.dataset": "trained", "training.tuning_dataset": "tuned"}

failures contains {
	"rule": "gates.data_independence",
	"msg": concat("", [
		format.text(x.dataset),
		".sha256 equals ",
		object.get(held_out_text, format.text(x.equals), format.text(x.equals)),
		": the model was ",
		object.get(used_as, format.text(x.dataset), "developed"),
		" on the data it is validated on (its own test set), so the validation results say nothing about patients it has not seen. Training, tuning and validation data must be independent (GMLP principle 4).",
	]),
	"field": concat("", [format.text(x.dataset), ".sha256"]),
} if {
	judged
	some x in same_digest
}

failures contains {
	"rule": "gates.data_independence",
	"msg": "The policy input lacks facts.independence (a clinigate bug; please report it), so the independence of the validation data from the training data cannot be checked.",
	"field": null,
} if {
	judged
	not facts_complete
}

# ---------------------------------------------------------------------------------------------
# Sites: external validation means no validation site contributed development data
# ---------------------------------------------------------------------------------------------

failures contains {
	"rule": "gates.site_independence",
	"msg": concat("", [
		"validation.dataset.sites names ",
		format.text(s.name),
		", which is also in ",
		format.text(s.also_in),
		": the ",
		cls,
		" acceptance criteria require external validation (require_external_validation), so no validation site may have contributed training or tuning data.",
	]),
	"field": site_field(s),
} if {
	judged
	require_external
	some s in shared_sites
}

failures contains {
	"rule": "gates.site_independence",
	"msg": concat("", [
		"validation.dataset.sites is empty: the ",
		cls,
		" acceptance criteria require external validation (require_external_validation), which cannot be shown without the validation sites.",
	]),
	"field": "validation.dataset.sites",
} if {
	judged
	require_external
	count(validation_sites) == 0
}

validation_sites := v if {
	v := input.manifest.validation.dataset.sites
	is_array(v)
} else := []

site_field(s) := concat("", ["validation.dataset.sites[", format_int(s.index, 10), "]"]) if {
	format.is_whole(s.index)
} else := "validation.dataset.sites"

# ---------------------------------------------------------------------------------------------
# Patients: the declared overlap check
# ---------------------------------------------------------------------------------------------

# The declared check, or null: always defined, so that it can be negated on every engine.
overlap := o if {
	m := input.manifest
	is_object(m)
	o := object.get(m, ["validation", "independence", "patient_overlap"], null)
	is_object(o)
} else := null

overlap_declared if is_object(overlap)

failures contains {
	"rule": "gates.patient_overlap",
	"msg": concat("", [
		"validation.independence.patient_overlap is missing: the ",
		cls,
		" acceptance criteria require a patient-level overlap check between the training (and tuning) data and the validation set (require_patient_overlap_check). Declare its method and result.",
	]),
	"field": "validation.independence",
} if {
	judged
	require_patient_check
	not overlap_declared
}

failures contains {
	"rule": "gates.patient_overlap",
	"msg": concat("", [
		"validation.independence.patient_overlap.result is found: patients of the validation set are also in the training or tuning data (method: ",
		format.text(object.get(overlap, "method", null)),
		"), so the validation is not independent. Remove them from the development data and retrain.",
	]),
	"field": "validation.independence.patient_overlap.result",
} if {
	judged
	overlap_declared
	overlap.result == "found"
}

failures contains {
	"rule": "gates.patient_overlap",
	"msg": concat("", [
		"validation.independence.patient_overlap.result is ",
		format.text(object.get(overlap, "result", null)),
		", not none_found or found, so the patient-level overlap check cannot be read.",
	]),
	"field": "validation.independence.patient_overlap.result",
} if {
	judged
	overlap_declared
	not object.get(overlap, "result", null) in {"none_found", "found"}
}

deny contains f if some f in failures
