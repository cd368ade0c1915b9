# Changes to the plan, the model's intended use and the governance machinery itself.
#
# A PCCP is authorised by the regulator together with the device; editing it is a plan change, not
# a model change (DESIGN §4: pccp.yaml edits are outside any PCCP; FDA PCCP guidance: modifying an
# authorised PCCP needs a new marketing submission). A change of intended use is a new indication,
# outside any PCCP. Policies, trust roots, roles, CI and the tool's own code decide who may approve
# what (DESIGN §13): a change to one of them is judged by the base's rules, needs the roles the
# change-control table names for that path (input.facts.governance.roles) and goes in its own
# pull request.
package clinigate.governance

import rego.v1

import data.clinigate.classify
import data.clinigate.format

kind := input.subject.kind

model_name := classify.model_name

path := p if {
	p := input.subject.path
	is_string(p)
} else := "(unknown path)"

# Subjects this module puts outside any PCCP; decision.rego reports them as
# outside_pccp / new_submission.
outside_pccp if kind == "PCCP"

outside_pccp if new_indication

new_indication if {
	kind == "Model"
	classify.fact(["intended_use_changed"]) == true
}

deny contains {
	"rule": "governance.plan_change",
	"msg": concat("", [
		"plan change: editing pccp.yaml changes the authorised PCCP and needs a marketing submission and a regulatory approval (",
		path,
		").",
	]),
	"field": null,
} if {
	kind == "PCCP"
}

deny contains {
	"rule": "governance.new_indication",
	"msg": concat("", [
		"new indication: the intended use of ",
		model_name,
		" in model.yaml changed; a new intended use, indication, population, setting or users is outside any PCCP and needs a new marketing submission and a regulatory approval.",
	]),
	"field": "intended_use",
} if {
	new_indication
}

# Fail closed: without the fact a changed intended use could pass as an ordinary edit.
deny contains {
	"rule": "governance.facts_incomplete",
	"msg": "The policy input lacks facts.intended_use_changed for this model.yaml (a clinigate bug; please report it), so a change of intended use cannot be ruled out.",
	"field": null,
} if {
	kind == "Model"
	not input.subject.change == "deleted"
	not is_boolean(classify.fact(["intended_use_changed"]))
}

# Kinds judged as governance: any governance path, and trust.yaml as the document it is.
governance_kinds := {"Governance", "Trust"}

is_governance if kind in governance_kinds

# The roles the base's change-control table names for this path. Without them (an input built by
# an older clinigate, an empty list) every governance role is asked for: fail closed.
fallback_roles := {"security_reviewer", "quality", "regulatory"}

table_roles := {r | some r in listed} if {
	listed := object.get(object.get(object.get(input, "facts", {}), "governance", {}), "roles", null)
	is_array(listed)
	count(listed) > 0
	every r in listed {
		is_string(r)
	}
}

required_roles := table_roles if {
	is_governance
	table_roles
} else := fallback_roles if {
	is_governance
} else := set()

# Registry documents changed in the same pull request (from input.facts.change_mix).
registry_changes := [p | some p in listed; is_string(p)] if {
	listed := object.get(object.get(object.get(input, "facts", {}), "change_mix", {}), "registry", null)
	is_array(listed)
} else := []

deny contains {
	"rule": "governance.mixed_change",
	"msg": concat("", [
		"governance change mixed with registry changes: ",
		path,
		" changes how every change is judged, and this pull request also changes ",
		concat(", ", registry_changes),
		"; put the governance change in its own pull request, so that no change is judged by rules it brings itself.",
	]),
	"field": null,
} if {
	is_governance
	count(registry_changes) > 0
}

# Fail closed: without the mix fact a governance edit could ride along with a model change.
deny contains {
	"rule": "governance.facts_incomplete",
	"msg": "The policy input lacks facts.change_mix for this governance change (a clinigate bug; please report it), so a registry change in the same pull request cannot be ruled out.",
	"field": null,
} if {
	is_governance
	not is_array(object.get(object.get(object.get(input, "facts", {}), "change_mix", {}), "registry", null))
}

# What a governance path controls, for the message. Order matters: trust roots and roles.yaml
# live under policies/ too.
controls(p) := "the trust roots that decide whose signatures count as approvals" if {
	startswith(p, "policies/trust/")
} else := "who holds which review role (a pull request cannot grant its own reviewers a role: roles count as of the base commit)" if {
	endswith(p, "roles.yaml")
} else := "the gates every model change is judged by" if {
	startswith(p, "policies/")
} else := "CI, code owners or branch protection" if {
	startswith(p, ".github/")
} else := "the code that runs the gate" if {
	startswith(p, "tooling/")
} else := "repository governance"

warn contains {
	"rule": "governance.code_owners",
	"msg": concat("", [
		"governance change: ",
		path,
		" changes ",
		controls(path),
		"; it is judged by the base revision's rules and needs signed approvals from ",
		format.join(required_roles),
		" and its code owners.",
	]),
	"field": null,
} if {
	is_governance
}
