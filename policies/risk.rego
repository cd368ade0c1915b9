# The risk management link (regulatory.md §7 B-16; IEC 62304 §7.4.1-7.4.3; ISO 14971:2019 §4.5).
#
# A change whose class the PCCP marks risk_affecting must cite, in change.risk_controls_affected,
# the risk controls it affects, and each must exist in the model's risk register
# (models/<m>/risk.yaml) at the base: the change under review cannot invent the controls it is
# judged by. A register that is new in this pull request (the model had none) is judged by its
# head copy. A hazard the version declares in change.new_hazards must be added to the register in
# the same pull request. Python lists the register's ids at base and head, whether this pull
# request changes it, and the control id each citation starts with (input.facts.risk).
#
# The register itself is a controlled document: a change to it needs the quality role (the risk
# management file is a QMS record) and a clinical reviewer (hazards and harms are clinical
# judgements), and it cannot be deleted.
package clinigate.risk

import rego.v1

import data.clinigate.classify
import data.clinigate.format

judged if classify.judged

risk := r if {
	r := classify.fact(["risk"])
	is_object(r)
}

# A list of ids from facts.risk; [] when absent or malformed.
ids(key) := [x | some x in list; is_string(x)] if {
	list := object.get(risk, key, [])
	is_array(list)
} else := []

register_at_base if risk.register_at_base == true

register_at_head if risk.register_at_head == true

register_changed if risk.register_changed == true

some_register if register_at_base

some_register if register_at_head

# The controls a citation may name: the base's register, or the one this pull request adds.
known_controls := {x | some x in ids("base_controls")} if {
	register_at_base
} else := {x | some x in ids("head_controls")} if {
	register_at_head
} else := set()

known_control(id) if id in known_controls

register_source := "the risk register at the base" if {
	register_at_base
} else := "the risk register this pull request adds"

cited := ids("cited_controls")

manifest := m if {
	m := input.manifest
	is_object(m)
} else := {}

new_hazards := [h | some h in list; is_string(h)] if {
	list := object.get(object.get(manifest, "change", {}), "new_hazards", [])
	is_array(list)
} else := []

head_hazard(h) if h in {x | some x in ids("head_hazards")}

base_hazard(h) if h in {x | some x in ids("base_hazards")}

register_path := concat("", ["models/", classify.model_name, "/risk.yaml"])

# A plan that leaves risk_affecting out is treated as risk-affecting (fail closed).
plan_not_risk_affecting if classify.plan.risk_affecting == false

plan_risk_affecting if classify.plan.risk_affecting == true

risk_affecting if {
	judged
	not plan_not_risk_affecting
}

affecting_reason := concat("", ["which the ", classify.model_name, " PCCP marks risk_affecting"]) if {
	plan_risk_affecting
} else := "whose PCCP plan does not say risk_affecting: false, so clinigate treats it as risk-affecting"

needs_register if risk_affecting

needs_register if count(cited) > 0

needs_register if count(new_hazards) > 0

known_text := format.join(known_controls) if {
	count(known_controls) > 0
} else := "none"

deny contains {
	"rule": "gates.risk_facts_missing",
	"msg": "The policy input lacks facts.risk (a clinigate bug; please report it), so the risk controls this change cites cannot be checked against the risk register.",
	"field": null,
} if {
	judged
	not risk
}

deny contains {
	"rule": "gates.risk_register_missing",
	"msg": concat("", [
		register_path,
		" is missing (or does not load): a change to ",
		classify.model_name,
		" that affects risk, cites risk controls or declares hazards must be traced to the model's risk register (ISO 14971 §4.5). Add the register in a pull request of its own first.",
	]),
	"field": null,
} if {
	judged
	risk
	needs_register
	not some_register
}

deny contains {
	"rule": "gates.risk_control_unknown",
	"msg": concat("", [
		"change.risk_controls_affected cites ",
		id,
		", which ",
		register_source,
		" (",
		register_path,
		") does not list; its controls are ",
		known_text,
		". Cite the controls this change affects by their ids, or add the control to the register in a pull request of its own first.",
	]),
	"field": concat("", ["change.risk_controls_affected[", format_int(i, 10), "]"]),
} if {
	judged
	some_register
	some i, id in cited
	not known_control(id)
}

deny contains {
	"rule": "gates.risk_controls_missing",
	"msg": concat("", [
		"The change class is ",
		classify.class_name,
		", ",
		affecting_reason,
		", but change.risk_controls_affected cites no risk control: name the controls of ",
		register_path,
		" this change affects (IEC 62304 §7.4.3; its controls are ",
		known_text,
		").",
	]),
	"field": "change.risk_controls_affected",
} if {
	risk
	risk_affecting
	count(cited) == 0
}

deny contains {
	"rule": "gates.new_hazard_unregistered",
	"msg": concat("", [
		"change.new_hazards declares ",
		h,
		", which ",
		register_path,
		" at the head of this pull request does not list: add the hazard and its risk controls to the register in the same pull request (ISO 14971 §4.5).",
	]),
	"field": "change.new_hazards",
} if {
	judged
	risk
	some h in new_hazards
	not head_hazard(h)
}

deny contains {
	"rule": "gates.new_hazard_unregistered",
	"msg": concat("", [
		"change.new_hazards declares ",
		format.join(new_hazards),
		", but this pull request does not change ",
		register_path,
		": a new hazard is added to the risk register in the same pull request that introduces it.",
	]),
	"field": "change.new_hazards",
} if {
	judged
	risk
	count(new_hazards) > 0
	not register_changed
}

deny contains {
	"rule": "gates.new_hazard_unregistered",
	"msg": concat("", [
		"change.new_hazards declares ",
		h,
		", which the risk register at the base already lists: it is not new. Cite the controls of the existing hazard in change.risk_controls_affected instead.",
	]),
	"field": "change.new_hazards",
} if {
	judged
	register_at_base
	some h in new_hazards
	base_hazard(h)
}

# ---------------------------------------------------------------------------------------------
# The register as a subject of its own
# ---------------------------------------------------------------------------------------------

is_register if input.subject.kind == "RiskRegister"

required_roles contains r if {
	is_register
	some r in {"quality", "clinical_reviewer"}
}

deny contains {
	"rule": "risk.register_deleted",
	"msg": concat("", [
		register_path,
		" is deleted: the risk register traces every hazard to its controls (ISO 14971 §4.5) and must be kept as long as the model; change it instead.",
	]),
	"field": null,
} if {
	is_register
	input.subject.change == "deleted"
}
