# Roles whose approval a change needs (DESIGN §5 "approvals", §6).
#
# For a model version the PCCP's plan for the computed class names the roles; a change the plan
# does not cover (deviation, outside_pccp) also needs regulatory (DESIGN §4). Plan changes need
# regulatory and quality; what goes to patients (production) needs clinical and quality sign-off.
# Verified approvals arrive as input.approvals [{role, signer, valid, digest}] with the signing
# work; until then input.approvals is [] and every required role is missing. Missing roles are
# listed, not denied: the check reports what is still to be signed.
package clinigate.approvals

import rego.v1

import data.clinigate.classify
import data.clinigate.format
import data.clinigate.governance
import data.clinigate.monitoring
import data.clinigate.pccp
import data.clinigate.risk
import data.clinigate.waivers

kind := input.subject.kind

# When the plan cannot say who must approve, ask every reviewing role (fail closed).
fallback_roles := {"clinical_reviewer", "security_reviewer", "quality", "regulatory"}

plan_roles := {r | some r in roles} if {
	roles := classify.plan.required_roles
	is_array(roles)
	count(roles) > 0
	every r in roles {
		is_string(r)
	}
}

required_roles contains r if {
	classify.judged
	some r in plan_roles
}

required_roles contains r if {
	classify.judged
	not plan_roles
	some r in fallback_roles
}

required_roles contains "regulatory" if pccp.status in {"deviation", "outside_pccp"}

required_roles contains r if {
	kind == "PCCP"
	some r in {"regulatory", "quality"}
}

# A new monitoring report: the quality role owns post-market surveillance (monitoring.rego).
required_roles contains r if {
	some r in monitoring.required_roles
}

# A risk register change: quality and a clinical reviewer (risk.rego).
required_roles contains r if {
	some r in risk.required_roles
}

# A waiver: its own required_roles and the policy data's minimum for its rule (waivers.rego).
required_roles contains r if {
	some r in waivers.required_roles
}

# Governance paths and trust.yaml: the roles the base's change-control table names (governance.rego).
required_roles contains r if {
	some r in governance.required_roles
}

# A new indication is a regulatory matter like a plan change.
required_roles contains r if {
	governance.new_indication
	some r in {"regulatory", "quality"}
}

# Production serves patients. A missing production_changed fact counts as changed (fail closed).
required_roles contains r if {
	kind == "Deployment"
	not classify.fact(["deployment", "production_changed"]) == false
	not input.subject.change == "deleted"
	some r in {"clinical_reviewer", "quality"}
}

# Which approvals count (their meaning, their place in the review order), and so which roles are
# still missing, is authority.rego's: authority.missing_roles.

# The plan exists but names no roles: reported, and every reviewing role is required meanwhile.
deny contains {
	"rule": "approvals.plan_roles_missing",
	"msg": concat("", [
		"The ",
		classify.model_name,
		" PCCP's ",
		classify.change_class,
		" plan names no required_roles, so clinigate requires every reviewing role (",
		format.join(fallback_roles),
		") until the plan says who must approve.",
	]),
	"field": null,
} if {
	classify.judged
	is_object(classify.plan)
	not plan_roles
}
