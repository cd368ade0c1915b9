package clinigate.monitoring_test

import rego.v1

import data.clinigate.fixtures as fx
import data.clinigate.monitoring

report(change, merged) := {
	"subject": {
		"path": "models/sepsis-ews/monitoring/2026-q4.yaml",
		"kind": "MonitoringReport",
		"model": "sepsis-ews",
		"change": change,
		"merged_at_base": merged,
	},
	"manifest": {"kind": "MonitoringReport"},
	"base_manifest": null,
	"facts": {},
	"approvals": [],
}

test_a_new_report_needs_quality if {
	monitoring.required_roles == {"quality"} with input as report("added", false)
	count(monitoring.deny) == 0 with input as report("added", false)
}

test_editing_a_merged_report_is_denied if {
	fx.says(monitoring.deny, "monitoring.immutable", "cannot be edited") with input as report("modified", true)
}

test_deleting_a_merged_report_is_denied if {
	fx.says(monitoring.deny, "monitoring.immutable", "cannot be deleted") with input as report("deleted", true)
}

test_other_subjects_are_not_judged_here if {
	count(monitoring.deny) == 0 with input as fx.version({})
	count(monitoring.required_roles) == 0 with input as fx.version({})
}
