# PCCP acceptance criteria of ModelVersion subjects (DESIGN §5).
#
# Thresholds are the acceptance criteria of the computed change class, pccp.yaml merged over
# policies/data/defaults.yaml by Python: input.facts.criteria_e4[<class>], every AUC-like number an
# integer in 1/10,000. Metrics are precomputed the same way (input.facts.metrics). Policies only
# compare integers and booleans (engines note §8).
#
# `failures` holds the failures of the class's modification protocol (the acceptance criteria
# and the pinned methods). Any of them makes an authorised change a PCCP deviation
# (pccp.status in pccp.rego). Every failure is also a deny. The other gates of a version
# (documentation completeness, declared class, immutability) are in gates.rego: they block the
# change but are not part of the PCCP's protocol.
#
# The rules keep their `gates.` ids: a finding's rule id is a public name (reports, README), not
# the module that holds the rule.
package clinigate.acceptance

import rego.v1

import data.clinigate.classify
import data.clinigate.format

cls := classify.change_class

fact(path) := classify.fact(path)

judged if classify.judged

is_whole(x) if format.is_whole(x)

# "0.873" for whole e4 numbers, "unknown" for anything else.
shown(x) := format.e4(x) if {
	is_whole(x)
} else := "unknown"

# ---------------------------------------------------------------------------------------------
# Acceptance criteria of the computed class
# ---------------------------------------------------------------------------------------------

criteria := c if {
	c := object.get(classify.facts, ["criteria_e4", cls], null)
	is_object(c)
}

criterion_types := {
	"min_auc_e4": "a whole number in 1/10,000",
	"max_subgroup_gap_e4": "a whole number in 1/10,000",
	"max_regression_e4": "a whole number in 1/10,000",
	"min_subgroup_n": "a whole number",
	"required_subgroup_attributes": "a list of attribute names",
	"require_locked_validation_set": "true or false",
}

valid_criterion(v, "a whole number in 1/10,000") if is_whole(v)

valid_criterion(v, "a whole number") if is_whole(v)

valid_criterion(v, "a list of attribute names") if {
	is_array(v)
	every a in v {
		is_string(a)
	}
}

valid_criterion(v, "true or false") if is_boolean(v)

# A criterion that is missing or of the wrong type (a float AUC 0.8 instead of 8000 would make
# the floor pass everything): reported, and the gate that needs it cannot pass it silently.
bad_criteria contains k if {
	is_object(criteria)
	some k, t in criterion_types
	not valid_criterion(object.get(criteria, k, null), t)
}

crit(k) := criteria[k] if not k in bad_criteria

required_attributes := {a | some a in crit("required_subgroup_attributes")}

require_locked if crit("require_locked_validation_set") == true

# Optional (older plans and the defaults leave it out): when true, typed numbers do not count.
require_evidence if object.get(criteria, "require_evidence", false) == true

# ---------------------------------------------------------------------------------------------
# Metrics (input.facts.metrics)
# ---------------------------------------------------------------------------------------------

overall := v if {
	v := fact(["metrics", "overall_auc_e4"])
	is_whole(v)
}

present_attributes := {a | some a in v} if {
	v := fact(["metrics", "attributes_present"])
	is_array(v)
} else := set()

subgroups := v if {
	v := fact(["metrics", "subgroups"])
	is_array(v)
} else := []

# The overall AUC for messages, never undefined (a message must not make its finding disappear).
overall_text := format.e4(overall) if {
	is_whole(overall)
} else := "unknown"

reg_production := v if {
	v := fact(["metrics", "regression_vs_production_e4"])
	is_whole(v)
}

reg_authorised := v if {
	v := fact(["metrics", "regression_vs_authorised_e4"])
	is_whole(v)
}

reg_parent := v if {
	v := fact(["metrics", "regression_vs_parent_e4"])
	is_whole(v)
}

production_version := v if {
	v := input.production.version
	is_string(v)
} else := "unknown"

authorised_version := v if {
	v := input.authorised.version
	is_string(v)
} else := v if {
	v := input.pccp.authorised_baseline
	is_string(v)
} else := "unknown"

parent_version := v if {
	v := input.parent.version
	is_string(v)
} else := "unknown"

# The AUC of the version compared with: this AUC plus the regression (regression = other − this).
other_auc(reg) := format.e4(overall + reg) if {
	is_whole(overall)
} else := "unknown"

# Path of a subgroup's field in the manifest, e.g. validation.subgroups[8].auc_roc. (The
# comprehension avoids `some i, m in`, which regopy cannot parse inside a comprehension.)
subgroup_field(sg, leaf) := concat("", ["validation.subgroups[", format_int(idx[0], 10), "].", leaf]) if {
	subs := input.manifest.validation.subgroups
	is_array(subs)
	idx := [i | some i; m := subs[i]; m.attribute == sg.attribute; m.group == sg.group]
	count(idx) > 0
} else := "validation.subgroups"

# ---------------------------------------------------------------------------------------------
# Acceptance: criteria present (no gate may pass for want of a threshold)
# ---------------------------------------------------------------------------------------------

failures contains {
	"rule": "gates.criteria_missing",
	"msg": concat("", [
		"No acceptance criteria for class ",
		cls,
		" (facts.criteria_e4.",
		cls,
		" is missing): the gates cannot be evaluated, so this change cannot be shown to meet the PCCP's modification protocol.",
	]),
	"field": null,
} if {
	judged
	not criteria
}

failures contains {
	"rule": "gates.criteria_missing",
	"msg": concat("", [
		"The ",
		cls,
		" acceptance criteria have no usable ",
		k,
		" (it must be ",
		criterion_types[k],
		"), so the gate that uses it cannot be evaluated.",
	]),
	"field": null,
} if {
	judged
	some k in bad_criteria
}

# ---------------------------------------------------------------------------------------------
# Acceptance: completeness of the subgroup analysis (DESIGN §5 "subgroup segmentation for every
# required attribute"; FDA PCCP guidance, performance evaluation across subpopulations)
# ---------------------------------------------------------------------------------------------

failures contains {
	"rule": "gates.subgroup_attribute_missing",
	"msg": concat("", [
		"No validation results by ",
		a,
		": the ",
		cls,
		" acceptance criteria require subgroup performance for each of ",
		format.join(required_attributes),
		". Add the ",
		a,
		" subgroups to validation.subgroups.",
	]),
	"field": "validation.subgroups",
} if {
	judged
	some a in required_attributes
	not a in present_attributes
}

# ---------------------------------------------------------------------------------------------
# Acceptance: performance (DESIGN §5 AUC floor, subgroup gap and n)
# ---------------------------------------------------------------------------------------------

failures contains {
	"rule": "gates.metrics_missing",
	"msg": "The overall validation AUC (validation.overall.auc_roc) is missing from the policy input, so the AUC floor, the subgroup gaps and the regression limits cannot be checked.",
	"field": "validation.overall.auc_roc",
} if {
	judged
	not overall
}

failures contains {
	"rule": "gates.auc_floor",
	"msg": concat("", [
		"Overall AUC ",
		format.e4(overall),
		" on the validation set is below the floor of ",
		format.e4(crit("min_auc_e4")),
		" set by the ",
		cls,
		" acceptance criteria.",
	]),
	"field": "validation.overall.auc_roc",
} if {
	judged
	overall < crit("min_auc_e4")
}

failures contains {
	"rule": "gates.subgroup_gap",
	"msg": concat("", [
		format.text(sg.attribute),
		"=",
		group_of(sg),
		": AUC ",
		shown(object.get(sg, "auc_e4", null)),
		" is ",
		format.e4(sg.gap_e4),
		" below overall ",
		overall_text,
		" (max gap ",
		format.e4(crit("max_subgroup_gap_e4")),
		")",
	]),
	"field": subgroup_field(sg, "auc_roc"),
} if {
	judged
	some sg in subgroups
	sg.attribute in required_attributes
	is_whole(sg.gap_e4)
	sg.gap_e4 > crit("max_subgroup_gap_e4")
}

failures contains {
	"rule": "gates.subgroup_n",
	"msg": concat("", [
		format.text(sg.attribute),
		"=",
		group_of(sg),
		": n=",
		format_int(sg.n, 10),
		" is below the minimum subgroup size of ",
		format_int(crit("min_subgroup_n"), 10),
		" in the ",
		cls,
		" acceptance criteria, too few to estimate this subgroup's AUC reliably.",
	]),
	"field": subgroup_field(sg, "n"),
} if {
	judged
	some sg in subgroups
	sg.attribute in required_attributes
	is_whole(sg.n)
	sg.n < crit("min_subgroup_n")
}

failures contains {
	"rule": "gates.metrics_missing",
	"msg": concat("", [
		format.text(sg.attribute),
		"=",
		group_of(sg),
		": the policy input has no usable AUC gap or n for this subgroup, so its acceptance cannot be checked.",
	]),
	"field": subgroup_field(sg, "auc_roc"),
} if {
	judged
	some sg in subgroups
	sg.attribute in required_attributes
	not subgroup_complete(sg)
}

group_of(sg) := g if {
	g := sg.group
	is_string(g)
} else := "(unnamed group)"

subgroup_complete(sg) if {
	is_whole(sg.gap_e4)
	is_whole(sg.n)
}

# ---------------------------------------------------------------------------------------------
# Acceptance: regression vs production and vs the originally authorised version (DESIGN §4/§5;
# FDA PCCP guidance §VII.B(3): compare with the authorised device, not only the last version,
# so that small steps cannot add up to a large drift)
# ---------------------------------------------------------------------------------------------

failures contains {
	"rule": "gates.regression_vs_production",
	"msg": concat("", [
		"AUC ",
		overall_text,
		" is ",
		format.e4(reg_production),
		" below the version in production (",
		production_version,
		", AUC ",
		other_auc(reg_production),
		"); the ",
		cls,
		" acceptance criteria allow a regression of at most ",
		format.e4(crit("max_regression_e4")),
		".",
	]),
	"field": "validation.overall.auc_roc",
} if {
	judged
	reg_production > crit("max_regression_e4")
}

failures contains {
	"rule": "gates.metrics_missing",
	"msg": concat("", [
		"A version is in production (",
		production_version,
		") but the policy input has no regression against it, so the regression limit cannot be checked.",
	]),
	"field": "validation.overall.auc_roc",
} if {
	judged
	is_object(input.production)
	not reg_production
}

failures contains {
	"rule": "gates.regression_vs_authorised",
	"msg": concat("", [
		"AUC ",
		overall_text,
		" is ",
		format.e4(reg_authorised),
		" below the originally authorised version (",
		authorised_version,
		", AUC ",
		other_auc(reg_authorised),
		"); the ",
		cls,
		" acceptance criteria allow a regression of at most ",
		format.e4(crit("max_regression_e4")),
		".",
	]),
	"field": "validation.overall.auc_roc",
} if {
	judged
	reg_authorised > crit("max_regression_e4")
}

failures contains {
	"rule": "gates.metrics_missing",
	"msg": concat("", [
		"The originally authorised version (",
		authorised_version,
		") exists but the policy input has no regression against it, so the regression limit cannot be checked.",
	]),
	"field": "validation.overall.auc_roc",
} if {
	judged
	is_object(input.authorised)
	not reg_authorised
}

# A later version must be comparable with the authorised baseline; a PCCP naming a baseline that
# has no manifest leaves that comparison impossible. (A first version may be the baseline itself.)
failures contains {
	"rule": "gates.authorised_baseline_missing",
	"msg": concat("", [
		"The PCCP's authorised_baseline (",
		authorised_version,
		") has no version manifest, so this version cannot be compared with the originally authorised version as the PCCP requires.",
	]),
	"field": null,
} if {
	judged
	classify.pccp_present
	not classify.first_version
	# object.get, not input.authorised: an undefined argument under `not` fails the body on OPA
	# (this deny would fail open when the key is absent) but not on regorus (README, "Engines").
	not is_object(object.get(input, "authorised", null))
}

# ---------------------------------------------------------------------------------------------
# Acceptance: pinned methods (DESIGN §4 deviation; FDA PCCP guidance §VII.B: the sequestered test
# set and the reference standard are fixed by the modification protocol)
# ---------------------------------------------------------------------------------------------

locked_set_name := concat(" ", [n, v]) if {
	n := input.pccp.locked_validation_set.name
	v := input.pccp.locked_validation_set.version
	is_string(n)
	is_string(v)
} else := "pccp.yaml locked_validation_set"

failures contains {
	"rule": "gates.locked_validation_set",
	"msg": concat("", [
		"validation.dataset.sha256 is not the digest of the PCCP's locked validation set (",
		locked_set_name,
		"): the ",
		cls,
		" modification protocol requires every version to be validated on that sequestered set.",
	]),
	"field": "validation.dataset.sha256",
} if {
	judged
	require_locked
	classify.pccp_present
	fact(["locked_set_matches_pccp"]) != true
}

failures contains {
	"rule": "gates.locked_validation_set",
	"msg": concat("", [
		"validation.dataset.locked is not true: the ",
		cls,
		" modification protocol requires validation on the locked (sequestered) validation set.",
	]),
	"field": "validation.dataset.locked",
} if {
	judged
	require_locked
	fact(["validation_set_locked"]) != true
}

# The set matches the plan now but differs from the parent's: the parent was validated on some
# other set, so the method changed between the two versions (reported once the locked-set gate
# above is satisfied, to avoid two findings for one cause).
failures contains {
	"rule": "gates.validation_set_changed",
	"msg": concat("", [
		"validation.dataset.sha256 differs from the parent version's (",
		parent_version,
		"): the ",
		cls,
		" modification protocol pins the locked validation set, so changing the validation set is a deviation from the PCCP.",
	]),
	"field": "validation.dataset.sha256",
} if {
	judged
	require_locked
	fact(["diff", "validation_set"]) == true
	fact(["locked_set_matches_pccp"]) == true
	fact(["validation_set_locked"]) == true
}

# The plan asks for computed evidence (DESIGN §14): clinigate evaluate writes validation.evidence
# and check recomputes the numbers from it (gates.evidence_mismatch, in Python).
failures contains {
	"rule": "gates.evidence_required",
	"msg": concat("", [
		"The ",
		cls,
		" modification protocol requires computed evidence, but validation.evidence is missing: compute the metrics from the predictions with clinigate evaluate --into, so the gate can recompute them.",
	]),
	"field": "validation",
} if {
	judged
	require_evidence
	fact(["evidence_present"]) != true
}

reference_standard_name := v if {
	v := input.pccp.reference_standard
	is_string(v)
} else := "see pccp.yaml"

failures contains {
	"rule": "gates.reference_standard",
	"msg": concat("", [
		"validation.reference_standard.name is not the PCCP's reference standard (",
		reference_standard_name,
		"): the plan pins the reference standard, so validating against another one is a deviation.",
	]),
	"field": "validation.reference_standard.name",
} if {
	judged
	classify.pccp_present
	fact(["reference_standard_matches_pccp"]) != true
}

failures contains {
	"rule": "gates.reference_standard",
	"msg": concat("", [
		"validation.reference_standard.name changed from the parent version's (",
		parent_version,
		"): the reference standard is a pinned method of the PCCP, so changing it is a deviation.",
	]),
	"field": "validation.reference_standard.name",
} if {
	judged
	fact(["diff", "reference_standard"]) == true
}

deny contains f if some f in failures
