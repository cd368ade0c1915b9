package clinigate.release_test

import rego.v1

import data.clinigate.fixtures as fx
import data.clinigate.release

m1 := {"id": "M1", "change_classes": ["data_update"], "release": {"implementation": ["manual"], "scope": ["global", "local"]}}

m1_any := {"id": "M1", "change_classes": ["data_update"]}

global_manual := {"implementation": "manual", "scope": "global", "sites": []}

# A data update implementing M1 with change.release `rel` (null: none recorded).
version_deny(rel, mods) := d if {
	change := fx.merge(fx.manifest.change, {"modification_id": "M1", "release": rel})
	p := {"manifest": fx.manifest_with("change", change), "pccp": fx.merge(fx.pccp, {"modifications": mods})}
	d := release.deny with input as fx.version(p) with data.clinigate.defaults as fx.defaults
}

# ---------------------------------------------------------------------------------------------
# The version's release mode and the modes its modification allows
# ---------------------------------------------------------------------------------------------

test_an_allowed_release_mode_passes if {
	count(version_deny(global_manual, [m1])) == 0
}

test_an_automatic_release_of_a_manual_modification_denies if {
	d := version_deny({"implementation": "automatic", "scope": "global", "sites": []}, [m1])
	fx.says(d, "gates.release_mode", "change.release.implementation is automatic, but the PCCP's modification M1 allows only manual.")
	some f in d
	f.field == "change.release.implementation"
}

test_a_local_release_of_a_global_only_modification_denies if {
	mod := fx.merge(m1, {"release": {"implementation": ["manual"], "scope": ["global"]}})
	d := version_deny({"implementation": "manual", "scope": "local", "sites": ["Mercy General North"]}, [mod])
	fx.says(d, "gates.release_mode", "change.release.scope is local, but the PCCP's modification M1 allows only global.")
}

test_no_release_recorded_when_the_modification_sets_modes_denies if {
	d := version_deny(null, [m1])
	fx.says(d, "gates.release_mode", "change.release is missing")
}

test_a_modification_without_release_modes_allows_any if {
	count(version_deny({"implementation": "automatic", "scope": "global", "sites": []}, [m1_any])) == 0
	count(version_deny(null, [m1_any])) == 0
}

# ---------------------------------------------------------------------------------------------
# A local release runs only where its sites are
# ---------------------------------------------------------------------------------------------

local_release(outside) := {"implementation": "manual", "scope": "local", "sites": ["Mercy General North"], "outside": outside}

shadow(sites, rel) := {"shadow": {"version": "1.4.0", "exists": true, "approved": false, "changed": true, "sites": sites, "release": rel}}

deployment_deny(envs) := d if {
	d := release.deny with input as fx.deployment({"environments": envs}) with data.clinigate.defaults as fx.defaults
}

test_a_local_release_within_its_sites_passes if {
	count(deployment_deny(shadow(["Mercy General North"], local_release([])))) == 0
}

test_a_local_release_at_a_site_it_does_not_list_denies if {
	d := deployment_deny(shadow(["Mercy General North", "Mercy General Main Campus"], local_release(["Mercy General Main Campus"])))
	fx.says(d, "deployment.local_release_sites", "environments.shadow runs 1.4.0, a local release for Mercy General North, but it also serves Mercy General Main Campus")
	some f in d
	f.field == "environments.shadow.sites"
}

test_a_local_release_in_an_environment_without_sites_denies if {
	d := deployment_deny(shadow([], local_release([])))
	fx.says(d, "deployment.local_release_sites", "but lists no sites")
}

test_a_local_release_in_an_environment_without_a_sites_fact_denies if {
	env := object.remove(shadow([], local_release([])).shadow, ["sites"])
	d := deployment_deny({"shadow": env})
	fx.says(d, "deployment.local_release_sites", "but lists no sites")
}

test_a_global_release_goes_anywhere if {
	count(deployment_deny(shadow([], global_manual))) == 0
	count(deployment_deny(shadow(["Mercy General Main Campus"], null))) == 0
}

test_the_fixture_deployment_has_no_release_findings if {
	count(deployment_deny({})) == 0
}
