# Release modes (regulatory.md §7 C-23; FDA PCCP guidance §VI.B: each modification is automatic or
# manual, global or local, and a local one names the sites it is for).
#
#   gates.release_mode             ModelVersion: the PCCP modification the version implements
#                                  allows release modes (modifications[].release) and the version
#                                  records none, or another one (change.release)
#   deployment.local_release_sites Deployment: an environment runs a local release but serves a
#                                  site the release does not list, or lists no sites at all
#
# Python resolves each environment's version and its release into
# input.facts.deployment.environments.<env>.release ({implementation, scope, sites, outside}:
# outside = the environment's sites the release does not list).
package clinigate.release

import rego.v1

import data.clinigate.classify
import data.clinigate.format
import data.clinigate.modifications

# ---------------------------------------------------------------------------------------------
# The version's release mode against what its modification allows
# ---------------------------------------------------------------------------------------------

release := r if {
	r := input.manifest.change.release
	is_object(r)
}

has_release if release

# The release modes the version's modification allows, per dimension ("implementation", "scope").
allowed(dimension) := {x | some x in modes} if {
	id := modifications.modification_id
	some m in modifications.modifications
	m.id == id
	modes := m.release[dimension]
	is_array(modes)
}

dimensions := ["implementation", "scope"]

deny contains {
	"rule": "gates.release_mode",
	"msg": concat("", [
		"change.release.",
		dimension,
		" is ",
		format.text(object.get(release, dimension, null)),
		", but the PCCP's modification ",
		modifications.modification_id,
		" allows only ",
		format.join(allowed(dimension)),
		".",
	]),
	"field": concat("", ["change.release.", dimension]),
} if {
	classify.judged
	r := release
	some dimension in dimensions
	modes := allowed(dimension)
	not object.get(r, dimension, null) in modes
}

deny contains {
	"rule": "gates.release_mode",
	"msg": concat("", [
		"change.release is missing: the PCCP's modification ",
		modifications.modification_id,
		" sets which release modes it allows, so the version must record its own (implementation: automatic or manual; scope: global, or local with its sites).",
	]),
	"field": "change.release",
} if {
	classify.judged
	some dimension in dimensions
	allowed(dimension)
	not has_release
}

# ---------------------------------------------------------------------------------------------
# A local release runs only at its own sites
# ---------------------------------------------------------------------------------------------

environments := e if {
	e := classify.fact(["deployment", "environments"])
	is_object(e)
} else := {}

local_release(env) if env.release.scope == "local"

deny contains {
	"rule": "deployment.local_release_sites",
	"msg": concat("", [
		"environments.",
		name,
		" runs ",
		format.text(env.version),
		", a local release for ",
		format.join(env.release.sites),
		", but it also serves ",
		format.join(env.release.outside),
		": a local release may run only in environments whose sites it lists all of.",
	]),
	"field": concat("", ["environments.", name, ".sites"]),
} if {
	input.subject.kind == "Deployment"
	some name, env in environments
	local_release(env)
	count(env.release.outside) > 0
}

deny contains {
	"rule": "deployment.local_release_sites",
	"msg": concat("", [
		"environments.",
		name,
		" runs ",
		format.text(env.version),
		", a local release for ",
		format.join(env.release.sites),
		", but lists no sites: name the sites it serves (environments.",
		name,
		".sites) so the release can be shown to stay within its own.",
	]),
	"field": concat("", ["environments.", name, ".sites"]),
} if {
	input.subject.kind == "Deployment"
	some name, env in environments
	local_release(env)
	not env_sites_listed(env)
}

env_sites_listed(env) if count(env.sites) > 0
