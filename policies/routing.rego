# Outside-PCCP routing (regulatory.md §7 C-18; FDA PCCP guidance §V: a change that is not in the
# PCCP is evaluated under FDA's device-modification guidances, which decide between a new
# marketing submission and documentation in the QMS, a letter to file).
#
# A change whose class the plan does not authorise is outside the PCCP (classify.outside_reasons).
# The plan's outside_pccp_significance table may assess such a class in advance, with its reasoning:
#   significant: false   regulatory_action letter_to_file (pccp.rego); the reasoning is shown in a
#                        pccp.significance warning; classify.class_not_authorised does not deny.
#                        The change still needs a regulatory approval (approvals.rego requires
#                        regulatory for every outside_pccp change) and meets its class's
#                        acceptance criteria and every other gate.
#   significant: true,   new_submission, and classify.class_not_authorised denies (with the plan's
#   or no row            reasoning when it has a row)
# Only when the class is the one reason the change is outside the plan (a plan edit, a missing
# plan, a new indication or incomplete facts always need a submission), never for initial or
# new_indication, and only for a row with a reasoning and an assessment document (fail closed:
# anything less is treated as significant).
package clinigate.routing

import rego.v1

import data.clinigate.classify

# initial (a new device) and new_indication (a new intended use) are always significant.
eligible_classes := {
	"metadata_only", "data_update", "hyperparameter_tuning",
	"feature_engineering", "architecture_change",
}

rows := r if {
	r := input.pccp.outside_pccp_significance
	is_array(r)
} else := []

# The plan's row for the computed class, when there is exactly one.
row := matches[0] if {
	matches := [x | some x in rows; is_object(x); x.change_class == classify.change_class]
	count(matches) == 1
}

stated(x) if {
	is_string(x)
	trim_space(x) != ""
}

reasoned(r) if {
	stated(r.reasoning)
	stated(r.assessment)
}

only_unauthorised if {
	"class_not_authorised" in classify.outside_reasons
	count(classify.outside_reasons) == 1
}

# The plan marks this outside-PCCP change non-significant: a letter to file.
non_significant if {
	only_unauthorised
	classify.change_class in eligible_classes
	row.significant == false
	reasoned(row)
}

# The plan marks it significant, with its reasons: added to the deny below.
significance_note := concat("", [
	" The plan's significance assessment (",
	row.assessment,
	") marks such a change significant: ",
	row.reasoning,
]) if {
	row.significant == true
	reasoned(row)
} else := ""

plan_gap := concat("", ["change_classes.", classify.change_class, ".authorised is not true"]) if {
	is_object(classify.plan)
} else := concat("", ["it has no change_classes.", classify.change_class, " entry"])

deny contains {
	"rule": "classify.class_not_authorised",
	"msg": concat("", [
		"The change class is ",
		classify.change_class,
		" (",
		classify.class_reason,
		"), which the ",
		classify.model_name,
		" PCCP does not authorise (",
		plan_gap,
		"): the change is outside the plan and needs a new marketing submission and a regulatory approval.",
		significance_note,
	]),
	"field": null,
} if {
	"class_not_authorised" in classify.outside_reasons
	not non_significant
}

warn contains {
	"rule": "pccp.significance",
	"msg": concat("", [
		"The change class is ",
		classify.change_class,
		" (",
		classify.class_reason,
		"), which the ",
		classify.model_name,
		" PCCP does not authorise, but the plan's significance assessment (",
		row.assessment,
		") marks such a change non-significant: ",
		row.reasoning,
		" It is documented by a letter to file (regulatory_action letter_to_file) with a regulatory approval, not a new marketing submission.",
	]),
	"field": null,
} if {
	non_significant
}
