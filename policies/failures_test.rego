package clinigate.failures_test

import rego.v1

import data.clinigate.failures
import data.clinigate.fixtures as fx

record_a := "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

record_b := "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

failure_of(mod, record) := {"record": record, "version": "1.2.1", "modification_id": mod, "head": "0123456789abcdef0123456789abcdef01234567", "rules": ["acceptance.min_auc"]}

# A data update implementing `mod` with change.root_cause `cause` (null: none), judged with the
# recorded failures `fs`.
deny_of(mod, cause, fs) := d if {
	change := fx.merge(fx.manifest.change, fx.merge({"modification_id": mod}, cited(cause)))
	p := {"manifest": fx.manifest_with("change", change), "facts": {"failures": fs}}
	d := failures.deny with input as fx.version(p) with data.clinigate.defaults as fx.defaults
}

cited(null) := {}

cited(cause) := {"root_cause": cause} if cause != null

cause_of(record) := {"failed_evaluation": record, "summary": "the site feed dropped lactate for a week", "conclusion": "unrelated_to_pccp"}

test_no_recorded_failure_passes if {
	count(deny_of("M1", null, [])) == 0
}

test_a_retry_after_a_recorded_failure_without_root_cause_denies if {
	d := deny_of("M1", null, [failure_of("M1", record_a)])
	fx.says(d, "gates.retry_without_root_cause", "Modification M1 failed the gate on record for version(s) 1.2.1")
	fx.says(d, "gates.retry_without_root_cause", record_a)
	some f in d
	f.field == "change.root_cause"
}

test_a_failure_of_another_modification_does_not_need_a_root_cause if {
	count(deny_of("M1", null, [failure_of("M2", record_a)])) == 0
}

test_a_retry_citing_the_recorded_failure_passes if {
	count(deny_of("M1", cause_of(record_a), [failure_of("M1", record_a)])) == 0
}

test_a_root_cause_citing_an_unknown_record_denies if {
	d := deny_of("M1", cause_of(record_b), [failure_of("M1", record_a)])
	fx.says(d, "gates.root_cause_unknown", concat("", ["failed_evaluation ", record_b, " is not a recorded failure"]))
	not fx.fires(d, "gates.retry_without_root_cause")
}

test_a_root_cause_with_no_failure_on_record_denies if {
	d := deny_of("M1", cause_of(record_a), [])
	fx.says(d, "gates.root_cause_unknown", "(recorded: none)")
}

test_without_facts_nothing_is_required if {
	change := fx.merge(fx.manifest.change, {"modification_id": "M1"})
	d := failures.deny with input as fx.version({"manifest": fx.manifest_with("change", change)})
		with data.clinigate.defaults as fx.defaults
	count(d) == 0
}
