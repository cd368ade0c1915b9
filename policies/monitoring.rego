# Monitoring reports (models/<m>/monitoring/<id>.yaml, DESIGN §14): post-market surveillance
# records. A new one needs the quality role's approval; once merged it is a record, so editing
# or deleting it is denied (a later period gets a new report).
package clinigate.monitoring

import rego.v1

is_report if input.subject.kind == "MonitoringReport"

merged if input.subject.merged_at_base == true

deny contains {
	"rule": "monitoring.immutable",
	"msg": concat("", [
		"A merged monitoring report is a post-market record and cannot be ",
		verb,
		": write a new report for a new period (clinigate monitor --id …) instead.",
	]),
	"field": null,
} if {
	is_report
	merged
	input.subject.change in {"modified", "deleted"}
	verb := {"modified": "edited", "deleted": "deleted"}[input.subject.change]
}

required_roles contains "quality" if {
	is_report
	input.subject.change == "added"
}
