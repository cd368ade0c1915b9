# PCCP status and regulatory action of a ModelVersion subject (DESIGN §4).
#
#   conforming    the class is authorised in pccp.yaml and every acceptance criterion of its
#                 modification protocol holds, with the pinned methods unchanged
#   deviation     authorised class, but a criterion fails or a pinned method (locked validation
#                 set, reference standard) changed: acceptance.failures lists which; or the
#                 validation data is not independent: independence.failures
#   outside_pccp  class not authorised, new_indication, pccp.yaml edited or missing:
#                 classify.outside_reasons lists why
#
# Kept apart from classify.rego because it needs both the class (classify) and the acceptance
# failures (acceptance), and acceptance needs the class: classify <- acceptance <- pccp, no cycle.
package clinigate.pccp

import rego.v1

import data.clinigate.acceptance
import data.clinigate.classify
import data.clinigate.independence
import data.clinigate.routing

status := "outside_pccp" if {
	classify.judged
	count(classify.outside_reasons) > 0
} else := "deviation" if {
	classify.judged
	count(acceptance.failures) > 0
} else := "deviation" if {
	classify.judged
	count(independence.failures) > 0
} else := "conforming" if classify.judged

regulatory_actions := {"none", "letter_to_file", "new_submission"}

# Conforming: what the plan says for the class. A deviation or an outside-PCCP change needs a new
# marketing submission (FDA PCCP guidance: a modification that does not follow the authorised
# modification protocol is not covered by the PCCP; DESIGN §4), unless the plan's significance
# assessment marks the outside-PCCP class non-significant (routing.rego): a letter to file. A plan
# without a valid action fails closed to new_submission.
regulatory_action := classify.plan.regulatory_action if {
	status == "conforming"
	plan_action_valid
} else := "letter_to_file" if {
	status == "outside_pccp"
	routing.non_significant
} else := "new_submission" if classify.judged

# A rule of its own so that the deny below negates it whole: `not <ref> in <set>` with an
# undefined <ref> fails the body on OPA but succeeds on regorus, and the deny would fail open on
# OPA for a plan without regulatory_action (policies/README.md, "Engines").
plan_action_valid if classify.plan.regulatory_action in regulatory_actions

deny contains {
	"rule": "pccp.plan_incomplete",
	"msg": concat("", [
		"The ",
		classify.model_name,
		" PCCP's ",
		classify.change_class,
		" plan has no valid regulatory_action (none, letter_to_file or new_submission); clinigate assumes a new submission is needed until the plan states it.",
	]),
	"field": null,
} if {
	status == "conforming"
	not plan_action_valid
}
