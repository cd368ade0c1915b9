"""The Waiver document (models/<m>/waivers/<id>.yaml): strict like every document."""

from __future__ import annotations

import pytest

from clinigate import layout
from clinigate.manifest.loader import load_bytes

PATH = "models/sepsis-ews/waivers/W-1.yaml"
GOOD = """\
apiVersion: clinigate/v1
kind: Waiver
id: W-1
model: sepsis-ews
rule: gates.subgroup_attribute_missing
scope:
  versions: [1.4.0]
  field: validation.subgroups
reason: Preferred language is not recorded yet (CAPA-2026-014).
expires: 2027-01-31T00:00:00+01:00
required_roles: [regulatory, quality]
submitted_by: pnair
"""


def test_a_waiver_loads_and_its_expiry_is_epoch_seconds_in_utc() -> None:
    loaded = load_bytes(PATH, GOOD.encode())
    assert loaded.findings == [] and loaded.document is not None
    assert loaded.document.expires_epoch() == 1801350000  # 2027-01-30T23:00:00Z
    assert layout.parse(PATH) == layout.DocumentRef("Waiver", "sepsis-ews", waiver_id="W-1")
    assert layout.path_of(layout.parse(PATH)) == PATH  # type: ignore[arg-type]


@pytest.mark.parametrize(("old", "new", "where"), [
    ("expires: 2027-01-31T00:00:00+01:00", "expires: 2027-01-31T00:00:00", "expires"),  # no offset
    ("expires: 2027-01-31T00:00:00+01:00", "expires: 2027-01-31", "expires"),
    ("  versions: [1.4.0]", "  versions: []", "scope.versions"),
    ("  versions: [1.4.0]", "  versions: [1.4.0, 1.4.0]", "scope.versions"),
    ("  versions: [1.4.0]", "  versions: [v1.4]", "scope.versions"),
    ("required_roles: [regulatory, quality]", "required_roles: []", "required_roles"),
    ("required_roles: [regulatory, quality]", "required_roles: [quality, quality]", "required_roles"),
    ("required_roles: [regulatory, quality]", "required_roles: [boss]", "required_roles"),
    ("rule: gates.subgroup_attribute_missing", "rule: anything", "rule"),
    ("reason: Preferred language is not recorded yet (CAPA-2026-014).", "reason: ''", "reason"),
    ("submitted_by: pnair", "submitted_by: pnair\nwaives_everything: true", "waives_everything"),
])
def test_a_malformed_waiver_is_a_finding_on_its_field(old: str, new: str, where: str) -> None:
    loaded = load_bytes(PATH, GOOD.replace(old, new).encode())
    assert loaded.document is None
    assert any(where in (f.field or "") or where in f.message for f in loaded.findings), loaded.findings
