# Modifications keyed to the PCCP (regulatory.md §7 A-6, C-22; FDA PCCP guidance §VI, §VIII).
#
# The plan's Description of Modifications is input.pccp.modifications: each with an id, the change
# classes it belongs to, its modification protocol and its own impact assessment. A ModelVersion
# names the modification it implements in change.modification_id:
#   gates.modification_unknown   the id is not one of the plan's (the message names the known ones)
#   gates.modification_class     the plan declares the id for other change classes than this one's
#   gates.modification_missing   no id, though the plan lists modifications for this authorised class
#   gates.cumulative_assessment  this modification would make more than the plan's
#                                cumulative_assessment_after shipped, and the plan's cumulative impact
#                                assessment is missing or does not cover the last one shipped
# Python counts what shipped and compares versions (input.facts.modifications, only present when
# the plan sets cumulative_assessment_after). These gates block the change; they do not change its
# PCCP status, which stays with the class and the acceptance criteria (pccp.rego).
package clinigate.modifications

import rego.v1

import data.clinigate.classify
import data.clinigate.format

judged if classify.judged

cls := classify.class_name

modifications := m if {
	m := input.pccp.modifications
	is_array(m)
} else := []

known_ids := {m.id | some m in modifications; is_string(m.id)}

# The classes the plan declares a modification for (a set; empty for an unknown id).
classes_of(id) := {c |
	some m in modifications
	m.id == id
	is_array(m.change_classes)
	some c in m.change_classes
}

# The plan's modifications for the computed class.
for_class := {m.id |
	some m in modifications
	is_string(m.id)
	is_array(m.change_classes)
	cls in m.change_classes
}

modification_id := id if {
	id := input.manifest.change.modification_id
	is_string(id)
}

# Always defined, so that a rule can negate it (policies/README.md, "Engines").
has_modification_id if modification_id

known_text := concat("", ["its modifications are ", format.join(known_ids)]) if {
	count(known_ids) > 0
} else := "it declares no modifications"

for_class_text := concat("", ["the plan's ", cls, " modifications are ", format.join(for_class)]) if {
	count(for_class) > 0
} else := concat("", ["the plan declares no ", cls, " modification"])

pccp_path := classify.pccp_path

deny contains {
	"rule": "gates.modification_unknown",
	"msg": concat("", [
		"change.modification_id ",
		id,
		" is not a modification of the ",
		classify.model_name,
		" PCCP (",
		known_text,
		"): a version may only implement a modification the plan's Description of Modifications declares (",
		pccp_path,
		" modifications).",
	]),
	"field": "change.modification_id",
} if {
	judged
	classify.pccp_present
	id := modification_id
	not id in known_ids
}

deny contains {
	"rule": "gates.modification_class",
	"msg": concat("", [
		"change.modification_id ",
		id,
		" is declared for ",
		format.join(classes_of(id)),
		", but this change is ",
		cls,
		" (",
		classify.class_reason,
		"); ",
		for_class_text,
		".",
	]),
	"field": "change.modification_id",
} if {
	judged
	id := modification_id
	id in known_ids
	not cls in classes_of(id)
}

deny contains {
	"rule": "gates.modification_missing",
	"msg": concat("", [
		"change.modification_id is missing: the ",
		classify.model_name,
		" PCCP authorises ",
		cls,
		" changes only as one of its declared modifications (",
		format.join(for_class),
		"); name the one this version implements.",
	]),
	"field": "change.modification_id",
} if {
	judged
	classify.plan_authorised
	count(for_class) > 0
	not has_modification_id
}

# ---------------------------------------------------------------------------------------------
# Cumulative impact assessment (guidance §VIII: the impact of the modifications together)
# ---------------------------------------------------------------------------------------------

after := n if {
	n := input.pccp.cumulative_assessment_after
	format.is_whole(n)
}

shipped := n if {
	n := classify.fact(["modifications", "shipped"])
	format.is_whole(n)
}

assessment_current if classify.fact(["modifications", "cumulative_assessment_current"]) == true

assessment_present if is_object(input.pccp.impact_assessment)

# Applies to a version that implements a modification while the plan sets N.
counted if {
	judged
	has_modification_id
	after
}

last_shipped := v if {
	v := classify.fact(["modifications", "last_shipped"])
	is_string(v)
} else := "(none)"

covers_through := v if {
	v := classify.fact(["modifications", "cumulative_covers_through"])
	is_string(v)
} else := "(unknown)"

past_n_text := concat("", [
	format_int(shipped, 10),
	" modifications have shipped and this one would make ",
	format_int(shipped + 1, 10),
	", more than the ",
	format_int(after, 10),
	" after which the ",
	classify.model_name,
	" PCCP (cumulative_assessment_after) requires a cumulative impact assessment",
])

deny contains {
	"rule": "gates.cumulative_assessment",
	"msg": concat("", [
		past_n_text,
		", but ",
		pccp_path,
		" has no impact_assessment: assess the modifications' combined impact before another one ships.",
	]),
	"field": null,
} if {
	counted
	shipped + 1 > after
	not assessment_present
}

deny contains {
	"rule": "gates.cumulative_assessment",
	"msg": concat("", [
		past_n_text,
		", but its impact_assessment covers modifications through ",
		covers_through,
		" only, older than the last one shipped (",
		last_shipped,
		"): update the cumulative assessment (covers_through) before another modification ships.",
	]),
	"field": null,
} if {
	counted
	shipped + 1 > after
	assessment_present
	not assessment_current
}

# Fail closed: without the count the limit could never be reached.
deny contains {
	"rule": "gates.cumulative_assessment",
	"msg": "The policy input lacks facts.modifications.shipped although the PCCP sets cumulative_assessment_after (a clinigate bug; please report it): the cumulative impact assessment cannot be checked.",
	"field": null,
} if {
	counted
	not shipped
}
