# The one object clinigate reads: data.clinigate.decision.result (policies/README.md "Output").
#
# It gathers the classification, the required roles and every deny/warn of the other modules for
# one changed document. Sets become arrays through format.sorted, so every engine returns the
# same order (engines note §8). Findings are ordered by rule, then message, then field.
package clinigate.decision

import rego.v1

import data.clinigate.acceptance
import data.clinigate.approvals
import data.clinigate.authority
import data.clinigate.claims
import data.clinigate.classify
import data.clinigate.deployment
import data.clinigate.failures
import data.clinigate.format
import data.clinigate.gates
import data.clinigate.governance
import data.clinigate.independence
import data.clinigate.modifications
import data.clinigate.monitoring
import data.clinigate.pccp
import data.clinigate.release
import data.clinigate.risk
import data.clinigate.routing
import data.clinigate.waivers

kinds := {"ModelVersion", "Deployment", "PCCP", "Model", "Governance", "Trust", "MonitoringReport", "RiskRegister", "Waiver"}

# Fail closed on a subject this policy set does not know: nothing else would judge it.
deny contains {
	"rule": "decision.unknown_subject",
	"msg": concat("", [
		"clinigate has no policy for a document of kind ",
		format.text(object.get(subject, "kind", null)),
		" (a clinigate bug; please report it): it cannot be judged, so it is blocked.",
	]),
	"field": null,
} if {
	not object.get(subject, "kind", null) in kinds
}

subject := s if {
	s := input.subject
	is_object(s)
} else := {}

all_deny := (((((((((((((((((classify.deny | acceptance.deny) | gates.deny) | deployment.deny) | governance.deny) | approvals.deny) | pccp.deny) | monitoring.deny) | independence.deny) | routing.deny) | modifications.deny) | release.deny) | risk.deny) | claims.deny) | authority.deny) | failures.deny) | waivers.deny) | deny)

all_warn := (((((gates.warn | deployment.warn) | governance.warn) | routing.warn) | authority.warn) | waivers.warn)

# Deny findings an in-force waiver lifts (waivers.rego): reported as waived, never dropped.
waived_deny := {f | some f in all_deny; count(waivers.exception(f)) > 0}

blocking_deny := all_deny - waived_deny

waived_entry(f, e) := {"rule": f.rule, "msg": f.msg, "field": object.get(f, "field", null),
	"waiver": e.waiver, "expires": e.expires}

# One entry per (finding, waiver), ordered like the findings, then by waiver id.
waived := [by_key[k] | some k in format.sorted(object.keys(by_key))] if {
	by_key := {concat("\n", [sort_key(f), e.waiver]): waived_entry(f, e) |
		some f in waived_deny
		some e in waivers.exception(f)
	}
}

# Set of findings -> array ordered by rule, msg, field. The sort key joins them with a newline,
# which sorts below every printable character, so "a" still comes before "a_b".
ordered(findings) := [by_key[k] | some k in format.sorted(object.keys(by_key))] if {
	by_key := {sort_key(f): normal(f) | some f in findings}
}

normal(f) := {"rule": f.rule, "msg": f.msg, "field": object.get(f, "field", null)}

sort_key(f) := concat("\n", [f.rule, f.msg, field_text(object.get(f, "field", null))])

field_text(x) := x if {
	is_string(x)
} else := ""

change_class := classify.change_class if {
	classify.judged
} else := null

pccp_status := pccp.status if {
	classify.judged
} else := "outside_pccp" if {
	governance.outside_pccp
} else := null

regulatory_action := pccp.regulatory_action if {
	classify.judged
} else := "new_submission" if {
	governance.outside_pccp
} else := null

# Valid approvals the policies do not count (authority.rego), for the gate to mark on their records.
uncounted := [by_key[k] | some k in format.sorted(object.keys(by_key))] if {
	by_key := {concat("\n", [field_text(u.entry), u.rule, u.msg]): u | some u in authority.uncounted}
}

result := {
	"change_class": change_class,
	"pccp_status": pccp_status,
	"regulatory_action": regulatory_action,
	"required_roles": format.sorted(approvals.required_roles),
	"deny": ordered(blocking_deny),
	"warn": ordered(all_warn),
	"uncounted": uncounted,
	"waived": waived,
}
