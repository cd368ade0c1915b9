"""Data-independence facts of a ModelVersion (regulatory.md §7 B-11; ``policies/independence.rego``).

Digest equality across documents and site-name matching are done here and handed to the policies
as plain values (policies/README.md): the policies decide, from lists they only iterate.

    >>> independence_facts(version, pccp)  # doctest: +SKIP
    {'same_digest': [{'dataset': 'training.dataset', 'equals': 'pccp.locked_validation_set'}],
     'shared_sites': [{'name': 'Mercy General North', 'index': 1, 'also_in': 'training.dataset.sites'}]}
"""

from __future__ import annotations

from typing import Any

from ..manifest.pccp import PCCP
from ..manifest.version import ModelVersion


def _site_key(name: str) -> str:
    """Site names compared as people write them: case and runs of spaces do not make a new site."""
    return " ".join(name.split()).casefold()


def _development(doc: ModelVersion) -> list[tuple[str, str, list[str]]]:
    """(field, sha256, site names) of the data the model was trained and tuned on."""
    training = doc.training
    out = [("training.dataset", training.dataset.sha256, [s.name for s in training.dataset.sites])]
    if training.tuning_dataset is not None:
        tuning = training.tuning_dataset
        out.append(("training.tuning_dataset", tuning.sha256, list(tuning.sites)))
    return out


def independence_facts(doc: ModelVersion, pccp: PCCP | None) -> dict[str, Any]:
    """Which development data sets share a digest with the validation data, and which validation
    sites are also development sites (``index`` into ``validation.dataset.sites``)."""
    development = _development(doc)
    held_out = [("validation.dataset", doc.validation.dataset.sha256)]
    if pccp is not None:
        held_out.append(("pccp.locked_validation_set", pccp.locked_validation_set.sha256))
    same_digest = [{"dataset": field, "equals": other}
                   for field, digest, _ in development for other, held in held_out if digest == held]
    shared_sites = []
    for index, name in enumerate(doc.validation.dataset.sites):
        also_in = [f"{field}.sites" for field, _, sites in development
                   if _site_key(name) in {_site_key(s) for s in sites}]
        if also_in:
            shared_sites.append({"name": name, "index": index, "also_in": also_in[0]})
    return {"same_digest": same_digest, "shared_sites": shared_sites}
