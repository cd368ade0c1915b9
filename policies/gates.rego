# Gates for ModelVersion subjects (DESIGN §5) that are not part of the PCCP's protocol:
# documentation completeness, declared class and immutability. They block the change but do not
# make it a PCCP deviation. The acceptance criteria of the protocol are in acceptance.rego
# (acceptance.failures, each also a deny there); the warnings at the end apply the same criteria
# to the parent version and to subgroups the criteria do not require.
package clinigate.gates

import rego.v1

import data.clinigate.acceptance
import data.clinigate.classify
import data.clinigate.format

cls := classify.change_class

judged if classify.judged

# ---------------------------------------------------------------------------------------------
# Documentation completeness (DESIGN §5: model card, training data version and digest, rationale).
# The schema already requires these; the policy repeats the check so that it never depends on
# loading having run first.
# ---------------------------------------------------------------------------------------------

required_text := {
	"model_card.limitations": "the model card must tell users where the model should not be relied on",
	"model_card.ethical_considerations": "the model card must state the model's ethical considerations",
	"change.rationale": "every change needs a recorded reason (21 CFR Part 11 reason for change)",
	"training.dataset.version": "the training data must be identified so this version can be reproduced and audited",
	"training.dataset.sha256": "the training data must be identified by digest so this version can be reproduced and audited",
}

blank(x) if x == null

blank(x) if {
	is_string(x)
	trim_space(x) == ""
}

deny contains {
	"rule": "gates.completeness",
	"msg": concat("", [field, " is missing or empty: ", why, "."]),
	"field": field,
} if {
	judged
	some field, why in required_text
	blank(object.get(input.manifest, split(field, "."), null))
}

# ---------------------------------------------------------------------------------------------
# Declared class (DESIGN §4: a declared_class lower than the computed one is itself a finding)
# ---------------------------------------------------------------------------------------------

declared := d if {
	d := input.manifest.change.declared_class
	is_string(d)
}

deny contains {
	"rule": "gates.declared_class",
	"msg": concat("", [
		"change.declared_class says ",
		declared,
		", but the change class is ",
		cls,
		" (",
		classify.class_reason,
		"): declare ",
		cls,
		". A change declared lower than it is would be routed to too few reviewers.",
	]),
	"field": "change.declared_class",
} if {
	judged
	classify.rank(declared) < classify.rank(cls)
}

deny contains {
	"rule": "gates.declared_class",
	"msg": concat("", [
		"change.declared_class ",
		declared,
		" is not a change class; use one of ",
		format.join(classify.known_classes),
		".",
	]),
	"field": "change.declared_class",
} if {
	judged
	declared
	not declared in classify.known_classes
}

warn contains {
	"rule": "gates.declared_class",
	"msg": concat("", [
		"change.declared_class says ",
		declared,
		", but the diff against the parent makes the change class ",
		cls,
		" (",
		classify.class_reason,
		"); it is judged as ",
		cls,
		".",
	]),
	"field": "change.declared_class",
} if {
	judged
	classify.rank(declared) > classify.rank(cls)
}

# ---------------------------------------------------------------------------------------------
# Immutability (DESIGN §5: a merged version manifest never changes; a new version instead).
# Applies to deleted versions too. A missing merged_at_base counts as merged (fail closed).
# ---------------------------------------------------------------------------------------------

change_verb := {"modified": "editing", "deleted": "deleting"}

deny contains {
	"rule": "gates.immutable",
	"msg": concat("", [
		format.text(input.subject.path),
		" is already merged: merged manifests never change; add a new version (with this one as its parent) instead of ",
		change_verb[input.subject.change],
		" it.",
	]),
	"field": null,
} if {
	classify.is_version
	input.subject.change in {"modified", "deleted"}
	not input.subject.merged_at_base == false
}

# ---------------------------------------------------------------------------------------------
# Warnings: reported, not blocking
# ---------------------------------------------------------------------------------------------

# DESIGN §4 also compares with the last version. The parent need not have been in production, so
# a drop against it is reported; the limits that block are production and the authorised version.
warn contains {
	"rule": "gates.regression_vs_parent",
	"msg": concat("", [
		"AUC ",
		acceptance.overall_text,
		" is ",
		format.e4(acceptance.reg_parent),
		" below the parent version (",
		acceptance.parent_version,
		", AUC ",
		acceptance.other_auc(acceptance.reg_parent),
		"), more than the ",
		cls,
		" tolerance of ",
		format.e4(acceptance.crit("max_regression_e4")),
		".",
	]),
	"field": "validation.overall.auc_roc",
} if {
	judged
	acceptance.reg_parent > acceptance.crit("max_regression_e4")
}

# Subgroups of attributes the criteria do not require (e.g. clinical): the same limits, reported.
warn contains {
	"rule": "gates.subgroup_gap",
	"msg": concat("", [
		format.text(sg.attribute),
		"=",
		acceptance.group_of(sg),
		": AUC ",
		acceptance.shown(object.get(sg, "auc_e4", null)),
		" is ",
		format.e4(sg.gap_e4),
		" below overall ",
		acceptance.overall_text,
		" (max gap ",
		format.e4(acceptance.crit("max_subgroup_gap_e4")),
		"); ",
		format.text(sg.attribute),
		" is not a required subgroup attribute, so this is a warning.",
	]),
	"field": acceptance.subgroup_field(sg, "auc_roc"),
} if {
	judged
	some sg in acceptance.subgroups
	not object.get(sg, "attribute", null) in acceptance.required_attributes
	format.is_whole(sg.gap_e4)
	sg.gap_e4 > acceptance.crit("max_subgroup_gap_e4")
}

warn contains {
	"rule": "gates.subgroup_n",
	"msg": concat("", [
		format.text(sg.attribute),
		"=",
		acceptance.group_of(sg),
		": n=",
		format_int(sg.n, 10),
		" is below the minimum subgroup size of ",
		format_int(acceptance.crit("min_subgroup_n"), 10),
		"; ",
		format.text(sg.attribute),
		" is not a required subgroup attribute, so this is a warning.",
	]),
	"field": acceptance.subgroup_field(sg, "n"),
} if {
	judged
	some sg in acceptance.subgroups
	not object.get(sg, "attribute", null) in acceptance.required_attributes
	format.is_whole(sg.n)
	sg.n < acceptance.crit("min_subgroup_n")
}
