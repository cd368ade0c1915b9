# Which signed approvals count: the authority matrix (regulatory.md §7 D-30, 21 CFR 11.10(g)),
# the order of reviews (§7 B-17, 21 CFR 11.10(f)), and the disciplines a plan's reviewers span
# (§7 D-31, GMLP principle 1).
#
# Python orders a document's valid approvals by their trusted time (by the time a signer claims
# only where trust.yaml accepts untrusted times) and hands each its rank, an integer from 1, as
# input.approvals[_].order; approvals at one time share a rank. The policy decides what counts:
# - the meaning a signature carries (input.approvals[_].meaning) must be one the matrix
#   (data.clinigate.approval_authority.signature_meanings) lists for the role at the model's risk class
#   (input.facts.risk_class; every class binds when it is unknown);
# - for a model version, an approval by a role of stage k of the review order counts only when
#   every role the change requires from stages before k has a counted approval of the same or
#   an earlier rank. Rejections, revocations and revoked approvals are not valid approvals, so
#   they neither count nor open a stage: re-approving after a revocation starts from there.
# An approval that fails either is listed in `uncounted` (its role stays missing; the gate marks
# its record) and warned about while its role is required.
package clinigate.authority

import rego.v1

import data.clinigate.approvals
import data.clinigate.classify
import data.clinigate.format

# The stages are unrolled below (gate_1 … gate_4): an order may have at most this many.
max_stages := 5

risk_classes := {"non_device", "I", "II", "III"}

# The same table as manifest/authority.py DISCIPLINE_ROLES.
disciplines := {
	"clinical": {"clinical_reviewer"},
	"ml": {"data_scientist", "ml_reviewer"},
	"quality_regulatory": {"quality", "regulatory"},
}

authority := a if {
	a := data.clinigate.approval_authority
	is_object(a)
} else := {}

matrix := m if {
	m := authority.signature_meanings
	is_object(m)
} else := {}

risk_class := rc if {
	rc := input.facts.risk_class
	rc in risk_classes
} else := null

approval_list := a if {
	a := input.approvals
	is_array(a)
} else := []

# ---------------------------------------------------------------------------------------------
# The authority matrix: role -> meaning -> risk classes
# ---------------------------------------------------------------------------------------------

# (`some k; v := x[k]`: regopy cannot parse `some k, v in` inside a comprehension.)
allowed_meanings(role) := {m |
	row := object.get(matrix, role, {})
	some m
	classes := row[m]
	is_array(classes)
	covers(classes)
}

covers(classes) if {
	risk_class != null
	risk_class in classes
}

covers(classes) if {
	risk_class == null
	every rc in risk_classes {
		rc in classes
	}
}

# Valid approvals whose meaning the matrix allows: the only ones that may count or open a stage.
eligible contains a if {
	some a in approval_list
	a.valid == true
	is_string(a.meaning)
	a.meaning in allowed_meanings(a.role)
}

wrong_meaning contains a if {
	some a in approval_list
	a.valid == true
	not a in eligible
}

# ---------------------------------------------------------------------------------------------
# The review order: the class's, else the plan's, else the policy data's; model versions only
# ---------------------------------------------------------------------------------------------

review_order := class_order if {
	classify.judged
	class_order := classify.plan.review_order
	is_array(class_order)
} else := plan_order if {
	classify.judged
	plan_order := input.pccp.review_order
	is_array(plan_order)
} else := data_order if {
	classify.judged
	data_order := authority.review_order
	is_array(data_order)
} else := []

stage_roles(stage) := r if {
	r := stage.roles
	is_array(r)
} else := []

stage_name(i) := n if {
	n := review_order[i].stage
	is_string(n)
} else := concat("", ["number ", format_int(i + 1, 10)])

# The stages `role` reviews at (one in a valid order; with more, each binds).
stages_of(role) := {i | some i; stage := review_order[i]; role in stage_roles(stage)}

# The roles this change requires at stage i.
required_at(i) := {r | some r in stage_roles(review_order[i]); r in approvals.required_roles}

# The earliest rank at or after g of an eligible approval by `role`.
first_from(role, g) := r if {
	some a in eligible
	a.role == role
	is_number(a.order)
	r := a.order
	r >= g
	not earlier_from(role, g, r)
}

earlier_from(role, g, r) if {
	some b in eligible
	b.role == role
	is_number(b.order)
	b.order >= g
	b.order < r
}

# Counting from rank g, the rank at which every required role of stage i has approved
# (undefined while one has not): the latest of their first approvals.
done(i, g) := g if count(required_at(i)) == 0

done(i, g) := t if {
	roles := required_at(i)
	count(roles) > 0
	every r in roles {
		first_from(r, g) >= g
	}
	some r0 in roles
	t := first_from(r0, g)
	every r in roles {
		first_from(r, g) <= t
	}
}

# gate(k): the rank from which approvals of stage k count (Rego has no recursion: unrolled).
gate_1 := done(0, 0)

gate_2 := done(1, gate_1)

gate_3 := done(2, gate_2)

gate_4 := done(3, gate_3)

gate(k) := 0 if k == 0

gate(k) := gate_1 if k == 1

gate(k) := gate_2 if k == 2

gate(k) := gate_3 if k == 3

gate(k) := gate_4 if k == 4

counted contains a if {
	some a in eligible
	count(stages_of(a.role)) == 0
}

counted contains a if {
	some a in eligible
	count(stages_of(a.role)) > 0
	is_number(a.order)
	every k in stages_of(a.role) {
		a.order >= gate(k)
	}
}

out_of_order contains a if {
	some a in eligible
	not a in counted
}

counted_roles := {a.role | some a in counted}

# Listed, not denied: the check reports what is still to be signed (approvals.rego).
missing_roles := approvals.required_roles - counted_roles

# The earlier stages still open at the approval's rank; the first of them is named.
open_before(a) := {j |
	some k in stages_of(a.role)
	some j in numbers.range(0, k - 1)
	j >= 0
	j < k
	count(required_at(j)) > 0
	t := a.order
	is_number(t)
	not complete_by(j, t)
}

complete_by(j, t) if {
	g := gate(j + 1)
	g <= t
}

first_open(a) := j if {
	js := open_before(a)
	some j in js
	every i in js {
		j <= i
	}
}

# ---------------------------------------------------------------------------------------------
# What does not count, and why
# ---------------------------------------------------------------------------------------------

who(a) := n if {
	n := a.printed_name
	is_string(n)
} else := n if {
	n := a.signer
	is_string(n)
} else := "an approver"

risk_text := "a model of unknown risk class (so every class's column binds)" if {
	risk_class == null
} else := "a non-device model" if {
	risk_class == "non_device"
} else := concat("", ["a risk class ", risk_class, " model"])

meaning_msg(a) := concat("", [
	who(a), " signed as ", format.text(a.role), " with the meaning ", format.text(a.meaning),
	", which the authority matrix (policies/data/approval_authority.yaml signature_meanings) does not accept from ",
	format.text(a.role), " for ", risk_text, " (accepted: ", accepted_text(a.role),
	"): the approval does not count (21 CFR 11.10(g), 11.50(a)(3)).",
])

accepted_text(role) := "none" if {
	count(allowed_meanings(role)) == 0
} else := format.join(allowed_meanings(role))

order_msg(a) := concat("", [
	who(a), "'s ", format.text(a.role), " approval was signed before the ", stage_name(j), " stage (",
	format.join(required_at(j)), ") had approved, which must come first (", order_text,
	"): it does not count (21 CFR 11.10(f)); sign it again after that stage.",
]) if {
	j := first_open(a)
} else := concat("", [
	who(a), "'s ", format.text(a.role), " approval has no time to order it by, so it cannot follow the ",
	"earlier stages (", order_text, "): it does not count (21 CFR 11.10(f)).",
])

order_text := concat(" → ", [stage_name(i) | some i; review_order[i]])

entry_of(a) := object.get(a, "entry", null)

uncounted contains {"entry": entry_of(a), "rule": "approvals.wrong_meaning", "msg": meaning_msg(a)} if {
	some a in wrong_meaning
}

uncounted contains {"entry": entry_of(a), "rule": "approvals.out_of_order", "msg": order_msg(a)} if {
	some a in out_of_order
}

warn contains {"rule": "approvals.wrong_meaning", "msg": meaning_msg(a), "field": null} if {
	some a in wrong_meaning
	still_missing(a.role)
}

warn contains {"rule": "approvals.out_of_order", "msg": order_msg(a), "field": null} if {
	some a in out_of_order
	still_missing(a.role)
}

still_missing(role) if {
	role in approvals.required_roles
	not role in counted_roles
}

# ---------------------------------------------------------------------------------------------
# Denies
# ---------------------------------------------------------------------------------------------

deny contains {
	"rule": "approvals.review_order_invalid",
	"msg": concat("", [
		"The review order for this change has ", format_int(count(review_order), 10),
		" stages; clinigate orders at most ", format_int(max_stages, 10),
		", so approvals of the later stages can never count. Merge stages in the PCCP's review_order.",
	]),
	"field": null,
} if {
	count(review_order) > max_stages
}

# A PCCP change: each class's required roles span the disciplines, unless the plan exempts one
# with a reason (manifest/authority.py refuses the same in validate).
deny contains {
	"rule": "approvals.disciplines_missing",
	"msg": concat("", [
		"The ", c, " plan's required_roles (", format.join(plan_roles(plan)), ") include no ",
		format.join(missing), " role (", discipline_roles_text(missing),
		"): GMLP principle 1 asks for a multidisciplinary review; add a role, or name the discipline ",
		"in the class's discipline_exemption with a reason.",
	]),
	"field": concat("", ["change_classes.", c, ".required_roles"]),
} if {
	some c, plan in pccp_plans
	missing := missing_disciplines(plan)
	count(missing) > 0
}

pccp_plans := p if {
	input.subject.kind == "PCCP"
	p := input.manifest.change_classes
	is_object(p)
} else := {}

plan_roles(plan) := {r | some r in plan.required_roles}

missing_disciplines(plan) := {d |
	some d
	roles := disciplines[d]
	not exempt(plan, d)
	count(roles & plan_roles(plan)) == 0
}

exempt(plan, d) if {
	e := plan.discipline_exemption
	d in e.disciplines
	is_string(e.reason)
	trim_space(e.reason) != ""
}

discipline_roles_text(ds) := concat("; ", [concat("", [d, ": ", format.join(disciplines[d])]) | some d in format.sorted(ds)])
