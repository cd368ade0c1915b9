package clinigate.claims_test

import rego.v1

import data.clinigate.claims
import data.clinigate.fixtures as fx

claiming(list) := {"manifest": fx.manifest_with("model_card", fx.merge(fx.manifest.model_card, {"claims": list}))}

deny_of(p) := d if {
	d := claims.deny with input as fx.version(p) with data.clinigate.defaults as fx.defaults
}

with_claims_facts(p, patch) := fx.merge(p, {"facts": {"claims": fx.merge(fx.claims_facts, patch)}})

pediatric_ed := {"care_setting": "emergency_department", "population": "pediatric"}

test_no_claims_no_findings if {
	count(deny_of({})) == 0
}

test_claims_within_the_intended_use_and_production_pass if {
	count(deny_of(claiming([
		{"care_setting": "icu", "population": "adult"},
		{"indication": "sepsis_onset_6h"},
		{"care_setting": "inpatient_ward", "population": "adult", "indication": "sepsis_onset_6h"},
	]))) == 0
}

test_a_pediatric_emergency_department_claim_is_denied_twice if {
	d := deny_of(claiming([pediatric_ed]))
	fx.says(d, "gates.claim_not_deployed", "claims pediatric use in emergency_department, which no approved deployment serves")
	fx.says(d, "gates.claim_not_deployed", "production (1.2.0) serves adult in icu, inpatient_ward, step_down_unit")
	fx.says(d, "gates.claim_outside_intended_use", "claims care_setting emergency_department")
	fx.says(d, "gates.claim_outside_intended_use", "claims population pediatric")
	fx.says(d, "gates.claim_outside_intended_use", "it covers icu, inpatient_ward, step_down_unit")
	some f in d
	f.field == "model_card.claims[0].population"
}

# The shadow environment scores the ED silently: it serves no claim.
test_shadow_covers_no_claim if {
	fx.says(deny_of(claiming([{"care_setting": "emergency_department"}])), "gates.claim_not_deployed", "use in emergency_department")
}

# Covered term by term but not together: no single deployment serves pediatric ICU use.
test_a_combination_no_single_deployment_serves_is_denied if {
	p := with_claims_facts(claiming([{"care_setting": "icu", "population": "pediatric"}]), {
		"intended_use": {"care_settings": ["icu", "inpatient_ward"], "populations": ["adult", "pediatric"], "indications": []},
		"deployments": [
			{"environment": "production", "version": "1.2.0", "care_settings": ["icu"], "populations": ["adult"]},
			{"environment": "production", "version": "1.2.0", "care_settings": ["inpatient_ward"], "populations": ["pediatric"]},
		],
	})
	d := deny_of(p)
	fx.fires(d, "gates.claim_not_deployed")
	not fx.fires(d, "gates.claim_outside_intended_use")
}

test_an_indication_outside_the_intended_use_is_denied if {
	d := deny_of(claiming([{"indication": "septic_shock_prediction"}]))
	fx.says(d, "gates.claim_outside_intended_use", "claims indication septic_shock_prediction")
	not fx.fires(d, "gates.claim_not_deployed")
}

test_no_approved_deployment_covers_nothing if {
	p := with_claims_facts(claiming([{"care_setting": "icu"}]), {"deployment_at_base": false, "deployments": []})
	fx.says(deny_of(p), "gates.claim_not_deployed", "there is no approved deployment.yaml at the base")
}

test_no_intended_use_covers_nothing if {
	p := with_claims_facts(claiming([{"population": "adult"}]), {"intended_use": null})
	fx.says(deny_of(p), "gates.claim_outside_intended_use", "it covers nothing")
}

test_missing_claims_facts_fail_closed if {
	v := fx.version(claiming([{"care_setting": "icu"}]))
	d := claims.deny with input as fx.merge(v, {"facts": object.remove(v.facts, ["claims"])})
		with data.clinigate.defaults as fx.defaults
	fx.fires(d, "gates.claim_facts_missing")
}

test_other_subjects_are_not_judged_here if {
	count(claims.deny) == 0 with input as fx.deployment({})
}
