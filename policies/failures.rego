# Failure records (regulatory.md §7 B-13; FDA PCCP guidance §VII.B(3)): a failure against the
# acceptance criteria stays on record, and the modification may be tried again only with a
# root-cause analysis showing the failure is unrelated to the plan.
#
#   gates.retry_without_root_cause  ModelVersion: an earlier version that implemented the same
#                                   PCCP modification failed the gate on record, and this version
#                                   cites no root cause (change.root_cause)
#   gates.root_cause_unknown        ModelVersion: change.root_cause.failed_evaluation is not a
#                                   recorded failure of this model
#
# Python reads the gate's signed evaluation records (gate/evaluation.py: only records the pinned
# CI workflow, or a PKI certificate trust.yaml names as an evaluation recorder, signed count) and
# lists the model's failures of other versions in input.facts.failures: {record, version,
# modification_id, head, rules}.
package clinigate.failures

import rego.v1

import data.clinigate.classify
import data.clinigate.format
import data.clinigate.modifications

failures := fs if {
	fs := input.facts.failures
	is_array(fs)
} else := []

root_cause := r if {
	r := input.manifest.change.root_cause
	is_object(r)
}

cited := d if {
	d := root_cause.failed_evaluation
	is_string(d)
}

# The recorded failures of the modification this version implements.
same_modification contains f if {
	id := modifications.modification_id
	some f in failures
	is_object(f)
	f.modification_id == id
}

failed_versions := {f.version | some f in same_modification}

failed_records := {f.record | some f in same_modification}

deny contains {
	"rule": "gates.retry_without_root_cause",
	"msg": concat("", [
		"Modification ",
		modifications.modification_id,
		" failed the gate on record for version(s) ",
		format.join(failed_versions),
		" (evaluation record(s) ",
		format.join(failed_records),
		"). A retry must cite a root-cause analysis showing the failure is unrelated to the PCCP: ",
		"set change.root_cause.failed_evaluation to the record it answers.",
	]),
	"field": "change.root_cause",
} if {
	classify.judged
	count(same_modification) > 0
	not root_cause
}

deny contains {
	"rule": "gates.root_cause_unknown",
	"msg": concat("", [
		"change.root_cause.failed_evaluation ",
		format.text(cited),
		" is not a recorded failure of this model (recorded: ",
		known_records,
		"); cite the evaluation record of the failure the analysis answers.",
	]),
	"field": "change.root_cause.failed_evaluation",
} if {
	classify.judged
	is_string(cited)
	not cited in {f.record | some f in failures; is_object(f)}
}

known_records := "none" if {
	count(failures) == 0
} else := format.join({f.record | some f in failures; is_object(f)})
