# Change classification under the model's Predetermined Change Control Plan (DESIGN §4).
#
# For a ModelVersion subject this module computes
#   change_class     what changed, from the diff against the parent version (highest class wins)
#   outside_reasons  why the change is outside the PCCP, if it is (pccp.rego turns these and the
#                    acceptance failures into the PCCP status and the regulatory action)
# and denies every reason that puts a change outside the plan, so that an outside_pccp status can
# never pass silently (DESIGN §4: such a change is blocked unless a submission reference and a
# regulatory approval are present; the waiver arrives with approvals). The one exception, a class
# the plan assesses as non-significant (letter to file), is routed by routing.rego.
#
# This module depends on no other policy module except format, so that acceptance, gates and pccp
# can build on it without a cycle.
package clinigate.classify

import rego.v1

import data.clinigate.format

# The seven classes of DESIGN §4. Their order ("highest wins") comes from
# data.clinigate.defaults.class_order; this set only checks that the data names all of them.
known_classes := {
	"initial", "metadata_only", "data_update", "hyperparameter_tuning",
	"feature_engineering", "architecture_change", "new_indication",
}

class_order := data.clinigate.defaults.class_order

class_order_set := {c | some c in class_order} if is_array(class_order)

# Negated whole below (`not is_array(class_order)` with class_order undefined fails the body on
# OPA, so a missing class_order would go undenied there; policies/README.md, "Engines").
class_order_listed if is_array(class_order)

# Index of a class in class_order: "highest wins" is an index comparison, not the maximum
# builtin, which one engine orders as strings (engines note §8).
rank(c) := i if {
	some i, x in class_order
	x == c
}

# The facts object Python computed, or {} so that a missing one reads as "every fact missing".
facts := input.facts if {
	is_object(input.facts)
} else := {}

fact(path) := object.get(facts, path, null)

is_version if input.subject.kind == "ModelVersion"

# A deleted version has no document to classify; only immutability applies to it (gates.rego).
judged if {
	is_version
	is_object(input.manifest)
}

first_version if fact(["first_version"]) == true

# ---------------------------------------------------------------------------------------------
# Change class
# ---------------------------------------------------------------------------------------------

# Which diff fact triggers which class (DESIGN §4 table), and the manifest field it stands for.
diff_class := {
	"algorithm_type": "architecture_change",
	"framework": "architecture_change",
	"features": "feature_engineering",
	"hyperparameters": "hyperparameter_tuning",
	"training_data": "data_update",
	"artifact": "data_update",
}

diff_field := {
	"algorithm_type": "training.algorithm.type",
	"framework": "training.algorithm.framework",
	"features": "training.features",
	"hyperparameters": "training.algorithm.hyperparameters",
	"training_data": "training.dataset",
	"artifact": "artifact.sha256",
}

# A first version has nothing to be compared with: it is the initial class, judged under the
# PCCP's `initial` plan. (Its model's intended use is new by definition; if model.yaml changed in
# the same change set the version is still put outside the PCCP below, and the Model subject
# carries the new-indication finding.)
triggered contains "initial" if {
	judged
	first_version
}

# Every later version is at least metadata_only: "no model-affecting field changed".
triggered contains "metadata_only" if {
	judged
	not first_version
}

triggered contains "new_indication" if {
	judged
	not first_version
	fact(["intended_use_changed"]) == true
}

triggered contains c if {
	judged
	not first_version
	some k, c in diff_class
	fact(["diff", k]) == true
}

# Highest wins. Undefined only when class_order lacks a triggered class; that is denied below
# and treated as outside the PCCP, never as conforming.
change_class := c if {
	some c in triggered
	every o in triggered {
		rank(o) <= rank(c)
	}
}

# The manifest fields whose change decided the class, for messages.
changed_fields contains diff_field[k] if {
	judged
	not first_version
	some k, _ in diff_class
	fact(["diff", k]) == true
}

changed_fields contains "intended_use (model.yaml)" if {
	judged
	not first_version
	fact(["intended_use_changed"]) == true
}

# "because training.dataset, artifact.sha256 changed" / "because no model-affecting field changed"
class_reason := "because this is the first version of the model" if {
	first_version
} else := concat("", ["because ", format.join(changed_fields), " changed"]) if {
	count(changed_fields) > 0
} else := "because no model-affecting field changed"

# ---------------------------------------------------------------------------------------------
# Reasons a change is outside the PCCP
# ---------------------------------------------------------------------------------------------

pccp_present if is_object(input.pccp)

# The PCCP's plan for the computed class: change_classes.<class> (authorised, acceptance,
# required_roles, regulatory_action).
plan := input.pccp.change_classes[change_class]

plan_authorised if plan.authorised == true

# Facts the classification cannot do without. A missing one is a clinigate bug, but a missing
# boolean read as false would classify the change too low, so it puts the change outside the PCCP.
required_facts := [
	["first_version"], ["pccp_changed"], ["intended_use_changed"],
	["diff", "algorithm_type"], ["diff", "framework"], ["diff", "hyperparameters"],
	["diff", "features"], ["diff", "training_data"], ["diff", "artifact"],
	["diff", "validation_set"], ["diff", "reference_standard"],
	["locked_set_matches_pccp"], ["validation_set_locked"], ["reference_standard_matches_pccp"],
]

missing_facts contains concat(".", array.concat(["facts"], p)) if {
	judged
	some p in required_facts
	not is_boolean(fact(p))
}

# Why a change is outside the plan (DESIGN §4: class not authorised, new_indication, or pccp.yaml
# itself edited; plus a missing plan, and anything that prevents a trustworthy classification).
outside_reasons contains "facts_incomplete" if count(missing_facts) > 0

outside_reasons contains "pccp_missing" if {
	judged
	not pccp_present
}

outside_reasons contains "pccp_changed" if {
	judged
	fact(["pccp_changed"]) == true
}

# A new intended use is outside any PCCP, whatever the plan says (FDA PCCP guidance: a PCCP
# cannot authorise a change to the intended use).
outside_reasons contains "new_indication" if {
	judged
	fact(["intended_use_changed"]) == true
}

outside_reasons contains "new_indication" if change_class == "new_indication"

outside_reasons contains "unclassified" if {
	judged
	not change_class
}

outside_reasons contains "class_not_authorised" if {
	pccp_present
	change_class != "new_indication"
	not plan_authorised
}

# ---------------------------------------------------------------------------------------------
# Findings
# ---------------------------------------------------------------------------------------------

model_name := m if {
	m := input.subject.model
	is_string(m)
} else := "this model"

# The class for messages; "unclassified" while class_order cannot rank the change.
class_name := change_class if {
	change_class
} else := "unclassified"

pccp_path := concat("", ["models/", model_name, "/pccp.yaml"])

deny contains {
	"rule": "classify.facts_incomplete",
	"msg": concat("", [
		"clinigate could not classify this change: the policy input lacks ",
		format.join(missing_facts),
		" (a clinigate bug; please report it). Until the facts are complete the change is treated as outside the PCCP.",
	]),
	"field": null,
} if {
	count(missing_facts) > 0
}

deny contains {
	"rule": "classify.class_order",
	"msg": concat("", [
		"data.clinigate.defaults.class_order (policies/data/defaults.yaml) does not list the change classes ",
		format.join(known_classes - class_order_set),
		", so changes cannot be ranked; the change is treated as outside the PCCP.",
	]),
	"field": null,
} if {
	judged
	count(known_classes - class_order_set) > 0
}

deny contains {
	"rule": "classify.class_order",
	"msg": "data.clinigate.defaults.class_order is missing, so changes cannot be ranked; the change is treated as outside the PCCP.",
	"field": null,
} if {
	judged
	not class_order_listed
}

deny contains {
	"rule": "classify.pccp_missing",
	"msg": concat("", [
		pccp_path,
		" is missing: without a Predetermined Change Control Plan no change to ",
		model_name,
		" is authorised in advance, so this ",
		class_name,
		" change is outside any PCCP and needs a new marketing submission.",
	]),
	"field": null,
} if {
	"pccp_missing" in outside_reasons
}

deny contains {
	"rule": "classify.pccp_changed",
	"msg": concat("", [
		pccp_path,
		" is edited in the same change: a version cannot be judged against a plan that is being rewritten, so this ",
		class_name,
		" change is outside the PCCP until the revised plan is authorised. Submit the plan change on its own first.",
	]),
	"field": null,
} if {
	"pccp_changed" in outside_reasons
}

deny contains {
	"rule": "classify.new_indication",
	"msg": concat("", [
		"The intended use of ",
		model_name,
		" in model.yaml changed: a new intended use, indication, population, setting or users is outside any PCCP and needs a new marketing submission and a regulatory approval.",
	]),
	"field": null,
} if {
	"new_indication" in outside_reasons
}

deny contains {
	"rule": "classify.unclassified",
	"msg": "The change could not be placed in a change class, so it is treated as outside the PCCP.",
	"field": null,
} if {
	"unclassified" in outside_reasons
}

# The classify.class_not_authorised deny is in routing.rego: whether it blocks depends on the
# plan's significance assessment of the class (outside_pccp_significance), which needs the class.
