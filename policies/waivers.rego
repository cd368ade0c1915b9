# Waivers: conftest's `exception`, signed and expiring (DESIGN §5; regulatory.md §7 B-12).
#
# A waiver (models/<m>/waivers/<id>.yaml) names one rule, the versions it covers (and optionally
# the field), a reason, an expiry and the roles that must sign it. Python lists the model's
# waivers at the head in input.facts.waivers, each with its approvals judged like any document's
# (valid signature over the waiver's exact bytes, signer holding the role at the base, not its
# submitter nor an author of the change) and its expiry in epoch seconds; input.facts.now_epoch
# is the gate's own clock. Rego parses no time (policy lint).
#
# Which rules may be waived, and the fewest roles each waiver must carry, come from the base
# revision's policy data (data.clinigate.waiver_rules, policies/data/waiver_rules.yaml); a
# waiver's own required_roles add to them. A waiver is in force for a version when it covers the
# version, its rule is waivable, every needed role has a valid approval with the meaning
# approval or responsibility, and it has not expired. decision.rego then moves the deny findings
# it covers to `waived`: reported, never hidden. The PCCP status is not changed: a waived
# acceptance criterion is still a deviation from the modification protocol, accepted on record.
#
# A covering waiver that has expired fails (waiver.expired, deny) and waives nothing; one whose
# rule is not waivable fails (waiver.rule_not_waivable, deny); one still short of signatures is
# reported (waiver.unapproved, warn): it waives nothing, so the finding it targets still blocks,
# and a waiver nobody needs any more does not block a version that passes without it.
package clinigate.waivers

import rego.v1

import data.clinigate.format

kind := input.subject.kind

# rule id -> {min_roles: [...]}, from the base revision's policy data; {} when absent.
waivable := r if {
	r := data.clinigate.waiver_rules.rules
	is_object(r)
} else := {}

listed := ws if {
	ws := input.facts.waivers
	is_array(ws)
} else := []

now := n if {
	n := input.facts.now_epoch
	is_number(n)
}

signing_meanings := {"approval", "responsibility"}

# The waivers whose scope names the version under review.
covering contains w if {
	kind == "ModelVersion"
	some w in listed
	is_object(w)
	some v in w.versions
	v == input.subject.version
}

waivable_rule(w) if {
	is_string(w.rule)
	startswith(w.rule, "waiver.") == false
	is_object(waivable[w.rule])
}

# The roles are read into a local first: regopy, given `waivable[rule]` inside the comprehension,
# ranges over every rule of the data instead of the argument's (crosscheck found it).
minimum_roles(rule) := {r | some r in listed_roles; is_string(r)} if {
	listed_roles := object.get(object.get(waivable, rule, {}), "min_roles", [])
	is_array(listed_roles)
} else := set()

# The roles a waiver needs: its own, and the policy data's minimum for its rule.
roles_needed(w) := {r | some r in w.required_roles; is_string(r)} | minimum_roles(w.rule)

signed_roles(w) := {a.role |
	some a in w.approvals
	a.valid == true
	a.decision == "approved"
	a.meaning in signing_meanings
}

missing_roles(w) := roles_needed(w) - signed_roles(w)

expired(w) if w.expires_epoch <= now

unexpired(w) if w.expires_epoch > now

in_force contains w if {
	some w in covering
	waivable_rule(w)
	unexpired(w)
	count(missing_roles(w)) == 0
}

field_of(w) := object.get(w, "field", null)

covers_field(w, f) if field_of(w) == null

covers_field(w, f) if field_of(w) == f.field

covers_field(w, f) if {
	is_string(f.field)
	is_string(field_of(w))
	some sep in {".", "["}
	startswith(f.field, concat("", [field_of(w), sep]))
}

# conftest's `exception`: the in-force waivers that lift finding f, as {id, expires} objects.
exception(f) := {{"waiver": w.id, "expires": w.expires} |
	some w in in_force
	w.rule == f.rule
	covers_field(w, f)
}

describe(w) := concat("", ["Waiver ", format.text(w.id), " of ", format.text(w.rule), " (", format.text(w.path), ")"])

deny contains {
	"rule": "waiver.expired",
	"msg": concat("", [
		describe(w),
		" covers version ",
		input.subject.version,
		" but expired at ",
		format.text(w.expires),
		": it waives nothing and fails the gate. Fix the finding, or have a new waiver signed.",
	]),
	"field": null,
} if {
	some w in covering
	expired(w)
}

deny contains {
	"rule": "waiver.rule_not_waivable",
	"msg": concat("", [
		describe(w),
		" covers version ",
		input.subject.version,
		", but the policy data lets no waiver lift that rule (waivable: ",
		format.join(object.keys(waivable)),
		").",
	]),
	"field": null,
} if {
	some w in covering
	not waivable_rule(w)
}

warn contains {
	"rule": "waiver.unapproved",
	"msg": concat("", [
		describe(w),
		" covers version ",
		input.subject.version,
		" but does not count yet: it lacks a valid approval by ",
		format.join(missing_roles(w)),
		". Until then the finding it waives still blocks.",
	]),
	"field": null,
} if {
	some w in covering
	waivable_rule(w)
	unexpired(w)
	count(missing_roles(w)) > 0
}

# ---------------------------------------------------------------------------------------------
# The Waiver document itself as a changed document: signed by its roles, judged by the same data
# ---------------------------------------------------------------------------------------------

subject_waiver := w if {
	kind == "Waiver"
	w := input.manifest
	is_object(w)
}

subject_expires_epoch := e if {
	e := input.facts.waiver.expires_epoch
	is_number(e)
}

required_roles contains r if {
	some r in roles_needed(subject_waiver)
}

deny contains {
	"rule": "waiver.rule_not_waivable",
	"msg": concat("", [
		"This waiver names ",
		format.text(subject_waiver.rule),
		", which the policy data lets no waiver lift (waivable: ",
		format.join(object.keys(waivable)),
		").",
	]),
	"field": "rule",
} if {
	is_object(subject_waiver)
	not waivable_rule(subject_waiver)
}

deny contains {
	"rule": "waiver.expired",
	"msg": concat("", [
		"This waiver expired at ",
		format.text(subject_waiver.expires),
		": an expired waiver waives nothing and cannot be merged. Set a future expiry.",
	]),
	"field": "expires",
} if {
	is_object(subject_waiver)
	subject_expires_epoch <= now
}

# Fail closed: without the gate's clock or the expiry no waiver can be judged in date.
deny contains {
	"rule": "waiver.facts_missing",
	"msg": "clinigate did not hand the policies the waiver's expiry or the gate's clock (a clinigate bug); the waiver cannot be judged, so it is blocked.",
	"field": null,
} if {
	is_object(subject_waiver)
	not clock_known
}

clock_known if {
	is_number(now)
	is_number(subject_expires_epoch)
}
