# Changes to the plan, the model's intended use and the governance machinery itself.
#
# A PCCP is authorised by the regulator together with the device; editing it is a plan change, not
# a model change (DESIGN §4: pccp.yaml edits are outside any PCCP; FDA PCCP guidance: modifying an
# authorised PCCP needs a new marketing submission). A change of intended use is a new indication,
# outside any PCCP. Policies, trust roots, roles and CI decide who may approve what, so changes to
# them are reported for their code owners (DESIGN §10: CODEOWNERS and rulesets as code).
package clinigate.governance

import rego.v1

import data.clinigate.classify

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
} else := "repository governance"

warn contains {
	"rule": "governance.code_owners",
	"msg": concat("", [
		"governance change: ",
		path,
		" changes ",
		controls(path),
		"; it needs its code owners.",
	]),
	"field": null,
} if {
	kind == "Governance"
}
