# Model-card claims (regulatory.md §7 B-15; FDA PCCP guidance §VII.B(4): labeling must not
# describe what is not implemented; §VI.C and App. B: a claim beyond the intended use, such as an
# unplanned pediatric claim, needs a new submission).
#
# Each entry of model_card.claims names a care setting, a population and/or an indication. Each
# term must be one the intended use covers (model.yaml intended_use.care_settings, populations,
# indications, at head: a change to them is a new indication, judged by classify.rego), and a
# claimed care setting and population must be served together by the approved production
# deployment (deployment.yaml at the base: merged, so approved; shadow and staging serve no
# patients' decisions). Python lists the terms (input.facts.claims); the comparison is here.
#
# Only the structured list is checked: free text in the card, the intended use or release notes
# is read by the clinical reviewer, not by this policy.
package clinigate.claims

import rego.v1

import data.clinigate.classify
import data.clinigate.format

judged if classify.judged

card_claims := cs if {
	m := input.manifest
	is_object(m)
	cs := object.get(object.get(m, "model_card", {}), "claims", [])
	is_array(cs)
} else := []

facts := f if {
	f := classify.fact(["claims"])
	is_object(f)
}

# Claim field -> the intended-use list that covers it.
dimensions := {"care_setting": "care_settings", "population": "populations", "indication": "indications"}

term(c, key) := v if {
	is_object(c)
	v := object.get(c, key, null)
	is_string(v)
}

named(c, key) if term(c, key)

strings(x, key) := {s | some s in list; is_string(s)} if {
	is_object(x)
	list := object.get(x, key, [])
	is_array(list)
} else := set()

intended := i if {
	i := object.get(facts, "intended_use", null)
	is_object(i)
}

covered := {list: strings(intended, list) | some list in ["care_settings", "populations", "indications"]} if {
	intended
} else := {"care_settings": set(), "populations": set(), "indications": set()}

in_intended_use(key, v) if v in covered[dimensions[key]]

covered_text(list) := format.join(covered[list]) if {
	count(covered[list]) > 0
} else := "nothing"

model_name := classify.model_name

deny contains {
	"rule": "gates.claim_facts_missing",
	"msg": "The policy input lacks facts.claims (a clinigate bug; please report it), so the model card's claims cannot be compared with the intended use and the deployments.",
	"field": "model_card.claims",
} if {
	judged
	count(card_claims) > 0
	not facts
}

deny contains {
	"rule": "gates.claim_outside_intended_use",
	"msg": concat("", [
		"model_card.claims[",
		format_int(i, 10),
		"] claims ",
		key,
		" ",
		v,
		", which the intended use of ",
		model_name,
		" (model.yaml intended_use.",
		list,
		") does not cover: it covers ",
		covered_text(list),
		". A model card may not claim more than the intended use; a new care setting, population or indication is a new indication and needs a new marketing submission.",
	]),
	"field": concat("", ["model_card.claims[", format_int(i, 10), "].", key]),
} if {
	judged
	facts
	some i, c in card_claims
	some key, list in dimensions
	v := term(c, key)
	not in_intended_use(key, v)
}

# ---------------------------------------------------------------------------------------------
# Deployments: production at the base, which only ever names fully approved versions
# ---------------------------------------------------------------------------------------------

serving := [d |
	some d in object.get(facts, "deployments", [])
	is_object(d)
	d.environment == "production"
]

setting_served(d, c) if not named(c, "care_setting")

setting_served(d, c) if term(c, "care_setting") in strings(d, "care_settings")

population_served(d, c) if not named(c, "population")

population_served(d, c) if term(c, "population") in strings(d, "populations")

deployed(c) if {
	some d in serving
	setting_served(d, c)
	population_served(d, c)
}

# A claim about where or for whom the model is used; an indication alone is a matter of the
# intended use only.
about_use(c) if named(c, "care_setting")

about_use(c) if named(c, "population")

claim_text(c) := concat("", [term(c, "population"), " use in ", term(c, "care_setting")]) if {
	named(c, "population")
	named(c, "care_setting")
} else := concat("", ["use in ", term(c, "care_setting")]) if {
	named(c, "care_setting")
} else := concat("", [term(c, "population"), " use"])

served_text(d) := concat("", [
	"production (",
	format.text(object.get(d, "version", null)),
	") serves ",
	list_text(strings(d, "populations")),
	" in ",
	list_text(strings(d, "care_settings")),
])

list_text(s) := format.join(s) if {
	count(s) > 0
} else := "nothing listed"

serving_text := concat("; ", [served_text(d) | some d in serving]) if {
	count(serving) > 0
} else := "the deployment.yaml at the base names no production environment" if {
	object.get(facts, "deployment_at_base", false) == true
} else := "there is no approved deployment.yaml at the base"

deny contains {
	"rule": "gates.claim_not_deployed",
	"msg": concat("", [
		"model_card.claims[",
		format_int(i, 10),
		"] claims ",
		claim_text(c),
		", which no approved deployment serves: ",
		serving_text,
		" (deployment.yaml at the base). Deploy it first, with its approvals, then claim it.",
	]),
	"field": concat("", ["model_card.claims[", format_int(i, 10), "]"]),
} if {
	judged
	facts
	some i, c in card_claims
	about_use(c)
	not deployed(c)
}
