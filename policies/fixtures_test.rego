# Test fixtures shared by the *_test.rego modules: small hand-written policy inputs following
# policies/README.md, and builders that override parts of them. No test_ rules here.
#
# Builders take a patch object; only the keys it names are replaced (shallow merges written out by
# hand: the builtin object merge is banned, engines note §8). Example:
#   fx.version({"diff": {"features": true}, "metrics": {"overall_auc_e4": 7900}})
package clinigate.fixtures

import rego.v1

# The defaults tests run with: the class order of policies/data/defaults.yaml. Tests pass it with
# `with data.clinigate.defaults as fx.defaults` so that they do not depend on the file. (Its
# acceptance defaults reach the policies only through facts.criteria_e4, merged by Python.)
defaults := {
	"class_order": [
		"initial", "metadata_only", "data_update", "hyperparameter_tuning",
		"feature_engineering", "architecture_change", "new_indication",
	],
}

all_classes := defaults.class_order

# Shallow merge: b's keys win.
merge(a, b) := {k: pick(a, b, k) | some k in object.keys(a) | object.keys(b)}

pick(a, b, k) := b[k] if {
	k in object.keys(b)
} else := a[k]

patch(p, key, base) := merge(base, object.get(p, key, {}))

# ---------------------------------------------------------------------------------------------
# ModelVersion
# ---------------------------------------------------------------------------------------------

version_subject := {
	"path": "models/sepsis-ews/versions/1.4.0.yaml",
	"kind": "ModelVersion",
	"model": "sepsis-ews",
	"version": "1.4.0",
	"change": "added",
	"merged_at_base": false,
}

subgroups_manifest := [
	{"attribute": "age_band", "group": "80+", "n": 4843, "auc_roc": 0.842},
	{"attribute": "sex", "group": "female", "n": 13273, "auc_roc": 0.876},
	{"attribute": "race", "group": "Black or African American", "n": 4660, "auc_roc": 0.863},
	{"attribute": "ethnicity", "group": "Hispanic or Latino", "n": 3089, "auc_roc": 0.865},
	{"attribute": "site", "group": "Mercy General North", "n": 7330, "auc_roc": 0.871},
	{"attribute": "clinical", "group": "ICU admission during encounter", "n": 5603, "auc_roc": 0.825},
]

manifest := {
	"apiVersion": "clinigate/v1",
	"kind": "ModelVersion",
	"model": "sepsis-ews",
	"version": "1.4.0",
	"parent": "1.3.0",
	"submitted_by": "pnair",
	"change": {
		"summary": "Data refresh through 2025 Q3",
		"rationale": "Retraining under PCCP modification M1 after the 2025 Q3 monitoring report.",
		"declared_class": "data_update",
	},
	"training": {"dataset": {
		"name": "mg-sepsis-inpatient-encounters",
		"version": "2025.4",
		"sha256": "c378f2ca2e6f3719cd8bbedb622ba00e1e9cbe2877d2c7e82ad21b7392175645",
	}},
	"validation": {
		"dataset": {
			"name": "sepsis-ews-locked-validation",
			"version": "2023.1",
			"sha256": "7d104a2b5562f71c0aeb6d7599104d4ea37b5fcc86bdfc32d7f471bfd192e86c",
			"locked": true,
		},
		"reference_standard": {"name": "Sepsis-3 electronic phenotype with chart-review adjudication"},
		"overall": {"n": 26180, "auc_roc": 0.873},
		"subgroups": subgroups_manifest,
	},
	"model_card": {
		"limitations": "Validated only at Mercy General Health hospitals.",
		"ethical_considerations": "Race, ethnicity and sex are not model inputs.",
	},
}

# Acceptance criteria of one class, in 1/10,000 (PCCP merged over defaults by Python).
criteria := {
	"min_auc_e4": 8000,
	"max_subgroup_gap_e4": 1000,
	"max_regression_e4": 200,
	"min_subgroup_n": 100,
	"required_subgroup_attributes": ["age_band", "sex", "race", "ethnicity", "site"],
	"require_locked_validation_set": true,
}

criteria_e4 := {c: criteria | some c in all_classes}

diff := {
	"algorithm_type": false,
	"framework": false,
	"hyperparameters": false,
	"features": false,
	"training_data": true,
	"artifact": true,
	"validation_set": false,
	"reference_standard": false,
	"model_card": false,
	"monitoring": false,
}

metrics := {
	"overall_auc_e4": 8730,
	"overall_n": 26180,
	"subgroups": [
		{"attribute": "age_band", "group": "80+", "n": 4843, "auc_e4": 8420, "gap_e4": 310},
		{"attribute": "sex", "group": "female", "n": 13273, "auc_e4": 8760, "gap_e4": -30},
		{"attribute": "race", "group": "Black or African American", "n": 4660, "auc_e4": 8630, "gap_e4": 100},
		{"attribute": "ethnicity", "group": "Hispanic or Latino", "n": 3089, "auc_e4": 8650, "gap_e4": 80},
		{"attribute": "site", "group": "Mercy General North", "n": 7330, "auc_e4": 8710, "gap_e4": 20},
		{"attribute": "clinical", "group": "ICU admission during encounter", "n": 5603, "auc_e4": 8250, "gap_e4": 480},
	],
	"attributes_present": ["age_band", "clinical", "ethnicity", "race", "sex", "site"],
	"regression_vs_parent_e4": 30,
	"regression_vs_production_e4": 30,
	"regression_vs_authorised_e4": 40,
}

# The fixture's subgroups with those of one attribute replaced by entry.
subgroups_with(attribute, entry) := array.concat(
	[s | some s in metrics.subgroups; s.attribute != attribute],
	[entry],
)

# facts.risk (policies/risk.rego): the sepsis-ews register, unchanged; the version cites RC-04.
risk_facts := {
	"register_at_base": true,
	"register_at_head": true,
	"register_changed": false,
	"base_controls": ["RC-01", "RC-04", "RC-07"],
	"head_controls": ["RC-01", "RC-04", "RC-07"],
	"base_hazards": ["H-1", "H-2", "H-3", "H-4"],
	"head_hazards": ["H-1", "H-2", "H-3", "H-4"],
	"cited_controls": ["RC-04"],
}

# facts.claims (policies/claims.rego): the intended use and the approved deployment's coverage.
claims_facts := {
	"intended_use": {
		"care_settings": ["inpatient_ward", "step_down_unit", "icu"],
		"populations": ["adult"],
		"indications": ["sepsis_onset_6h"],
	},
	"deployment_at_base": true,
	"deployments": [
		{"environment": "production", "version": "1.2.0", "care_settings": ["inpatient_ward", "step_down_unit", "icu"], "populations": ["adult"]},
		{"environment": "shadow", "version": "1.3.0", "care_settings": ["emergency_department"], "populations": ["adult", "pediatric"]},
	],
}

facts := {
	"risk": risk_facts,
	"claims": claims_facts,
	"first_version": false,
	"pccp_changed": false,
	"intended_use_changed": false,
	"diff": diff,
	"metrics": metrics,
	"locked_set_matches_pccp": true,
	"validation_set_locked": true,
	"evidence_present": false,
	"reference_standard_matches_pccp": true,
	"criteria_e4": criteria_e4,
	"independence": {"same_digest": [], "shared_sites": []},
	"approved_versions": ["1.0.0", "1.1.0", "1.2.0", "1.2.1"],
}

plan(authorised, roles, action) := {
	"authorised": authorised,
	"acceptance": {"min_auc": 0.8, "max_subgroup_gap": 0.1, "max_regression": 0.02},
	"required_roles": roles,
	"regulatory_action": action,
}

all_roles := ["clinical_reviewer", "security_reviewer", "quality", "regulatory"]

# Mirrors models/sepsis-ews/pccp.yaml: four classes authorised, three not.
pccp := {
	"apiVersion": "clinigate/v1",
	"kind": "PCCP",
	"model": "sepsis-ews",
	"authorised_baseline": "1.0.0",
	"locked_validation_set": {
		"name": "sepsis-ews-locked-validation",
		"version": "2023.1",
		"sha256": "7d104a2b5562f71c0aeb6d7599104d4ea37b5fcc86bdfc32d7f471bfd192e86c",
	},
	"reference_standard": "Sepsis-3 electronic phenotype with chart-review adjudication",
	"change_classes": {
		"initial": plan(true, all_roles, "new_submission"),
		"metadata_only": plan(true, ["clinical_reviewer"], "none"),
		"data_update": plan(true, ["clinical_reviewer", "quality"], "none"),
		"hyperparameter_tuning": plan(true, ["clinical_reviewer", "quality"], "letter_to_file"),
		"feature_engineering": plan(false, all_roles, "new_submission"),
		"architecture_change": plan(false, all_roles, "new_submission"),
		"new_indication": plan(false, all_roles, "new_submission"),
	},
}

parent := {"kind": "ModelVersion", "model": "sepsis-ews", "version": "1.3.0"}

production := {"kind": "ModelVersion", "model": "sepsis-ews", "version": "1.2.0"}

authorised := {"kind": "ModelVersion", "model": "sepsis-ews", "version": "1.0.0"}

# A ModelVersion input; patch keys: subject, manifest, facts, diff, metrics, and whole
# replacements for parent, production, authorised, pccp, approvals.
version(p) := {
	"subject": patch(p, "subject", version_subject),
	"manifest": object.get(p, "manifest", manifest),
	"base_manifest": null,
	"parent": object.get(p, "parent", parent),
	"production": object.get(p, "production", production),
	"authorised": object.get(p, "authorised", authorised),
	"pccp": object.get(p, "pccp", pccp),
	"model_doc": {"kind": "Model", "name": "sepsis-ews"},
	"deployment": {"kind": "Deployment", "model": "sepsis-ews"},
	"facts": merge(patch(p, "facts", facts), {
		"diff": patch(p, "diff", diff),
		"metrics": patch(p, "metrics", metrics),
	}),
	"approvals": object.get(p, "approvals", []),
}

# A manifest with a patched change block / model card.
manifest_with(key, value) := merge(manifest, {key: value})

# The PCCP with one class plan replaced.
pccp_with_plan(c, value) := merge(pccp, {"change_classes": merge(pccp.change_classes, {c: value})})

# A version whose only model-relevant diff is the given keys (e.g. {"features"}).
diff_only(keys) := {k: member(k, keys) | some k in object.keys(diff)}

member(x, xs) := true if {
	x in xs
} else := false

# ---------------------------------------------------------------------------------------------
# Deployment
# ---------------------------------------------------------------------------------------------

deployment_facts := {
	"environments": {
		"production": {"version": "1.2.0", "exists": true, "approved": true, "changed": false},
		"staging": {"version": "1.2.1", "exists": true, "approved": true, "changed": false},
		"shadow": {"version": "1.3.0", "exists": true, "approved": false, "changed": true},
	},
	"rollback_target": {"version": "1.1.0", "exists": true, "was_approved": true},
	"rationale_present": true,
	"production_changed": false,
	"is_rollback": false,
}

# A Deployment input; patch keys: deployment (facts.deployment fields), environments (merged per
# environment name), subject, production.
deployment(p) := {
	"subject": patch(p, "subject", {
		"path": "models/sepsis-ews/deployment.yaml",
		"kind": "Deployment",
		"model": "sepsis-ews",
		"change": "modified",
		"merged_at_base": true,
	}),
	"manifest": {"kind": "Deployment", "model": "sepsis-ews"},
	"base_manifest": {"kind": "Deployment", "model": "sepsis-ews"},
	"production": object.get(p, "production", production),
	"pccp": pccp,
	"facts": {
		"first_version": false,
		"pccp_changed": false,
		"intended_use_changed": false,
		"deployment": merge(patch(p, "deployment", deployment_facts), {
			"environments": patch(p, "environments", deployment_facts.environments),
		}),
		"approved_versions": ["1.0.0", "1.1.0", "1.2.0", "1.2.1"],
	},
	"approvals": [],
}

# ---------------------------------------------------------------------------------------------
# Other subjects
# ---------------------------------------------------------------------------------------------

subject_input(kind, path, facts_patch) := {
	"subject": {
		"path": path,
		"kind": kind,
		"model": "sepsis-ews",
		"change": "modified",
		"merged_at_base": true,
	},
	"manifest": {"kind": kind},
	"base_manifest": {"kind": kind},
	"pccp": pccp,
	"facts": merge({"first_version": false, "pccp_changed": false, "intended_use_changed": false}, facts_patch),
	"approvals": [],
}

pccp_edit := subject_input("PCCP", "models/sepsis-ews/pccp.yaml", {"pccp_changed": true})

model_edit(intended_use_changed) := subject_input(
	"Model", "models/sepsis-ews/model.yaml",
	{"intended_use_changed": intended_use_changed},
)

governance_edit(path) := governance_change(path, "Governance", [])

# A governance path changed; `registry` lists registry documents changed in the same pull request.
governance_change(path, kind, registry) := {
	"subject": {"path": path, "kind": kind, "change": "modified", "merged_at_base": true},
	"manifest": null,
	"base_manifest": null,
	"facts": {
		"governance": {"roles": ["regulatory", "quality"]},
		"change_mix": {"registry": registry, "governance": [path]},
	},
	"approvals": [],
}

# ---------------------------------------------------------------------------------------------
# Assertions
# ---------------------------------------------------------------------------------------------

rules(findings) := {f.rule | some f in findings}

fires(findings, rule) if rule in rules(findings)

# The finding of a rule whose message contains text.
says(findings, rule, text) if {
	some f in findings
	f.rule == rule
	contains(f.msg, text)
}
